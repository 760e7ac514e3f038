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
}
