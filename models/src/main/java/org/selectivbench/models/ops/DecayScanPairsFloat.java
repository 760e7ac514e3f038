package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DecayScanFloat} for heads of K = V = half a vector (8 on a 512-bit machine: the embedded default's
 * width 32 over 4 heads), two heads side by side in one vector. Their q, k, v and o rows are adjacent, so
 * they load and store whole, where the lane-per-sequence form ({@link DecayScanLanesFloat}) gathers them
 * one float at a time (at these heads, moving the inputs cost more than the state's arithmetic); what is
 * per key or value row (k_x, q_x, dO_y, v_y) is broadcast to each half. Every entry sees the scalar
 * form's operations in its order, so the numbers are the same. Loaded only when {@link Simd#on}.
 *
 * <p>Forward keeps the pair's state as [K, 2V] (row x: head h's values, then head h + 1's). Backward sums
 * dv over keys on that layout and dq, dk and the decays' gradients over values on the transposed one,
 * [V, 2K]; dL/dS is kept in both, each updated from its own g, so they stay each other's transpose.
 * (A half-width species would do one head per vector, but a second float shape in the JVM made C2 keep
 * the matmul kernels' vectors as heap objects: 1.2 GB a step.)
 */
final class DecayScanPairsFloat {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int HALF = S.length() / 2;
    /** Lanes of the second head. */
    private static final VectorMask<Float> SECOND = VectorMask.fromLong(S, ((1L << S.length()) - 1) >>> HALF << HALF);
    private static final int CHUNK = DecayScanRecurrent.CHUNK;

    private DecayScanPairsFloat() {
    }

    /** Whether these heads pair up: K = V = half a vector, an even number of them. */
    static boolean takes(DecayScanRecurrent.Dims d) {
        return HALF >= 2 && d.k() == HALF && d.v() == HALF && d.heads() % 2 == 0 && !d.sharedKeys();
    }

    /** One thread's arrays, each [HALF, 2 HALF]. */
    static final class Work {
        final float[] s = Arena.floats(2 * HALF * HALF), dsRows = Arena.floats(2 * HALF * HALF);
        final float[] dsCols = Arena.floats(2 * HALF * HALF), sums = Arena.floats(2 * HALF);
        final float[][] states = new float[CHUNK + 1][2 * HALF * HALF];
    }

    /** (a at i, b at j) broadcast to the first and second head's lanes. */
    private static FloatVector two(float[] a, int i, int j) {
        return FloatVector.broadcast(S, a[i]).blend(a[j], SECOND);
    }

    /** The pair's decays per key row x: one vector per pair of entries, or null without a decay. */
    private static FloatVector decay(DecayScanRecurrent.Dims d, float[] alpha, int row, int h, int x) {
        return switch (d.decay()) {
            case CHANNEL -> two(alpha, (row * d.heads() + h) * HALF + x, (row * d.heads() + h + 1) * HALF + x);
            case HEAD -> two(alpha, row * d.heads() + h, row * d.heads() + h + 1);
            case NONE -> null; // 1 x s = s exactly
        };
    }

    /** The decays of the pair's keys, whole: [a_h, a_h+1] per channel, or per head broadcast; null for none. */
    private static FloatVector decays(DecayScanRecurrent.Dims d, float[] alpha, int row, int h) {
        return switch (d.decay()) {
            case CHANNEL -> FloatVector.fromArray(S, alpha, (row * d.heads() + h) * HALF);
            case HEAD -> two(alpha, row * d.heads() + h, row * d.heads() + h + 1);
            case NONE -> null;
        };
    }

    /** Forward for pair p: heads (2p mod H, +1) of batch 2p / H. */
    static void forward(DecayScanRecurrent.Dims d, int p, float[] q, float[] k, float[] v, float[] alpha,
                        float[] start, float[] o, float[] end, float[] ckpt, Work w) {
        int n = HALF, heads = d.heads(), g = 2 * p, b = g / heads, h = g % heads, kv = n * n;
        float[] s = w.s;
        for (int x = 0; x < n; x++) {
            for (int y = 0; y < 2 * n; y++) {
                s[x * 2 * n + y] = start == null ? 0 : start[(g + y / n) * kv + x * n + y % n];
            }
        }
        for (int t = 0; t < d.steps(); t++) {
            if (ckpt != null && t % CHUNK == 0) {
                toHeads(s, ckpt, g, d.chunks(), t / CHUNK);
            }
            int row = b * d.steps() + t, a0 = (row * heads + h) * n, a1 = a0 + n; // the two heads' rows
            FloatVector vv = FloatVector.fromArray(S, v, a0), acc = FloatVector.zero(S);
            for (int x = 0; x < n; x++) {
                FloatVector sv = FloatVector.fromArray(S, s, x * 2 * n);
                FloatVector ax = decay(d, alpha, row, h, x);
                if (ax != null) {
                    sv = sv.mul(ax);
                }
                sv = sv.add(vv.mul(two(k, a0 + x, a1 + x)));
                sv.intoArray(s, x * 2 * n);
                acc = acc.add(sv.mul(two(q, a0 + x, a1 + x)));
            }
            acc.intoArray(o, a0);
        }
        if (end != null) {
            toHeads(s, end, g, 1, 0);
        }
    }

    /** The pair's state [K, 2V] into slot {@code at} of each head's [slots, K, V] in {@code out}. */
    private static void toHeads(float[] s, float[] out, int g, int slots, int at) {
        int n = HALF, kv = n * n;
        for (int j = 0; j < 2; j++) {
            for (int x = 0; x < n; x++) {
                System.arraycopy(s, x * 2 * n + j * n, out, ((g + j) * slots + at) * kv + x * n, n);
            }
        }
    }

    /** Slot {@code at} of each head's [slots, K, V] transposed into the pair's [V, 2K] (zeros for null). */
    private static void fromHeadsTransposed(float[] in, int g, int slots, int at, float[] out) {
        int n = HALF, kv = n * n;
        for (int j = 0; j < 2; j++) {
            for (int x = 0; x < n; x++) {
                for (int y = 0; y < n; y++) {
                    out[y * 2 * n + j * n + x] = in == null ? 0 : in[((g + j) * slots + at) * kv + x * n + y];
                }
            }
        }
    }

    static void backward(DecayScanFloat.Saved sv, int p, float[] dO, float[] dEnd, float[] dq, float[] dk,
                         float[] dv, float[] da, float[] dStart, Work w) {
        DecayScanRecurrent.Dims d = sv.dims();
        int n = HALF, heads = d.heads(), g = 2 * p, b = g / heads, h = g % heads, kv = n * n;
        for (int x = 0; x < n; x++) {
            for (int y = 0; y < 2 * n; y++) {
                w.dsRows[x * 2 * n + y] = dEnd == null ? 0 : dEnd[(g + y / n) * kv + x * n + y % n];
            }
        }
        fromHeadsTransposed(dEnd, g, 1, 0, w.dsCols);
        for (int c = d.chunks() - 1; c >= 0; c--) {
            int t0 = c * CHUNK, t1 = Math.min(d.steps(), t0 + CHUNK);
            fromHeadsTransposed(sv.checkpoints(), g, d.chunks(), c, w.states[0]);
            for (int t = t0; t < t1; t++) {
                recompute(d, sv, b * d.steps() + t, h, w.states[t - t0], w.states[t - t0 + 1]);
            }
            for (int t = t1 - 1; t >= t0; t--) {
                back(d, sv, b * d.steps() + t, h, w.states[t - t0], w.states[t - t0 + 1], dO, dq, dk, dv, da, w);
            }
        }
        if (dStart != null) {
            toHeads(w.dsRows, dStart, g, 1, 0);
        }
    }

    /** now = diag(a) prev + k v^T on the transposed state [V, 2K] (backward's recomputation). */
    private static void recompute(DecayScanRecurrent.Dims d, DecayScanFloat.Saved sv, int row, int h, float[] prev,
                                  float[] now) {
        int n = HALF, a0 = (row * d.heads() + h) * n, a1 = a0 + n;
        FloatVector kk = FloatVector.fromArray(S, sv.k(), a0), a = decays(d, sv.alpha(), row, h);
        for (int y = 0; y < n; y++) {
            FloatVector s = FloatVector.fromArray(S, prev, y * 2 * n);
            if (a != null) {
                s = a.mul(s);
            }
            s.add(kk.mul(two(sv.v(), a0 + y, a1 + y))).intoArray(now, y * 2 * n);
        }
    }

    /** One step back: {@link DecayScanFloat}'s scalar back, two heads at a time. */
    private static void back(DecayScanRecurrent.Dims d, DecayScanFloat.Saved sv, int row, int h, float[] prev,
                             float[] now, float[] dO, float[] dq, float[] dk, float[] dv, float[] da, Work w) {
        int n = HALF, heads = d.heads(), a0 = (row * heads + h) * n, a1 = a0 + n;
        float[] q = sv.q(), k = sv.k(), v = sv.v(), rows = w.dsRows, cols = w.dsCols;
        // dv sums over keys: on [K, 2V], a lane per value
        FloatVector dOv = FloatVector.fromArray(S, dO, a0), dvv = FloatVector.zero(S);
        for (int x = 0; x < n; x++) {
            int so = x * 2 * n;
            FloatVector gv = FloatVector.fromArray(S, rows, so).add(dOv.mul(two(q, a0 + x, a1 + x)));
            dvv = dvv.add(gv.mul(two(k, a0 + x, a1 + x)));
            FloatVector ax = decay(d, sv.alpha(), row, h, x);
            (ax == null ? gv : gv.mul(ax)).intoArray(rows, so);
        }
        dvv.intoArray(dv, a0);
        // dq, dk and the decays' sums over values: on [V, 2K], a lane per key
        FloatVector qk = FloatVector.fromArray(S, q, a0), a = decays(d, sv.alpha(), row, h);
        FloatVector dqk = FloatVector.zero(S), dkk = dqk, dak = dqk;
        for (int y = 0; y < n; y++) {
            int so = y * 2 * n;
            FloatVector dOy = two(dO, a0 + y, a1 + y);
            dqk = dqk.add(FloatVector.fromArray(S, now, so).mul(dOy));
            FloatVector gk = FloatVector.fromArray(S, cols, so).add(qk.mul(dOy));
            dkk = dkk.add(gk.mul(two(v, a0 + y, a1 + y)));
            if (a != null) {
                dak = dak.add(gk.mul(FloatVector.fromArray(S, prev, so)));
                gk = gk.mul(a);
            }
            gk.intoArray(cols, so);
        }
        dqk.intoArray(dq, a0);
        dkk.intoArray(dk, a0);
        if (d.decay() == DecayScanRecurrent.Decay.CHANNEL) {
            dak.mul(a).intoArray(da, a0);
        } else if (d.decay() == DecayScanRecurrent.Decay.HEAD) {
            dak.intoArray(w.sums, 0);
            for (int j = 0; j < 2; j++) {
                float sum = 0;
                for (int x = 0; x < n; x++) {
                    sum += w.sums[j * n + x];
                }
                da[row * heads + h + j] = sum * sv.alpha()[row * heads + h + j];
            }
        }
    }
}
