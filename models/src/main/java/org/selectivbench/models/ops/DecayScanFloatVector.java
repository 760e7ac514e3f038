package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DecayScanFloat}'s step for keys of their own per head with a lane per value column, as
 * {@link DecayScanVector} does in double: q, k, v and o are read and written in their rows, where the
 * lane-per-sequence form ({@link DecayScanLanesFloat}) gathers them into lanes and back (at GLA's heads of
 * 8 keys and 16 values, moving the inputs cost more than the state's arithmetic). Each column sees the
 * scalar form's operations in its order, so the numbers are the same. Loaded only when {@link Simd#on}.
 */
final class DecayScanFloatVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static final int LANES = S.length();

    private DecayScanFloatVector() {
    }

    /**
     * S = diag(ax) S + k v^T over one head's [K, V]; with o, also o = S^T q. {@code ax} holds each key
     * row's decay; the state's row x is s[x V, (x + 1) V).
     */
    static void step(int kd, int vd, int ko, int vo, float[] ax, float[] k, float[] v, float[] s, float[] q,
                     float[] o) {
        int y = 0;
        for (; y <= vd - LANES; y += LANES) {
            FloatVector vv = FloatVector.fromArray(S, v, vo + y), acc = FloatVector.zero(S);
            for (int x = 0; x < kd; x++) {
                int so = x * vd + y;
                FloatVector sv = FloatVector.fromArray(S, s, so).mul(ax[x]).add(vv.mul(k[ko + x]));
                sv.intoArray(s, so);
                if (o != null) {
                    acc = acc.add(sv.mul(q[ko + x]));
                }
            }
            if (o != null) {
                acc.intoArray(o, vo + y);
            }
        }
        for (; y < vd; y++) {
            float acc = 0;
            for (int x = 0; x < kd; x++) {
                int so = x * vd + y;
                float sv = ax[x] * s[so] + k[ko + x] * v[vo + y];
                s[so] = sv;
                if (o != null) {
                    acc += sv * q[ko + x];
                }
            }
            if (o != null) {
                o[vo + y] = acc;
            }
        }
    }

    /** Whether {@link #eightSteps} takes these heads: 8 keys of their own, a vector of values, a decay per key. */
    static boolean takesEight(DecayScanRecurrent.Dims d) {
        return d.k() == 8 && d.v() == LANES && d.decay() == DecayScanRecurrent.Decay.CHANNEL && !d.sharedKeys();
    }

    /**
     * {@link #step} with o over steps [t0, t1) of head h of batch b (GLA's heads of 8 keys and 16 values), the
     * state's 8 rows in registers from step to step, each key's terms written out, where a step at a time
     * stored and loaded them every step; alpha holds the decays exp(a). Calls nothing while it holds vectors
     * (C2 kept vectors live across a call as heap objects). The same operations in the same order.
     */
    static void eightSteps(DecayScanRecurrent.Dims d, int b, int h, int t0, int t1, float[] q, float[] k, float[] v,
                           float[] alpha, float[] s, float[] o) {
        FloatVector s0 = FloatVector.fromArray(S, s, 0 * LANES);
        FloatVector s1 = FloatVector.fromArray(S, s, 1 * LANES);
        FloatVector s2 = FloatVector.fromArray(S, s, 2 * LANES);
        FloatVector s3 = FloatVector.fromArray(S, s, 3 * LANES);
        FloatVector s4 = FloatVector.fromArray(S, s, 4 * LANES);
        FloatVector s5 = FloatVector.fromArray(S, s, 5 * LANES);
        FloatVector s6 = FloatVector.fromArray(S, s, 6 * LANES);
        FloatVector s7 = FloatVector.fromArray(S, s, 7 * LANES);
        for (int t = t0; t < t1; t++) {
            int r = (b * d.steps() + t) * d.heads() + h, ko = r * 8, vo = r * LANES;
            FloatVector vv = FloatVector.fromArray(S, v, vo), acc = FloatVector.zero(S);
            s0 = s0.mul(alpha[ko + 0]).add(vv.mul(k[ko + 0]));
            acc = acc.add(s0.mul(q[ko + 0]));
            s1 = s1.mul(alpha[ko + 1]).add(vv.mul(k[ko + 1]));
            acc = acc.add(s1.mul(q[ko + 1]));
            s2 = s2.mul(alpha[ko + 2]).add(vv.mul(k[ko + 2]));
            acc = acc.add(s2.mul(q[ko + 2]));
            s3 = s3.mul(alpha[ko + 3]).add(vv.mul(k[ko + 3]));
            acc = acc.add(s3.mul(q[ko + 3]));
            s4 = s4.mul(alpha[ko + 4]).add(vv.mul(k[ko + 4]));
            acc = acc.add(s4.mul(q[ko + 4]));
            s5 = s5.mul(alpha[ko + 5]).add(vv.mul(k[ko + 5]));
            acc = acc.add(s5.mul(q[ko + 5]));
            s6 = s6.mul(alpha[ko + 6]).add(vv.mul(k[ko + 6]));
            acc = acc.add(s6.mul(q[ko + 6]));
            s7 = s7.mul(alpha[ko + 7]).add(vv.mul(k[ko + 7]));
            acc = acc.add(s7.mul(q[ko + 7]));
            acc.intoArray(o, vo);
        }
        s0.intoArray(s, 0 * LANES);
        s1.intoArray(s, 1 * LANES);
        s2.intoArray(s, 2 * LANES);
        s3.intoArray(s, 3 * LANES);
        s4.intoArray(s, 4 * LANES);
        s5.intoArray(s, 5 * LANES);
        s6.intoArray(s, 6 * LANES);
        s7.intoArray(s, 7 * LANES);
    }
}
