package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link SelectiveScanFloat}, loaded only when {@link Simd#on}: {@link
 * SelectiveScanVector}'s blocks, states held [N, lanes] and stripes, on float lanes.
 */
final class SelectiveScanFloatVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int LANES = S.length();

    private SelectiveScanFloatVector() {
    }

    /** Channels [0, whole(di)) run here: none where a block would span more than the stripes. */
    static int whole(int di) {
        return SelectiveScanFloat.STRIPES % LANES != 0 ? 0 : di - di % LANES;
    }

    /** A [di, N] as [N, di], and max |A| (NaN if A holds one), which {@link ExpVector#expRows} needs. */
    record Decays(float[] at, float bound) {
        static Decays of(float[] a, int di, int n) {
            float bound = 0;
            float[] at = Arena.floats(a.length);
            for (int c = 0; c < di; c++) {
                for (int s = 0; s < n; s++) {
                    bound = Math.max(bound, Math.abs(a[c * n + s]));
                    at[s * di + c] = a[c * n + s];
                }
            }
            return new Decays(at, bound);
        }
    }

    /** Per-thread scratch: states and exponentials of a chunk, gradients of one block. */
    static final class Scratch {
        final float[][] hs;
        final float[][] xs;
        final float[] dh;
        final float[] dA;

        Scratch(int n, boolean backward) {
            int w = n * LANES, steps = backward ? SelectiveScanFloat.CHUNK : 1;
            hs = new float[backward ? steps + 1 : 1][w]; // forward keeps one state in place
            xs = new float[steps][w];
            dh = Arena.floats(backward ? w : 0);
            dA = Arena.floats(backward ? w : 0);
        }
    }

    /** Reads n values per lane from {@code src}, lane l's from base + l * laneStride, into h [n, lanes]. */
    private static void gather(float[] src, int base, int laneStride, int n, float[] h) {
        for (int l = 0; l < LANES; l++) {
            for (int s = 0; s < n; s++) {
                h[s * LANES + l] = src[base + l * laneStride + s];
            }
        }
    }

    private static void scatter(float[] h, int n, float[] dst, int base, int laneStride) {
        for (int l = 0; l < LANES; l++) {
            for (int s = 0; s < n; s++) {
                dst[base + l * laneStride + s] = h[s * LANES + l];
            }
        }
    }

    static void forwardBlock(SelectiveScanRecurrent.Dims d, int b, int c0, float[] dt, Decays a, float[] u,
                             float[] bm, float[] cm, float[] start, float[] y, float[] end, float[] ckpt,
                             Scratch sc) {
        int n = d.states(), di = d.channels(), chunks = d.chunks();
        float f = (float) d.floor(), keepShare = 1 - f;
        float[] h = sc.hs[0];
        if (start != null) {
            gather(start, (b * di + c0) * n, n, n, h);
        } else {
            java.util.Arrays.fill(h, 0);
        }
        for (int t = 0; t < d.steps(); t++) {
            if (ckpt != null && t % SelectiveScanFloat.CHUNK == 0) {
                scatter(h, n, ckpt, ((b * di + c0) * chunks + t / SelectiveScanFloat.CHUNK) * n, chunks * n);
            }
            int row = b * d.steps() + t;
            ExpVector.expRows(sc.xs[0], 0, dt, row * di + c0, a.at(), c0, di, n, a.bound());
            step(n, di, c0, row, sc.xs[0], u, bm, cm, f, keepShare, h, y);
        }
        if (end != null) {
            scatter(h, n, end, (b * di + c0) * n, n);
        }
    }

    /** One step of a block (see {@link SelectiveScanVector}'s step for why it is a method of its own). */
    private static void step(int n, int di, int c0, int row, float[] xs, float[] u, float[] bm, float[] cm,
                             float f, float keepShare, float[] h, float[] y) {
        int bo = row * n;
        FloatVector uv = FloatVector.fromArray(S, u, row * di + c0);
        FloatVector acc = FloatVector.zero(S);
        for (int s = 0; s < n; s++) {
            FloatVector x = FloatVector.fromArray(S, xs, s * LANES);
            FloatVector e = x.mul(keepShare).add(f);
            FloatVector hv = e.mul(FloatVector.fromArray(S, h, s * LANES)).add(uv.mul(bm[bo + s]));
            hv.intoArray(h, s * LANES);
            acc = acc.add(hv.mul(cm[bo + s]));
        }
        acc.intoArray(y, row * di + c0);
    }

    /** One block's gradients; its dB and dC terms go to the batch row's stripes sb, scm [T, N, STRIPES]. */
    static void backwardBlock(SelectiveScanFloat.Saved sv, int b, int c0, Decays a, float[] dY, float[] dEnd,
                              float[] ddt, float[] dAparts, float[] du, float[] sb, float[] scm,
                              float[] dStart, Scratch sc) {
        SelectiveScanRecurrent.Dims d = sv.dims();
        int n = d.states(), di = d.channels(), chunks = d.chunks(), t = d.steps();
        float f = (float) d.floor(), keepShare = 1 - f;
        float[] dh = sc.dh, dA = sc.dA;
        if (dEnd != null) {
            gather(dEnd, (b * di + c0) * n, n, n, dh);
        } else {
            java.util.Arrays.fill(dh, 0);
        }
        java.util.Arrays.fill(dA, 0);
        for (int k = chunks - 1; k >= 0; k--) {
            int t0 = k * SelectiveScanFloat.CHUNK, t1 = Math.min(t, t0 + SelectiveScanFloat.CHUNK);
            gather(sv.checkpoints(), ((b * di + c0) * chunks + k) * n, chunks * n, n, sc.hs[0]);
            for (int s = t0; s < t1; s++) {
                recompute(n, di, c0, b * t + s, sv, a, f, keepShare, sc.hs[s - t0], sc.hs[s - t0 + 1], sc.xs[s - t0]);
            }
            for (int s = t1 - 1; s >= t0; s--) {
                int so = s * n * SelectiveScanFloat.STRIPES + c0 % SelectiveScanFloat.STRIPES;
                backStep(n, di, c0, b * t + s, sv, a.at(), dY, f, keepShare, sc.hs[s - t0], sc.hs[s - t0 + 1],
                        sc.xs[s - t0], sc, ddt, du, sb, scm, so);
            }
        }
        scatter(dA, n, dAparts, (b * di + c0) * n, n);
        if (dStart != null) {
            scatter(dh, n, dStart, (b * di + c0) * n, n);
        }
    }

    /** The states of one step from the step before, keeping the exponentials. */
    private static void recompute(int n, int di, int c0, int row, SelectiveScanFloat.Saved sv, Decays a,
                                  float f, float keepShare, float[] prev, float[] now, float[] x) {
        int bo = row * n;
        ExpVector.expRows(x, 0, sv.dt(), row * di + c0, a.at(), c0, di, n, a.bound());
        FloatVector uv = FloatVector.fromArray(S, sv.u(), row * di + c0);
        for (int m = 0; m < n; m++) {
            FloatVector xv = FloatVector.fromArray(S, x, m * LANES);
            FloatVector e = xv.mul(keepShare).add(f);
            e.mul(FloatVector.fromArray(S, prev, m * LANES)).add(uv.mul(sv.bm()[bo + m])).intoArray(now, m * LANES);
        }
    }

    /** One step back, as {@link SelectiveScanVector}'s. */
    private static void backStep(int n, int di, int c0, int row, SelectiveScanFloat.Saved sv, float[] at,
                                 float[] dY, float f, float keepShare, float[] prev, float[] now, float[] x,
                                 Scratch sc, float[] ddt, float[] du, float[] sb, float[] scm, int so) {
        int bo = row * n;
        float[] dh = sc.dh, dA = sc.dA;
        FloatVector dtv = FloatVector.fromArray(S, sv.dt(), row * di + c0);
        FloatVector uv = FloatVector.fromArray(S, sv.u(), row * di + c0);
        FloatVector dy = FloatVector.fromArray(S, dY, row * di + c0);
        FloatVector duv = FloatVector.zero(S), ddtv = FloatVector.zero(S);
        for (int m = 0; m < n; m++) {
            int o = m * LANES, p = so + m * SelectiveScanFloat.STRIPES;
            FloatVector.fromArray(S, scm, p).add(dy.mul(FloatVector.fromArray(S, now, o))).intoArray(scm, p);
            FloatVector g = FloatVector.fromArray(S, dh, o).add(dy.mul(sv.cm()[bo + m]));
            duv = duv.add(g.mul(sv.bm()[bo + m]));
            FloatVector.fromArray(S, sb, p).add(g.mul(uv)).intoArray(sb, p);
            FloatVector xv = FloatVector.fromArray(S, x, o);
            FloatVector dxx = g.mul(FloatVector.fromArray(S, prev, o)).mul(keepShare).mul(xv);
            ddtv = ddtv.add(dxx.mul(FloatVector.fromArray(S, at, m * di + c0)));
            FloatVector.fromArray(S, dA, o).add(dxx.mul(dtv)).intoArray(dA, o);
            g.mul(xv.mul(keepShare).add(f)).intoArray(dh, o);
        }
        duv.intoArray(du, row * di + c0);
        ddtv.intoArray(ddt, row * di + c0);
    }
}
