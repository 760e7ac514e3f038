package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DecayScanFloat} for heads of half a vector of keys (8 on a 512-bit machine: the embedded
 * default's width 32 over 4 heads) and half a vector of values or whole vectors of them (linear
 * attention's 8, GLA's 16), two heads at a time. Their q, k, v and o rows are adjacent, so they load and
 * store whole, where the lane-per-sequence form ({@link DecayScanLanesFloat}) gathers them one float at a
 * time (at these heads, moving the inputs cost more than the state's arithmetic); what is per key or
 * value row (k_x, q_x, dO_y, v_y) is broadcast to each head's lanes. Every entry sees the scalar form's
 * operations in its order, so the numbers are the same. Loaded only when {@link Simd#on}.
 *
 * <p>Forward keeps the pair's state as [K, 2V] (row x: head h's values, then head h + 1's; a vector holds
 * both heads at V = half a vector, one otherwise). Backward sums dv over keys on that layout and dq, dk
 * and the decays' gradients over values on the transposed one, [V, 2K], a vector per row; dL/dS is kept
 * in both, each updated from its own g, so they stay each other's transpose.
 * (A half-width species would do one head per vector, but a second float shape in the JVM made C2 keep
 * the matmul kernels' vectors as heap objects: 1.2 GB a step.)
 *
 * <p>Linear attention's 8 x 8 heads without decay keep their state in registers through a chunk
 * ({@link DecayScanPairsEightFloat}), and so does GLA's backward at 8 x 16 with a decay per key
 * ({@link DecayScanPairsSixteenFloat}).
 */
final class DecayScanPairsFloat {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int HALF = S.length() / 2;
    /** The upper half's lanes: the second head's at V = half a vector. */
    private static final VectorMask<Float> SECOND = VectorMask.fromLong(S, ((1L << S.length()) - 1) >>> HALF << HALF);
    private static final int CHUNK = DecayScanRecurrent.CHUNK;

    private DecayScanPairsFloat() {
    }

    /** Whether these heads pair up: K half a vector, V half a vector or whole ones, an even number of heads. */
    static boolean takes(DecayScanRecurrent.Dims d) {
        return HALF >= 2 && d.k() == HALF && (d.v() == HALF || d.v() % S.length() == 0) && d.heads() % 2 == 0
                && !d.sharedKeys();
    }

    /** One thread's arrays: the pair's state and dL/dS in both layouts, the chunk's states transposed. */
    static final class Work {
        /** The step's decays of the pair ({@link #decays}). */
        final float[] s, dsRows, dsCols, sums = Arena.floats(2 * HALF), dec = Arena.floats(2 * HALF);
        final float[][] states;

        Work(DecayScanRecurrent.Dims d) {
            int pair = 2 * d.state();
            s = Arena.floats(pair);
            dsRows = Arena.floats(pair);
            dsCols = Arena.floats(pair);
            states = new float[CHUNK + 1][pair];
        }
    }

    /**
     * The decays of the pair's keys at row into dec, a float per (head, key) (a head's one decay HALF times);
     * false without a decay (1 x s = s exactly). Vectors are made where they are used, here and below: a
     * method returning one, not inlined by C2 in some JVM, returns it as a heap object ({@link Simd}). Key x
     * of heads h + ha (lower lanes) and h + hb (upper) is then broadcast(dec[ha HALF + x]).blend(dec[hb HALF + x]).
     */
    private static boolean decays(DecayScanRecurrent.Dims d, float[] alpha, int row, int h, float[] dec) {
        int r = row * d.heads() + h;
        switch (d.decay()) {
            case CHANNEL -> System.arraycopy(alpha, r * HALF, dec, 0, 2 * HALF);
            case HEAD -> {
                java.util.Arrays.fill(dec, 0, HALF, alpha[r]);
                java.util.Arrays.fill(dec, HALF, 2 * HALF, alpha[r + 1]);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** Forward for pair p: heads (2p mod H, +1) of batch 2p / H. */
    static void forward(DecayScanRecurrent.Dims d, int p, float[] q, float[] k, float[] v, float[] alpha,
                        float[] start, float[] o, float[] end, float[] ckpt, Work w) {
        int kd = HALF, vd = d.v(), lanes = S.length(), heads = d.heads(), g = 2 * p, b = g / heads, h = g % heads;
        float[] s = w.s;
        fromHeads(start, g, vd, s);
        if (DecayScanPairsEightFloat.takes(d)) {
            for (int t0 = 0; t0 < d.steps(); t0 += CHUNK) {
                if (ckpt != null) {
                    toHeads(s, vd, ckpt, g, d.chunks(), t0 / CHUNK);
                }
                DecayScanPairsEightFloat.forward(d, b, h, t0, Math.min(d.steps(), t0 + CHUNK), q, k, v, o, s);
            }
            if (end != null) {
                toHeads(s, vd, end, g, 1, 0);
            }
            return;
        }
        for (int t = 0; t < d.steps(); t++) {
            if (ckpt != null && t % CHUNK == 0) {
                toHeads(s, vd, ckpt, g, d.chunks(), t / CHUNK);
            }
            int row = b * d.steps() + t, k0 = (row * heads + h) * kd, v0 = (row * heads + h) * vd;
            boolean decayed = decays(d, alpha, row, h, w.dec);
            for (int c = 0; c < 2 * vd; c += lanes) { // a vector of the pair's value row: heads h + ha to h + hb
                int ha = c / vd, hb = (c + lanes - 1) / vd;
                FloatVector vv = FloatVector.fromArray(S, v, v0 + c), acc = FloatVector.zero(S);
                if (ha == hb) { // one head's values: its keys broadcast, no blend (GLA's V = 16)
                    for (int x = 0; x < kd; x++) {
                        int so = x * 2 * vd + c, xa = ha * kd + x;
                        FloatVector sv = FloatVector.fromArray(S, s, so);
                        if (decayed) {
                            sv = sv.mul(FloatVector.broadcast(S, w.dec[xa]));
                        }
                        sv = sv.add(vv.mul(FloatVector.broadcast(S, k[k0 + xa])));
                        sv.intoArray(s, so);
                        acc = acc.add(sv.mul(FloatVector.broadcast(S, q[k0 + xa])));
                    }
                } else {
                    for (int x = 0; x < kd; x++) {
                        int so = x * 2 * vd + c, xa = ha * kd + x, xb = hb * kd + x;
                        FloatVector sv = FloatVector.fromArray(S, s, so);
                        if (decayed) {
                            sv = sv.mul(FloatVector.broadcast(S, w.dec[xa]).blend(w.dec[xb], SECOND));
                        }
                        sv = sv.add(vv.mul(FloatVector.broadcast(S, k[k0 + xa]).blend(k[k0 + xb], SECOND)));
                        sv.intoArray(s, so);
                        acc = acc.add(sv.mul(FloatVector.broadcast(S, q[k0 + xa]).blend(q[k0 + xb], SECOND)));
                    }
                }
                acc.intoArray(o, v0 + c);
            }
        }
        if (end != null) {
            toHeads(s, vd, end, g, 1, 0);
        }
    }

    /** Each head's [K, V] state of the pair into its [K, 2V] (zeros for null). */
    private static void fromHeads(float[] in, int g, int vd, float[] s) {
        int kv = HALF * vd;
        for (int j = 0; j < 2; j++) {
            for (int x = 0; x < HALF; x++) {
                if (in == null) {
                    java.util.Arrays.fill(s, x * 2 * vd + j * vd, x * 2 * vd + (j + 1) * vd, 0);
                } else {
                    System.arraycopy(in, (g + j) * kv + x * vd, s, x * 2 * vd + j * vd, vd);
                }
            }
        }
    }

    /** The pair's [K, 2V] into slot {@code at} of each head's [slots, K, V] in {@code out}. */
    private static void toHeads(float[] s, int vd, float[] out, int g, int slots, int at) {
        int kv = HALF * vd;
        for (int j = 0; j < 2; j++) {
            for (int x = 0; x < HALF; x++) {
                System.arraycopy(s, x * 2 * vd + j * vd, out, ((g + j) * slots + at) * kv + x * vd, vd);
            }
        }
    }

    /** Slot {@code at} of each head's [slots, K, V] transposed into the pair's [V, 2K] (zeros for null). */
    private static void fromHeadsTransposed(float[] in, int g, int vd, int slots, int at, float[] out) {
        int kd = HALF, kv = kd * vd;
        for (int j = 0; j < 2; j++) {
            for (int x = 0; x < kd; x++) {
                for (int y = 0; y < vd; y++) {
                    out[y * 2 * kd + j * kd + x] = in == null ? 0 : in[((g + j) * slots + at) * kv + x * vd + y];
                }
            }
        }
    }

    static void backward(DecayScanFloat.Saved sv, int p, float[] dO, float[] dEnd, float[] dq, float[] dk,
                         float[] dv, float[] da, float[] dStart, Work w) {
        DecayScanRecurrent.Dims d = sv.dims();
        int vd = d.v(), heads = d.heads(), g = 2 * p, b = g / heads, h = g % heads;
        fromHeads(dEnd, g, vd, w.dsRows);
        fromHeadsTransposed(dEnd, g, vd, 1, 0, w.dsCols);
        chunksBack(sv, b, h, dO, dq, dk, dv, da, w);
        if (dStart != null) {
            toHeads(w.dsRows, vd, dStart, g, 1, 0);
        }
    }

    /** Backward's chunks, last first: each chunk's states recomputed, then its steps back, last first. */
    private static void chunksBack(DecayScanFloat.Saved sv, int b, int h, float[] dO, float[] dq, float[] dk,
                                   float[] dv, float[] da, Work w) {
        DecayScanRecurrent.Dims d = sv.dims();
        int vd = d.v(), g = b * d.heads() + h;
        for (int c = d.chunks() - 1; c >= 0; c--) {
            int t0 = c * CHUNK, t1 = Math.min(d.steps(), t0 + CHUNK);
            fromHeadsTransposed(sv.checkpoints(), g, vd, d.chunks(), c, w.states[0]);
            if (DecayScanPairsSixteenFloat.takes(d)) {
                DecayScanPairsSixteenFloat.recompute(d, sv, b, h, t0, t1, w.states);
                DecayScanPairsSixteenFloat.backValues(d, sv, b, h, t0, t1, dO, dv, w.dsRows);
                DecayScanPairsSixteenFloat.backKeysFirst(d, sv, b, h, t0, t1, w.states, dO, dq, dk, da, w.dsCols);
                DecayScanPairsSixteenFloat.backKeysLast(d, sv, b, h, t0, t1, w.states, dO, dq, dk, da, w.dsCols);
            } else if (DecayScanPairsEightFloat.takes(d)) {
                DecayScanPairsEightFloat.recompute(d, sv, b, h, t0, t1, w.states);
                DecayScanPairsEightFloat.back(d, sv, b, h, t0, t1, w.states, dO, dq, dk, dv, w.dsRows, w.dsCols);
            } else {
                for (int t = t0; t < t1; t++) {
                    recompute(d, sv, b * d.steps() + t, h, w.states[t - t0], w.states[t - t0 + 1], w.dec);
                }
                for (int t = t1 - 1; t >= t0; t--) {
                    back(d, sv, b * d.steps() + t, h, w.states[t - t0], w.states[t - t0 + 1], dO, dq, dk, dv, da, w);
                }
            }
        }
    }

    /** now = diag(a) prev + k v^T on the transposed state [V, 2K] (backward's recomputation). */
    private static void recompute(DecayScanRecurrent.Dims d, DecayScanFloat.Saved sv, int row, int h, float[] prev,
                                  float[] now, float[] dec) {
        int kd = HALF, vd = d.v(), v0 = (row * d.heads() + h) * vd;
        float[] v = sv.v();
        boolean decayed = decays(d, sv.alpha(), row, h, dec);
        FloatVector kk = FloatVector.fromArray(S, sv.k(), (row * d.heads() + h) * kd);
        for (int y = 0; y < vd; y++) {
            FloatVector s = FloatVector.fromArray(S, prev, y * 2 * kd);
            if (decayed) {
                s = FloatVector.fromArray(S, dec, 0).mul(s);
            }
            s.add(kk.mul(FloatVector.broadcast(S, v[v0 + y]).blend(v[v0 + vd + y], SECOND))).intoArray(now, y * 2 * kd);
        }
    }

    /** One step back: {@link DecayScanFloat}'s scalar back, two heads at a time. */
    private static void back(DecayScanRecurrent.Dims d, DecayScanFloat.Saved sv, int row, int h, float[] prev,
                             float[] now, float[] dO, float[] dq, float[] dk, float[] dv, float[] da, Work w) {
        int kd = HALF, vd = d.v(), lanes = S.length(), heads = d.heads();
        int k0 = (row * heads + h) * kd, v0 = (row * heads + h) * vd;
        float[] q = sv.q(), k = sv.k(), v = sv.v(), rows = w.dsRows, cols = w.dsCols;
        boolean decayed = decays(d, sv.alpha(), row, h, w.dec);
        for (int c = 0; c < 2 * vd; c += lanes) { // dv sums over keys: on [K, 2V], a lane per value
            int ha = c / vd, hb = (c + lanes - 1) / vd;
            FloatVector dOv = FloatVector.fromArray(S, dO, v0 + c), dvv = FloatVector.zero(S);
            if (ha == hb) { // one head's values, as in forward
                for (int x = 0; x < kd; x++) {
                    int so = x * 2 * vd + c, xa = ha * kd + x;
                    FloatVector gv = FloatVector.fromArray(S, rows, so)
                            .add(dOv.mul(FloatVector.broadcast(S, q[k0 + xa])));
                    dvv = dvv.add(gv.mul(FloatVector.broadcast(S, k[k0 + xa])));
                    if (decayed) {
                        gv = gv.mul(FloatVector.broadcast(S, w.dec[xa]));
                    }
                    gv.intoArray(rows, so);
                }
            } else {
                for (int x = 0; x < kd; x++) {
                    int so = x * 2 * vd + c, xa = ha * kd + x, xb = hb * kd + x;
                    FloatVector gv = FloatVector.fromArray(S, rows, so)
                            .add(dOv.mul(FloatVector.broadcast(S, q[k0 + xa]).blend(q[k0 + xb], SECOND)));
                    dvv = dvv.add(gv.mul(FloatVector.broadcast(S, k[k0 + xa]).blend(k[k0 + xb], SECOND)));
                    if (decayed) {
                        gv = gv.mul(FloatVector.broadcast(S, w.dec[xa]).blend(w.dec[xb], SECOND));
                    }
                    gv.intoArray(rows, so);
                }
            }
            dvv.intoArray(dv, v0 + c);
        }
        // dq, dk and the decays' sums over values: on [V, 2K], a lane per key
        FloatVector qk = FloatVector.fromArray(S, q, k0), dqk = FloatVector.zero(S), dkk = dqk, dak = dqk;
        for (int y = 0; y < vd; y++) {
            int so = y * 2 * kd;
            FloatVector dOy = FloatVector.broadcast(S, dO[v0 + y]).blend(dO[v0 + vd + y], SECOND);
            dqk = dqk.add(FloatVector.fromArray(S, now, so).mul(dOy));
            FloatVector gk = FloatVector.fromArray(S, cols, so).add(qk.mul(dOy));
            dkk = dkk.add(gk.mul(FloatVector.broadcast(S, v[v0 + y]).blend(v[v0 + vd + y], SECOND)));
            if (decayed) {
                dak = dak.add(gk.mul(FloatVector.fromArray(S, prev, so)));
                gk = gk.mul(FloatVector.fromArray(S, w.dec, 0));
            }
            gk.intoArray(cols, so);
        }
        dqk.intoArray(dq, k0);
        dkk.intoArray(dk, k0);
        if (d.decay() == DecayScanRecurrent.Decay.CHANNEL) {
            dak.mul(FloatVector.fromArray(S, w.dec, 0)).intoArray(da, k0);
        } else if (d.decay() == DecayScanRecurrent.Decay.HEAD) {
            dak.intoArray(w.sums, 0);
            for (int j = 0; j < 2; j++) {
                float sum = 0;
                for (int x = 0; x < kd; x++) {
                    sum += w.sums[j * kd + x];
                }
                da[row * heads + h + j] = sum * sv.alpha()[row * heads + h + j];
            }
        }
    }
}
