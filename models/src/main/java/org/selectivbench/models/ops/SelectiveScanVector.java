package org.selectivbench.models.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link SelectiveScanRecurrent}, loaded only when {@link Simd#on}: a block of
 * channels, one per lane, runs through time together with its states held [N, lanes], so every sum over
 * states stays in one lane in the scalar form's order. The sums over channels (dB, dC) add each lane's
 * term to its channel's stripe ({@link SelectiveScanRecurrent#STRIPES}), one vector per state, as the
 * scalar form adds channel by channel; checkpoints, start and end states keep the scalar form's layouts,
 * so the channels past the last whole block run in the scalar form.
 */
final class SelectiveScanVector {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    static final int LANES = S.length();

    private SelectiveScanVector() {
    }

    /** Channels [0, whole(di)) run here: none where a block would span more than the stripes. */
    static int whole(int di) {
        return SelectiveScanRecurrent.STRIPES % LANES != 0 ? 0 : di - di % LANES;
    }

    /** A [di, N] as [N, di], and max |A| (NaN if A holds one), which {@link ExpVector#expRows} needs. */
    record Decays(double[] at, double bound) {
        static Decays of(double[] a, int di, int n) {
            double bound = 0;
            for (double v : a) {
                bound = Math.max(bound, Math.abs(v));
            }
            return new Decays(Loops.transposed(a, di, n), bound);
        }
    }

    /** Per-thread scratch: states and exponentials of a chunk, gradients of one block. */
    static final class Scratch {
        final double[][] hs;
        final double[][] xs;
        final double[] dh;
        final double[] dA;

        Scratch(int n, boolean backward) {
            int w = n * LANES, steps = backward ? SelectiveScanRecurrent.CHUNK : 1;
            hs = new double[backward ? steps + 1 : 1][w]; // forward keeps one state in place
            xs = new double[steps][w];
            dh = new double[backward ? w : 0];
            dA = new double[backward ? w : 0];
        }
    }

    /** Reads n values per lane from {@code src}, lane l's from base + l * laneStride, into h [n, lanes]. */
    private static void gather(double[] src, int base, int laneStride, int n, double[] h) {
        for (int l = 0; l < LANES; l++) {
            for (int s = 0; s < n; s++) {
                h[s * LANES + l] = src[base + l * laneStride + s];
            }
        }
    }

    private static void scatter(double[] h, int n, double[] dst, int base, int laneStride) {
        for (int l = 0; l < LANES; l++) {
            for (int s = 0; s < n; s++) {
                dst[base + l * laneStride + s] = h[s * LANES + l];
            }
        }
    }

    static void forwardBlock(SelectiveScanRecurrent.Dims d, int b, int c0, double[] dt, Decays a, double[] u,
                             double[] bm, double[] cm, double[] start, double[] y, double[] end, double[] ckpt,
                             Scratch sc) {
        int n = d.states(), di = d.channels(), chunks = d.chunks();
        double f = d.floor(), keepShare = 1 - f;
        double[] h = sc.hs[0];
        if (start != null) {
            gather(start, (b * di + c0) * n, n, n, h);
        } else {
            java.util.Arrays.fill(h, 0);
        }
        for (int t = 0; t < d.steps(); t++) {
            if (ckpt != null && t % SelectiveScanRecurrent.CHUNK == 0) {
                scatter(h, n, ckpt, ((b * di + c0) * chunks + t / SelectiveScanRecurrent.CHUNK) * n, chunks * n);
            }
            int row = b * d.steps() + t;
            ExpVector.expRows(sc.xs[0], dt, row * di + c0, a.at(), c0, di, n, a.bound());
            step(n, di, c0, row, sc.xs[0], u, bm, cm, f, keepShare, h, y);
        }
        if (end != null) {
            scatter(h, n, end, (b * di + c0) * n, n);
        }
    }

    /**
     * One step of a block from its exponentials xs [N, lanes]: h = e h + u B_t, y_t = h C_t. Each step is its own method so that C2 compiles
     * it whole: in a loop over time compiled on stack replacement, the vectors were boxed. The transition
     * is e = f + (1 - f) x for every floor (with f = 0, x * 1 + 0 = x exactly, as x >= 0): a branch on f
     * inside the loop made C2 box the vectors too.
     */
    private static void step(int n, int di, int c0, int row, double[] xs, double[] u, double[] bm, double[] cm,
                             double f, double keepShare, double[] h, double[] y) {
        int bo = row * n;
        DoubleVector uv = DoubleVector.fromArray(S, u, row * di + c0);
        DoubleVector acc = DoubleVector.zero(S);
        for (int s = 0; s < n; s++) {
            DoubleVector x = DoubleVector.fromArray(S, xs, s * LANES);
            DoubleVector e = x.mul(keepShare).add(f);
            DoubleVector hv = e.mul(DoubleVector.fromArray(S, h, s * LANES)).add(uv.mul(bm[bo + s]));
            hv.intoArray(h, s * LANES);
            acc = acc.add(hv.mul(cm[bo + s]));
        }
        acc.intoArray(y, row * di + c0);
    }

    /** One block's gradients; its dB and dC terms go to the batch row's stripes sb, scm [T, N, STRIPES]. */
    static void backwardBlock(SelectiveScanRecurrent.Saved sv, int b, int c0, Decays a, double[] dY, double[] dEnd,
                              double[] ddt, double[] dAparts, double[] du, double[] sb, double[] scm,
                              double[] dStart, Scratch sc) {
        SelectiveScanRecurrent.Dims d = sv.dims();
        int n = d.states(), di = d.channels(), chunks = d.chunks(), t = d.steps();
        double f = d.floor(), keepShare = 1 - f;
        double[] dh = sc.dh, dA = sc.dA;
        if (dEnd != null) {
            gather(dEnd, (b * di + c0) * n, n, n, dh);
        } else {
            java.util.Arrays.fill(dh, 0);
        }
        java.util.Arrays.fill(dA, 0);
        for (int k = chunks - 1; k >= 0; k--) {
            int t0 = k * SelectiveScanRecurrent.CHUNK, t1 = Math.min(t, t0 + SelectiveScanRecurrent.CHUNK);
            gather(sv.checkpoints(), ((b * di + c0) * chunks + k) * n, chunks * n, n, sc.hs[0]);
            for (int s = t0; s < t1; s++) {
                recompute(n, di, c0, b * t + s, sv, a, f, keepShare, sc.hs[s - t0], sc.hs[s - t0 + 1], sc.xs[s - t0]);
            }
            for (int s = t1 - 1; s >= t0; s--) {
                int so = s * n * SelectiveScanRecurrent.STRIPES + c0 % SelectiveScanRecurrent.STRIPES;
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
    private static void recompute(int n, int di, int c0, int row, SelectiveScanRecurrent.Saved sv, Decays a,
                                  double f, double keepShare, double[] prev, double[] now, double[] x) {
        int bo = row * n;
        ExpVector.expRows(x, sv.dt(), row * di + c0, a.at(), c0, di, n, a.bound());
        DoubleVector uv = DoubleVector.fromArray(S, sv.u(), row * di + c0);
        for (int m = 0; m < n; m++) {
            DoubleVector xv = DoubleVector.fromArray(S, x, m * LANES);
            DoubleVector e = xv.mul(keepShare).add(f);
            e.mul(DoubleVector.fromArray(S, prev, m * LANES)).add(uv.mul(sv.bm()[bo + m])).intoArray(now, m * LANES);
        }
    }

    /**
     * One step back: du, ddt for the row, dA and dh in the scratch, the channels' dB and dC terms added to
     * their stripes from so (state m at so + m * STRIPES). dL/d exp(dt A) = g h_{t-1} (1 - f), and 1 - f
     * is keepShare (1 without a floor).
     */
    private static void backStep(int n, int di, int c0, int row, SelectiveScanRecurrent.Saved sv, double[] at,
                                 double[] dY, double f, double keepShare, double[] prev, double[] now, double[] x,
                                 Scratch sc, double[] ddt, double[] du, double[] sb, double[] scm, int so) {
        int bo = row * n;
        double[] dh = sc.dh, dA = sc.dA;
        DoubleVector dtv = DoubleVector.fromArray(S, sv.dt(), row * di + c0);
        DoubleVector uv = DoubleVector.fromArray(S, sv.u(), row * di + c0);
        DoubleVector dy = DoubleVector.fromArray(S, dY, row * di + c0);
        DoubleVector duv = DoubleVector.zero(S), ddtv = DoubleVector.zero(S);
        for (int m = 0; m < n; m++) {
            int o = m * LANES, p = so + m * SelectiveScanRecurrent.STRIPES;
            DoubleVector.fromArray(S, scm, p).add(dy.mul(DoubleVector.fromArray(S, now, o))).intoArray(scm, p);
            DoubleVector g = DoubleVector.fromArray(S, dh, o).add(dy.mul(sv.cm()[bo + m]));
            duv = duv.add(g.mul(sv.bm()[bo + m]));
            DoubleVector.fromArray(S, sb, p).add(g.mul(uv)).intoArray(sb, p);
            DoubleVector xv = DoubleVector.fromArray(S, x, o);
            DoubleVector dxx = g.mul(DoubleVector.fromArray(S, prev, o)).mul(keepShare).mul(xv);
            ddtv = ddtv.add(dxx.mul(DoubleVector.fromArray(S, at, m * di + c0)));
            DoubleVector.fromArray(S, dA, o).add(dxx.mul(dtv)).intoArray(dA, o);
            g.mul(xv.mul(keepShare).add(f)).intoArray(dh, o);
        }
        duv.intoArray(du, row * di + c0);
        ddtv.intoArray(ddt, row * di + c0);
    }
}
