package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Mamba2's float backward step ({@link DecayScanSharedFloatVector#backwardRow}) a block of four vectors of
 * state columns at a time, in one pass over the key rows with each row's terms for the block in registers:
 * per state element three loads and one store, against two passes and six loads and two stores, which
 * bound that form more than its arithmetic does. The sums over columns (dq, dk) keep
 * {@link DecayScanSharedFloat#stripedDot}'s order: each key row's sixteen stripes carry across the blocks,
 * a vector of them on 16 lanes and two on 8, and combine pairwise at the end. Loaded only when
 * {@link Simd#on}; rows whose width is not whole blocks take backwardRow.
 */
final class DecayScanSharedFloatBlocks {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float[] ZEROS = new float[32];

    private DecayScanSharedFloatBlocks() {
    }

    /** Whether {@link #backwardBlocks} takes rows of w columns: whole blocks of four vectors of 16 or 8 lanes. */
    static boolean blocks(int w) {
        return (S.length() == 16 || S.length() == 8) && w % (4 * S.length()) == 0;
    }

    /**
     * {@link DecayScanSharedFloatVector#backwardRow}'s numbers, written over the same arrays; {@code stripes}
     * is [K, 32] scratch: each key row's sixteen stripes of dq's sum, then dk's.
     */
    static void backwardBlocks(int kd, int w, int row, float[] q, float[] k, float[] v, float[] dO, float[] prev,
                               float[] now, float[] alv, float[] ds, float[] stripes, float[] dq, float[] dk,
                               float[] dv, float[] dav) {
        int vo = row * w, ko = row * kd;
        for (int j = 0; j < w; j += 4 * S.length()) {
            // the first block's stripes start from zeros: every key row reads the same 32
            float[] in = j == 0 ? ZEROS : stripes;
            int stride = j == 0 ? 0 : 32;
            if (S.length() == 16) {
                block16(kd, w, j, vo, ko, q, k, v, dO, prev, now, alv, ds, in, stride, stripes, dv, dav);
            } else {
                block8(kd, w, j, vo, ko, q, k, v, dO, prev, now, alv, ds, in, stride, stripes, dv, dav);
            }
        }
        for (int x = 0; x < kd; x++) {
            dq[ko + x] = DecayScanSharedFloat.combine16(stripes, x * 32);
            dk[ko + x] = DecayScanSharedFloat.combine16(stripes, x * 32 + 16);
        }
    }

    /**
     * Columns [j, j + 64) on 16 lanes: one stripe vector per sum. dv's and dav's sums go through their
     * arrays and dO, v and alv are read in the loop, so that no vector is carried round it (Simd: receivers
     * in loops; with them carried, C2 at times left this loop allocating its vectors, Mamba2's step 3x).
     */
    private static void block16(int kd, int w, int j, int vo, int ko, float[] q, float[] k, float[] v, float[] dO,
                                float[] prev, float[] now, float[] alv, float[] ds, float[] in, int stride,
                                float[] stripes, float[] dv, float[] dav) {
        java.util.Arrays.fill(dv, vo + j, vo + j + 64, 0f);
        java.util.Arrays.fill(dav, j, j + 64, 0f);
        for (int x = 0; x < kd; x++) {
            int so = x * w + j, po = x * 32, pi = x * stride;
            float qx = q[ko + x], kx = k[ko + x];
            FloatVector aq = FloatVector.fromArray(S, in, pi), ak = FloatVector.fromArray(S, in, pi + 16);
            FloatVector o0 = FloatVector.fromArray(S, dO, vo + j);
            FloatVector g0 = FloatVector.fromArray(S, ds, so).add(o0.mul(qx));
            aq = aq.add(FloatVector.fromArray(S, now, so).mul(o0));
            ak = ak.add(g0.mul(FloatVector.fromArray(S, v, vo + j)));
            g0.mul(kx).add(FloatVector.fromArray(S, dv, vo + j)).intoArray(dv, vo + j);
            g0.mul(FloatVector.fromArray(S, prev, so)).add(FloatVector.fromArray(S, dav, j)).intoArray(dav, j);
            g0.mul(FloatVector.fromArray(S, alv, j)).intoArray(ds, so);
            FloatVector o1 = FloatVector.fromArray(S, dO, vo + j + 16);
            FloatVector g1 = FloatVector.fromArray(S, ds, so + 16).add(o1.mul(qx));
            aq = aq.add(FloatVector.fromArray(S, now, so + 16).mul(o1));
            ak = ak.add(g1.mul(FloatVector.fromArray(S, v, vo + j + 16)));
            g1.mul(kx).add(FloatVector.fromArray(S, dv, vo + j + 16)).intoArray(dv, vo + j + 16);
            g1.mul(FloatVector.fromArray(S, prev, so + 16)).add(FloatVector.fromArray(S, dav, j + 16)).intoArray(dav, j + 16);
            g1.mul(FloatVector.fromArray(S, alv, j + 16)).intoArray(ds, so + 16);
            FloatVector o2 = FloatVector.fromArray(S, dO, vo + j + 32);
            FloatVector g2 = FloatVector.fromArray(S, ds, so + 32).add(o2.mul(qx));
            aq = aq.add(FloatVector.fromArray(S, now, so + 32).mul(o2));
            ak = ak.add(g2.mul(FloatVector.fromArray(S, v, vo + j + 32)));
            g2.mul(kx).add(FloatVector.fromArray(S, dv, vo + j + 32)).intoArray(dv, vo + j + 32);
            g2.mul(FloatVector.fromArray(S, prev, so + 32)).add(FloatVector.fromArray(S, dav, j + 32)).intoArray(dav, j + 32);
            g2.mul(FloatVector.fromArray(S, alv, j + 32)).intoArray(ds, so + 32);
            FloatVector o3 = FloatVector.fromArray(S, dO, vo + j + 48);
            FloatVector g3 = FloatVector.fromArray(S, ds, so + 48).add(o3.mul(qx));
            aq = aq.add(FloatVector.fromArray(S, now, so + 48).mul(o3));
            ak = ak.add(g3.mul(FloatVector.fromArray(S, v, vo + j + 48)));
            g3.mul(kx).add(FloatVector.fromArray(S, dv, vo + j + 48)).intoArray(dv, vo + j + 48);
            g3.mul(FloatVector.fromArray(S, prev, so + 48)).add(FloatVector.fromArray(S, dav, j + 48)).intoArray(dav, j + 48);
            g3.mul(FloatVector.fromArray(S, alv, j + 48)).intoArray(ds, so + 48);
            aq.intoArray(stripes, po);
            ak.intoArray(stripes, po + 16);
        }
    }

    /** Columns [j, j + 32) on 8 lanes: vectors 0 and 2 add to stripes 0-7, 1 and 3 to stripes 8-15. */
    private static void block8(int kd, int w, int j, int vo, int ko, float[] q, float[] k, float[] v, float[] dO,
                                float[] prev, float[] now, float[] alv, float[] ds, float[] in, int stride,
                                float[] stripes, float[] dv, float[] dav) {
        FloatVector o0 = FloatVector.fromArray(S, dO, vo + j), o1 = FloatVector.fromArray(S, dO, vo + j + 8);
        FloatVector o2 = FloatVector.fromArray(S, dO, vo + j + 16), o3 = FloatVector.fromArray(S, dO, vo + j + 24);
        FloatVector v0 = FloatVector.fromArray(S, v, vo + j), v1 = FloatVector.fromArray(S, v, vo + j + 8);
        FloatVector v2 = FloatVector.fromArray(S, v, vo + j + 16), v3 = FloatVector.fromArray(S, v, vo + j + 24);
        FloatVector a0 = FloatVector.fromArray(S, alv, j), a1 = FloatVector.fromArray(S, alv, j + 8);
        FloatVector a2 = FloatVector.fromArray(S, alv, j + 16), a3 = FloatVector.fromArray(S, alv, j + 24);
        FloatVector dv0 = FloatVector.zero(S), dv1 = dv0, dv2 = dv0, dv3 = dv0, da0 = dv0, da1 = dv0, da2 = dv0,
                da3 = dv0;
        for (int x = 0; x < kd; x++) {
            int so = x * w + j, po = x * 32, pi = x * stride;
            float qx = q[ko + x], kx = k[ko + x];
            FloatVector aq = FloatVector.fromArray(S, in, pi), aq8 = FloatVector.fromArray(S, in, pi + 8);
            FloatVector ak = FloatVector.fromArray(S, in, pi + 16), ak8 = FloatVector.fromArray(S, in, pi + 24);
            FloatVector g = FloatVector.fromArray(S, ds, so).add(o0.mul(qx));
            aq = aq.add(FloatVector.fromArray(S, now, so).mul(o0));
            ak = ak.add(g.mul(v0));
            dv0 = dv0.add(g.mul(kx));
            da0 = da0.add(g.mul(FloatVector.fromArray(S, prev, so)));
            g.mul(a0).intoArray(ds, so);
            g = FloatVector.fromArray(S, ds, so + 8).add(o1.mul(qx));
            aq8 = aq8.add(FloatVector.fromArray(S, now, so + 8).mul(o1));
            ak8 = ak8.add(g.mul(v1));
            dv1 = dv1.add(g.mul(kx));
            da1 = da1.add(g.mul(FloatVector.fromArray(S, prev, so + 8)));
            g.mul(a1).intoArray(ds, so + 8);
            g = FloatVector.fromArray(S, ds, so + 16).add(o2.mul(qx));
            aq = aq.add(FloatVector.fromArray(S, now, so + 16).mul(o2));
            ak = ak.add(g.mul(v2));
            dv2 = dv2.add(g.mul(kx));
            da2 = da2.add(g.mul(FloatVector.fromArray(S, prev, so + 16)));
            g.mul(a2).intoArray(ds, so + 16);
            g = FloatVector.fromArray(S, ds, so + 24).add(o3.mul(qx));
            aq8 = aq8.add(FloatVector.fromArray(S, now, so + 24).mul(o3));
            ak8 = ak8.add(g.mul(v3));
            dv3 = dv3.add(g.mul(kx));
            da3 = da3.add(g.mul(FloatVector.fromArray(S, prev, so + 24)));
            g.mul(a3).intoArray(ds, so + 24);
            aq.intoArray(stripes, po);
            aq8.intoArray(stripes, po + 8);
            ak.intoArray(stripes, po + 16);
            ak8.intoArray(stripes, po + 24);
        }
        dv0.intoArray(dv, vo + j);
        dv1.intoArray(dv, vo + j + 8);
        dv2.intoArray(dv, vo + j + 16);
        dv3.intoArray(dv, vo + j + 24);
        da0.intoArray(dav, j);
        da1.intoArray(dav, j + 8);
        da2.intoArray(dav, j + 16);
        da3.intoArray(dav, j + 24);
    }
}
