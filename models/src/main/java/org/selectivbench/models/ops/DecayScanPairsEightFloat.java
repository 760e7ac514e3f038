package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DecayScanPairsFloat} for linear attention's heads on a 512-bit machine: 8 keys, 8 values, no
 * decay, two heads a vector. Through a chunk of steps the pair's state (forward) and dL/dS in both
 * layouts (backward) stay in registers, each key's or value's terms written out, where the loops over
 * keys kept them in arrays: a store and a load per vector and step, and the loop's own work. Each
 * method runs steps of one chunk and calls nothing while it holds vectors: with vectors live across a
 * call, C2 kept them as heap objects (twice as slow). The same operations in the same order, so the same
 * bits ({@code DecayScanTest}). Loaded only when {@link Simd#on}.
 */
final class DecayScanPairsEightFloat {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** The upper half's lanes: the second head's. */
    private static final VectorMask<Float> SECOND = VectorMask.fromLong(S, 0xff00L);

    private DecayScanPairsEightFloat() {
    }

    /** Whether it takes these heads: 8 keys and 8 values on 16 lanes, no decay, paired. */
    static boolean takes(DecayScanRecurrent.Dims d) {
        return S.length() == 16 && d.k() == 8 && d.v() == 8 && d.decay() == DecayScanRecurrent.Decay.NONE
                && DecayScanPairsFloat.takes(d);
    }

    /** Forward steps [t0, t1) of the pair at head h of batch b, from its [K, 2V] state s, left in s. */
    static void forward(DecayScanRecurrent.Dims d, int b, int h, int t0, int t1, float[] q, float[] k, float[] v,
                        float[] o, float[] s) {
        FloatVector s0 = FloatVector.fromArray(S, s, 0);
        FloatVector s1 = FloatVector.fromArray(S, s, 16);
        FloatVector s2 = FloatVector.fromArray(S, s, 32);
        FloatVector s3 = FloatVector.fromArray(S, s, 48);
        FloatVector s4 = FloatVector.fromArray(S, s, 64);
        FloatVector s5 = FloatVector.fromArray(S, s, 80);
        FloatVector s6 = FloatVector.fromArray(S, s, 96);
        FloatVector s7 = FloatVector.fromArray(S, s, 112);
        for (int t = t0; t < t1; t++) {
            int k0 = ((b * d.steps() + t) * d.heads() + h) * 8;
            FloatVector vv = FloatVector.fromArray(S, v, k0), acc = FloatVector.zero(S);
            s0 = s0.add(vv.mul(FloatVector.broadcast(S, k[k0 + 0]).blend(k[k0 + 8], SECOND)));
            acc = acc.add(s0.mul(FloatVector.broadcast(S, q[k0 + 0]).blend(q[k0 + 8], SECOND)));
            s1 = s1.add(vv.mul(FloatVector.broadcast(S, k[k0 + 1]).blend(k[k0 + 9], SECOND)));
            acc = acc.add(s1.mul(FloatVector.broadcast(S, q[k0 + 1]).blend(q[k0 + 9], SECOND)));
            s2 = s2.add(vv.mul(FloatVector.broadcast(S, k[k0 + 2]).blend(k[k0 + 10], SECOND)));
            acc = acc.add(s2.mul(FloatVector.broadcast(S, q[k0 + 2]).blend(q[k0 + 10], SECOND)));
            s3 = s3.add(vv.mul(FloatVector.broadcast(S, k[k0 + 3]).blend(k[k0 + 11], SECOND)));
            acc = acc.add(s3.mul(FloatVector.broadcast(S, q[k0 + 3]).blend(q[k0 + 11], SECOND)));
            s4 = s4.add(vv.mul(FloatVector.broadcast(S, k[k0 + 4]).blend(k[k0 + 12], SECOND)));
            acc = acc.add(s4.mul(FloatVector.broadcast(S, q[k0 + 4]).blend(q[k0 + 12], SECOND)));
            s5 = s5.add(vv.mul(FloatVector.broadcast(S, k[k0 + 5]).blend(k[k0 + 13], SECOND)));
            acc = acc.add(s5.mul(FloatVector.broadcast(S, q[k0 + 5]).blend(q[k0 + 13], SECOND)));
            s6 = s6.add(vv.mul(FloatVector.broadcast(S, k[k0 + 6]).blend(k[k0 + 14], SECOND)));
            acc = acc.add(s6.mul(FloatVector.broadcast(S, q[k0 + 6]).blend(q[k0 + 14], SECOND)));
            s7 = s7.add(vv.mul(FloatVector.broadcast(S, k[k0 + 7]).blend(k[k0 + 15], SECOND)));
            acc = acc.add(s7.mul(FloatVector.broadcast(S, q[k0 + 7]).blend(q[k0 + 15], SECOND)));
            acc.intoArray(o, k0);
        }
        s0.intoArray(s, 0);
        s1.intoArray(s, 16);
        s2.intoArray(s, 32);
        s3.intoArray(s, 48);
        s4.intoArray(s, 64);
        s5.intoArray(s, 80);
        s6.intoArray(s, 96);
        s7.intoArray(s, 112);
    }

    /**
     * Backward's recomputation of steps [t0, t1) in the [V, 2K] layout: states[t - t0 + 1] = states[t - t0] +
     * k_t v_t^T, from states[0].
     */
    static void recompute(DecayScanRecurrent.Dims d, DecayScanFloat.Saved sv, int b, int h, int t0, int t1,
                          float[][] states) {
        float[] k = sv.k(), v = sv.v();
        FloatVector s0 = FloatVector.fromArray(S, states[0], 0);
        FloatVector s1 = FloatVector.fromArray(S, states[0], 16);
        FloatVector s2 = FloatVector.fromArray(S, states[0], 32);
        FloatVector s3 = FloatVector.fromArray(S, states[0], 48);
        FloatVector s4 = FloatVector.fromArray(S, states[0], 64);
        FloatVector s5 = FloatVector.fromArray(S, states[0], 80);
        FloatVector s6 = FloatVector.fromArray(S, states[0], 96);
        FloatVector s7 = FloatVector.fromArray(S, states[0], 112);
        for (int t = t0; t < t1; t++) {
            int k0 = ((b * d.steps() + t) * d.heads() + h) * 8;
            FloatVector kk = FloatVector.fromArray(S, k, k0);
            float[] now = states[t - t0 + 1];
            s0 = s0.add(kk.mul(FloatVector.broadcast(S, v[k0 + 0]).blend(v[k0 + 8], SECOND)));
            s0.intoArray(now, 0);
            s1 = s1.add(kk.mul(FloatVector.broadcast(S, v[k0 + 1]).blend(v[k0 + 9], SECOND)));
            s1.intoArray(now, 16);
            s2 = s2.add(kk.mul(FloatVector.broadcast(S, v[k0 + 2]).blend(v[k0 + 10], SECOND)));
            s2.intoArray(now, 32);
            s3 = s3.add(kk.mul(FloatVector.broadcast(S, v[k0 + 3]).blend(v[k0 + 11], SECOND)));
            s3.intoArray(now, 48);
            s4 = s4.add(kk.mul(FloatVector.broadcast(S, v[k0 + 4]).blend(v[k0 + 12], SECOND)));
            s4.intoArray(now, 64);
            s5 = s5.add(kk.mul(FloatVector.broadcast(S, v[k0 + 5]).blend(v[k0 + 13], SECOND)));
            s5.intoArray(now, 80);
            s6 = s6.add(kk.mul(FloatVector.broadcast(S, v[k0 + 6]).blend(v[k0 + 14], SECOND)));
            s6.intoArray(now, 96);
            s7 = s7.add(kk.mul(FloatVector.broadcast(S, v[k0 + 7]).blend(v[k0 + 15], SECOND)));
            s7.intoArray(now, 112);
        }
    }

    /**
     * Steps [t0, t1) back, last first, of the pair at head h of batch b, from dL/dS in rows ([K, 2V]) and cols
     * ([V, 2K]), left there; states[t - t0 + 1] holds the state after step t in the [V, 2K] layout.
     */
    static void back(DecayScanRecurrent.Dims d, DecayScanFloat.Saved sv, int b, int h, int t0, int t1,
                     float[][] states, float[] dO, float[] dq, float[] dk, float[] dv, float[] rows, float[] cols) {
        float[] q = sv.q(), k = sv.k(), v = sv.v();
        FloatVector r0 = FloatVector.fromArray(S, rows, 0);
        FloatVector r1 = FloatVector.fromArray(S, rows, 16);
        FloatVector r2 = FloatVector.fromArray(S, rows, 32);
        FloatVector r3 = FloatVector.fromArray(S, rows, 48);
        FloatVector r4 = FloatVector.fromArray(S, rows, 64);
        FloatVector r5 = FloatVector.fromArray(S, rows, 80);
        FloatVector r6 = FloatVector.fromArray(S, rows, 96);
        FloatVector r7 = FloatVector.fromArray(S, rows, 112);
        FloatVector c0 = FloatVector.fromArray(S, cols, 0);
        FloatVector c1 = FloatVector.fromArray(S, cols, 16);
        FloatVector c2 = FloatVector.fromArray(S, cols, 32);
        FloatVector c3 = FloatVector.fromArray(S, cols, 48);
        FloatVector c4 = FloatVector.fromArray(S, cols, 64);
        FloatVector c5 = FloatVector.fromArray(S, cols, 80);
        FloatVector c6 = FloatVector.fromArray(S, cols, 96);
        FloatVector c7 = FloatVector.fromArray(S, cols, 112);
        for (int t = t1 - 1; t >= t0; t--) {
            int k0 = ((b * d.steps() + t) * d.heads() + h) * 8;
            float[] now = states[t - t0 + 1];
            // each pair of entries by one permute of these (VectorLoops.P0-P7); forward and recompute
            // keep their broadcasts, there no slower
            FloatVector qk = FloatVector.fromArray(S, q, k0), kk = FloatVector.fromArray(S, k, k0);
            FloatVector dOv = FloatVector.fromArray(S, dO, k0), vv = FloatVector.fromArray(S, v, k0);
            // dv sums over keys: on [K, 2V], a lane per value
            FloatVector dvv = FloatVector.zero(S);
            r0 = r0.add(dOv.mul(qk.rearrange(VectorLoops.P0)));
            dvv = dvv.add(r0.mul(kk.rearrange(VectorLoops.P0)));
            r1 = r1.add(dOv.mul(qk.rearrange(VectorLoops.P1)));
            dvv = dvv.add(r1.mul(kk.rearrange(VectorLoops.P1)));
            r2 = r2.add(dOv.mul(qk.rearrange(VectorLoops.P2)));
            dvv = dvv.add(r2.mul(kk.rearrange(VectorLoops.P2)));
            r3 = r3.add(dOv.mul(qk.rearrange(VectorLoops.P3)));
            dvv = dvv.add(r3.mul(kk.rearrange(VectorLoops.P3)));
            r4 = r4.add(dOv.mul(qk.rearrange(VectorLoops.P4)));
            dvv = dvv.add(r4.mul(kk.rearrange(VectorLoops.P4)));
            r5 = r5.add(dOv.mul(qk.rearrange(VectorLoops.P5)));
            dvv = dvv.add(r5.mul(kk.rearrange(VectorLoops.P5)));
            r6 = r6.add(dOv.mul(qk.rearrange(VectorLoops.P6)));
            dvv = dvv.add(r6.mul(kk.rearrange(VectorLoops.P6)));
            r7 = r7.add(dOv.mul(qk.rearrange(VectorLoops.P7)));
            dvv = dvv.add(r7.mul(kk.rearrange(VectorLoops.P7)));
            dvv.intoArray(dv, k0);
            // dq and dk sum over values: on [V, 2K], a lane per key
            FloatVector dqk = FloatVector.zero(S), dkk = dqk, dOy;
            dOy = dOv.rearrange(VectorLoops.P0);
            dqk = dqk.add(FloatVector.fromArray(S, now, 0).mul(dOy));
            c0 = c0.add(qk.mul(dOy));
            dkk = dkk.add(c0.mul(vv.rearrange(VectorLoops.P0)));
            dOy = dOv.rearrange(VectorLoops.P1);
            dqk = dqk.add(FloatVector.fromArray(S, now, 16).mul(dOy));
            c1 = c1.add(qk.mul(dOy));
            dkk = dkk.add(c1.mul(vv.rearrange(VectorLoops.P1)));
            dOy = dOv.rearrange(VectorLoops.P2);
            dqk = dqk.add(FloatVector.fromArray(S, now, 32).mul(dOy));
            c2 = c2.add(qk.mul(dOy));
            dkk = dkk.add(c2.mul(vv.rearrange(VectorLoops.P2)));
            dOy = dOv.rearrange(VectorLoops.P3);
            dqk = dqk.add(FloatVector.fromArray(S, now, 48).mul(dOy));
            c3 = c3.add(qk.mul(dOy));
            dkk = dkk.add(c3.mul(vv.rearrange(VectorLoops.P3)));
            dOy = dOv.rearrange(VectorLoops.P4);
            dqk = dqk.add(FloatVector.fromArray(S, now, 64).mul(dOy));
            c4 = c4.add(qk.mul(dOy));
            dkk = dkk.add(c4.mul(vv.rearrange(VectorLoops.P4)));
            dOy = dOv.rearrange(VectorLoops.P5);
            dqk = dqk.add(FloatVector.fromArray(S, now, 80).mul(dOy));
            c5 = c5.add(qk.mul(dOy));
            dkk = dkk.add(c5.mul(vv.rearrange(VectorLoops.P5)));
            dOy = dOv.rearrange(VectorLoops.P6);
            dqk = dqk.add(FloatVector.fromArray(S, now, 96).mul(dOy));
            c6 = c6.add(qk.mul(dOy));
            dkk = dkk.add(c6.mul(vv.rearrange(VectorLoops.P6)));
            dOy = dOv.rearrange(VectorLoops.P7);
            dqk = dqk.add(FloatVector.fromArray(S, now, 112).mul(dOy));
            c7 = c7.add(qk.mul(dOy));
            dkk = dkk.add(c7.mul(vv.rearrange(VectorLoops.P7)));
            dqk.intoArray(dq, k0);
            dkk.intoArray(dk, k0);
        }
        r0.intoArray(rows, 0);
        r1.intoArray(rows, 16);
        r2.intoArray(rows, 32);
        r3.intoArray(rows, 48);
        r4.intoArray(rows, 64);
        r5.intoArray(rows, 80);
        r6.intoArray(rows, 96);
        r7.intoArray(rows, 112);
        c0.intoArray(cols, 0);
        c1.intoArray(cols, 16);
        c2.intoArray(cols, 32);
        c3.intoArray(cols, 48);
        c4.intoArray(cols, 64);
        c5.intoArray(cols, 80);
        c6.intoArray(cols, 96);
        c7.intoArray(cols, 112);
    }
}
