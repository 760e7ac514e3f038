package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DecayScanLanes} in float, the lane form of {@link DecayScanFloat}: one sequence per lane (16 on
 * a 512-bit machine against the double form's 8), each running exactly the scalar float form's
 * operations in their order, so the two give the same bits. Loaded only when {@link Simd#on}.
 */
final class DecayScanLanesFloat {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int LANES = S.length();
    private static final int CHUNK = DecayScanRecurrent.CHUNK;

    private DecayScanLanesFloat() {
    }

    /** Whole groups of lanes among {@code sequences}. */
    static int groups(int sequences) {
        return LANES < 2 ? 0 : sequences / LANES;
    }

    /** One thread's arrays, lane-minor: [..., lanes]. */
    static final class Work {
        final float[] s, o, dO, ds, dq, dk, dv, dax;
        /** The token's inputs in lanes; in backward, a chunk's tokens each in their own slot of {@link #tokens}. */
        float[] q, k, v, ax;
        /** Backward: q, k, v and the decays of each token of a chunk, gathered once for both passes over it. */
        final float[][][] tokens;
        final float[][] states;
        /** Per lane: the offset of its sequence's key row, value row and head decay at token 0 (gathers' maps). */
        final int[] keys = new int[LANES], values = new int[LANES], headDecays = new int[LANES];

        /** Points the lane offsets at the group from sequence g0. */
        void group(DecayScanRecurrent.Dims d, int g0) {
            for (int l = 0; l < LANES; l++) {
                int g = g0 + l, row = g / d.heads() * d.steps() * d.heads() + g % d.heads(); // (b, t = 0, h)
                headDecays[l] = row;
                keys[l] = row * d.k();
                values[l] = row * d.v();
            }
        }

        Work(DecayScanRecurrent.Dims d, boolean backward) {
            int kd = d.k(), vd = d.v(), kv = d.state(), b = backward ? 1 : 0;
            s = Arena.floats(kv * LANES);
            q = Arena.floats(kd * LANES);
            k = Arena.floats(kd * LANES);
            v = Arena.floats(vd * LANES);
            ax = Arena.floats(kd * LANES);
            java.util.Arrays.fill(ax, 1); // no decay: 1 x s = s exactly, as in the scalar form
            o = Arena.floats(vd * LANES);
            dO = Arena.floats(b * vd * LANES);
            ds = Arena.floats(b * kv * LANES);
            dq = Arena.floats(b * kd * LANES);
            dk = Arena.floats(b * kd * LANES);
            dv = Arena.floats(b * vd * LANES);
            dax = Arena.floats(b * kd * LANES);
            states = new float[b * (CHUNK + 1)][kv * LANES];
            tokens = new float[b * CHUNK][][];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = new float[][] {Arena.floats(kd * LANES), Arena.floats(kd * LANES), Arena.floats(vd * LANES),
                    Arena.floats(kd * LANES)};
                java.util.Arrays.fill(tokens[i][3], 1);
            }
        }
    }

    static void forward(DecayScanRecurrent.Dims d, int g0, float[] q, float[] k, float[] v, float[] alpha,
                        float[] start, float[] o, float[] end, float[] ckpt, Work w) {
        int kv = d.state();
        w.group(d, g0);
        toLanes(start, g0, kv, w.s);
        for (int t = 0; t < d.steps(); t++) {
            if (ckpt != null && t % CHUNK == 0) {
                fromLanes(w.s, g0, kv, d.chunks(), t / CHUNK, ckpt);
            }
            gather(d, t, q, k, v, alpha, w);
            stepReadout(d.k(), d.v(), w);
            VectorLoops.scatterRows(w.o, o, t * d.heads() * d.v(), d.v(), w.values);
        }
        if (end != null) {
            fromLanes(w.s, g0, kv, 1, 0, end);
        }
    }

    /** Points q, k, v and ax at the token slot i of {@link Work#tokens}. */
    private static void token(Work w, int i) {
        w.q = w.tokens[i][0];
        w.k = w.tokens[i][1];
        w.v = w.tokens[i][2];
        w.ax = w.tokens[i][3];
    }

    static void backward(DecayScanFloat.Saved sv, int g0, float[] dO, float[] dEnd, float[] dq, float[] dk,
                         float[] dv, float[] da, float[] dStart, Work w) {
        DecayScanRecurrent.Dims d = sv.dims();
        int kd = d.k(), vd = d.v(), kv = d.state();
        w.group(d, g0);
        toLanes(dEnd, g0, kv, w.ds);
        for (int c = d.chunks() - 1; c >= 0; c--) {
            int t0 = c * CHUNK, t1 = Math.min(d.steps(), t0 + CHUNK);
            for (int l = 0; l < LANES; l++) {
                for (int e = 0; e < kv; e++) {
                    w.states[0][e * LANES + l] = sv.checkpoints()[((g0 + l) * d.chunks() + c) * kv + e];
                }
            }
            for (int t = t0; t < t1; t++) {
                token(w, t - t0);
                gather(d, t, sv.q(), sv.k(), sv.v(), sv.alpha(), w);
                step(kd, vd, w, w.states[t - t0], w.states[t - t0 + 1]);
            }
            for (int t = t1 - 1; t >= t0; t--) {
                token(w, t - t0);
                VectorLoops.gatherRows(dO, t * d.heads() * vd, vd, w.values, w.dO);
                back(kd, vd, w, w.states[t - t0], w.states[t - t0 + 1]);
                scatterGrads(d, t, w, dq, dk, dv, da);
            }
        }
        if (dStart != null) {
            fromLanes(w.ds, g0, kv, 1, 0, dStart);
        }
    }

    /** S = diag(ax) S + k v^T and o = S^T q, one key row at a time (the scalar form's order). */
    private static void stepReadout(int kd, int vd, Work w) {
        java.util.Arrays.fill(w.o, 0);
        for (int x = 0; x < kd; x++) {
            FloatVector ax = FloatVector.fromArray(S, w.ax, x * LANES), kx = FloatVector.fromArray(S, w.k, x * LANES);
            FloatVector qx = FloatVector.fromArray(S, w.q, x * LANES);
            for (int y = 0; y < vd; y++) {
                int so = (x * vd + y) * LANES;
                FloatVector sv = ax.mul(FloatVector.fromArray(S, w.s, so))
                        .add(kx.mul(FloatVector.fromArray(S, w.v, y * LANES)));
                sv.intoArray(w.s, so);
                FloatVector.fromArray(S, w.o, y * LANES).add(sv.mul(qx)).intoArray(w.o, y * LANES);
            }
        }
    }

    /** now = diag(ax) prev + k v^T (backward's recomputation). */
    private static void step(int kd, int vd, Work w, float[] prev, float[] now) {
        for (int x = 0; x < kd; x++) {
            FloatVector ax = FloatVector.fromArray(S, w.ax, x * LANES), kx = FloatVector.fromArray(S, w.k, x * LANES);
            for (int y = 0; y < vd; y++) {
                int so = (x * vd + y) * LANES;
                ax.mul(FloatVector.fromArray(S, prev, so)).add(kx.mul(FloatVector.fromArray(S, w.v, y * LANES)))
                        .intoArray(now, so);
            }
        }
    }

    /**
     * One step back: ds holds dL/dS_t on entry and dL/dS_{t-1} on exit; dq, dk, dv, and in dax each key
     * row's sum g . S_{t-1}, from which the decays' gradients follow.
     */
    private static void back(int kd, int vd, Work w, float[] prev, float[] now) {
        java.util.Arrays.fill(w.dv, 0);
        for (int x = 0; x < kd; x++) {
            FloatVector qx = FloatVector.fromArray(S, w.q, x * LANES), kx = FloatVector.fromArray(S, w.k, x * LANES);
            FloatVector ax = FloatVector.fromArray(S, w.ax, x * LANES);
            FloatVector dqx = FloatVector.zero(S), dkx = FloatVector.zero(S), dax = FloatVector.zero(S);
            for (int y = 0; y < vd; y++) {
                int so = (x * vd + y) * LANES;
                FloatVector dOy = FloatVector.fromArray(S, w.dO, y * LANES);
                dqx = dqx.add(FloatVector.fromArray(S, now, so).mul(dOy));
                FloatVector g = FloatVector.fromArray(S, w.ds, so).add(qx.mul(dOy));
                dkx = dkx.add(g.mul(FloatVector.fromArray(S, w.v, y * LANES)));
                FloatVector.fromArray(S, w.dv, y * LANES).add(g.mul(kx)).intoArray(w.dv, y * LANES);
                dax = dax.add(g.mul(FloatVector.fromArray(S, prev, so)));
                g.mul(ax).intoArray(w.ds, so);
            }
            dqx.intoArray(w.dq, x * LANES);
            dkx.intoArray(w.dk, x * LANES);
            dax.intoArray(w.dax, x * LANES);
        }
    }

    /** The token's q, k, v and decays of the group's sequences, one lane each. */
    private static void gather(DecayScanRecurrent.Dims d, int t, float[] q, float[] k, float[] v,
                               float[] alpha, Work w) {
        int kd = d.k(), heads = d.heads(), kt = t * heads * kd;
        VectorLoops.gatherRows(q, kt, kd, w.keys, w.q);
        VectorLoops.gatherRows(k, kt, kd, w.keys, w.k);
        VectorLoops.gatherRows(v, t * heads * d.v(), d.v(), w.values, w.v);
        if (d.decay() == DecayScanRecurrent.Decay.CHANNEL) {
            VectorLoops.gatherRows(alpha, kt, kd, w.keys, w.ax);
        } else if (d.decay() == DecayScanRecurrent.Decay.HEAD) {
            FloatVector a = FloatVector.fromArray(S, alpha, t * heads, w.headDecays, 0);
            for (int x = 0; x < kd; x++) {
                a.intoArray(w.ax, x * LANES);
            }
        }
    }

    /** dq, dk, dv, and the decays' gradients as the scalar form forms them: dax alpha per key row, or per head. */
    private static void scatterGrads(DecayScanRecurrent.Dims d, int t, Work w, float[] dq, float[] dk,
                                     float[] dv, float[] da) {
        int kd = d.k(), heads = d.heads(), kt = t * heads * kd;
        VectorLoops.scatterRows(w.dq, dq, kt, kd, w.keys);
        VectorLoops.scatterRows(w.dk, dk, kt, kd, w.keys);
        VectorLoops.scatterRows(w.dv, dv, t * heads * d.v(), d.v(), w.values);
        if (d.decay() == DecayScanRecurrent.Decay.CHANNEL) {
            for (int x = 0; x < kd; x++) {
                FloatVector.fromArray(S, w.dax, x * LANES).mul(FloatVector.fromArray(S, w.ax, x * LANES))
                        .intoArray(da, kt + x, w.keys, 0);
            }
            return;
        }
        for (int l = 0; l < LANES && d.decay() == DecayScanRecurrent.Decay.HEAD; l++) {
            float sum = 0;
            for (int x = 0; x < kd; x++) {
                sum += w.dax[x * LANES + l];
            }
            da[w.headDecays[l] + t * heads] = sum * w.ax[l];
        }
    }

    /** States [sequences, n] of the group into lanes [n, lanes] (zeros for null). */
    private static void toLanes(float[] states, int g0, int n, float[] out) {
        for (int l = 0; l < LANES; l++) {
            for (int e = 0; e < n; e++) {
                out[e * LANES + l] = states == null ? 0 : states[(g0 + l) * n + e];
            }
        }
    }

    /** Lanes [n, lanes] into slot {@code at} of {@code slots} per sequence: [sequences, slots, n]. */
    private static void fromLanes(float[] lanes, int g0, int n, int slots, int at, float[] states) {
        for (int l = 0; l < LANES; l++) {
            for (int e = 0; e < n; e++) {
                states[((g0 + l) * slots + at) * n + e] = lanes[e * LANES + l];
            }
        }
    }
}
