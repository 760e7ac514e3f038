package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link DecayScanSharedFloat}'s step and backward row, loaded only when
 * {@link Simd#on}: {@link DecayScanVector}'s shared-key loops on float lanes.
 */
final class DecayScanSharedFloatVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private DecayScanSharedFloatVector() {
    }

    /**
     * S = alv * S + k v^T over [K, W]; with o, also o = S^T q. Two loops without branches inside: with a
     * branch on o in the loop C2 kept the vectors as objects and the form ran slower than the scalar one.
     */
    static void step(int kd, int w, int row, float[] q, float[] k, float[] v, float[] alv, float[] s,
                           float[] o) {
        int vo = row * w, ko = row * kd, j = 0;
        if (o == null) {
            for (; j <= w - S.length(); j += S.length()) {
                FloatVector al = FloatVector.fromArray(S, alv, j), vv = FloatVector.fromArray(S, v, vo + j);
                for (int x = 0; x < kd; x++) {
                    int so = x * w + j;
                    al.mul(FloatVector.fromArray(S, s, so)).add(vv.mul(k[ko + x])).intoArray(s, so);
                }
            }
        } else {
            for (; j <= w - S.length(); j += S.length()) {
                FloatVector al = FloatVector.fromArray(S, alv, j), vv = FloatVector.fromArray(S, v, vo + j);
                FloatVector acc = FloatVector.zero(S);
                for (int x = 0; x < kd; x++) {
                    int so = x * w + j;
                    FloatVector sv = al.mul(FloatVector.fromArray(S, s, so)).add(vv.mul(k[ko + x]));
                    sv.intoArray(s, so);
                    acc = acc.add(sv.mul(q[ko + x]));
                }
                acc.intoArray(o, vo + j);
            }
        }
        for (; j < w; j++) {
            float acc = 0;
            for (int x = 0; x < kd; x++) {
                int so = x * w + j;
                float sv = alv[j] * s[so] + k[ko + x] * v[vo + j];
                s[so] = sv;
                acc += sv * q[ko + x];
            }
            if (o != null) {
                o[vo + j] = acc;
            }
        }
    }

    /**
     * Two steps, rows row and row + 1, in one pass over the state: each state vector is loaded and
     * stored once for both (the state, K x H*V, outgrows L1), with every number as two {@link #step}s.
     */
    static void twoSteps(int kd, int w, int row, float[] q, float[] k, float[] v, float[] alv0,
                               float[] alv1, float[] s, float[] o) {
        int vo = row * w, ko = row * kd, vo1 = vo + w, ko1 = ko + kd, j = 0;
        for (; j <= w - S.length(); j += S.length()) {
            FloatVector a0 = FloatVector.fromArray(S, alv0, j), v0 = FloatVector.fromArray(S, v, vo + j);
            FloatVector a1 = FloatVector.fromArray(S, alv1, j), v1 = FloatVector.fromArray(S, v, vo1 + j);
            FloatVector acc0 = FloatVector.zero(S), acc1 = acc0;
            for (int x = 0; x < kd; x++) {
                int so = x * w + j;
                FloatVector s0 = a0.mul(FloatVector.fromArray(S, s, so)).add(v0.mul(k[ko + x]));
                acc0 = acc0.add(s0.mul(q[ko + x]));
                FloatVector s1 = a1.mul(s0).add(v1.mul(k[ko1 + x]));
                s1.intoArray(s, so);
                acc1 = acc1.add(s1.mul(q[ko1 + x]));
            }
            acc0.intoArray(o, vo + j);
            acc1.intoArray(o, vo1 + j);
        }
        for (; j < w; j++) {
            float acc0 = 0, acc1 = 0;
            for (int x = 0; x < kd; x++) {
                int so = x * w + j;
                float s0 = alv0[j] * s[so] + k[ko + x] * v[vo + j];
                acc0 += s0 * q[ko + x];
                float s1 = alv1[j] * s0 + k[ko1 + x] * v[vo1 + j];
                s[so] = s1;
                acc1 += s1 * q[ko1 + x];
            }
            o[vo + j] = acc0;
            o[vo1 + j] = acc1;
        }
    }

    /**
     * One row of the shared-key backward: from dS (in {@code ds}, then replaced by dS of the previous
     * step), dO, the state after the row ({@code now}) and before it ({@code prev}), writes dv's row,
     * dq and dk of the row, and the per-column decay gradient {@code dav}; {@code g} is [K, W] scratch.
     */
    static void backwardRow(int kd, int w, int row, float[] q, float[] k, float[] v, float[] dO, float[] prev,
                            float[] now, float[] alv, float[] ds, float[] g, float[] dq, float[] dk, float[] dv,
                            float[] dav) {
        int vo = row * w, ko = row * kd, j = 0;
        for (; j <= w - S.length(); j += S.length()) {
            FloatVector dov = FloatVector.fromArray(S, dO, vo + j), al = FloatVector.fromArray(S, alv, j);
            FloatVector dvAcc = FloatVector.zero(S), daAcc = FloatVector.zero(S);
            for (int x = 0; x < kd; x++) {
                int so = x * w + j;
                FloatVector gv = FloatVector.fromArray(S, ds, so).add(dov.mul(q[ko + x]));
                gv.intoArray(g, so);
                dvAcc = dvAcc.add(gv.mul(k[ko + x]));
                daAcc = daAcc.add(gv.mul(FloatVector.fromArray(S, prev, so)));
                gv.mul(al).intoArray(ds, so);
            }
            dvAcc.intoArray(dv, vo + j);
            daAcc.intoArray(dav, j);
        }
        for (; j < w; j++) {
            float dvAcc = 0, daAcc = 0;
            for (int x = 0; x < kd; x++) {
                int so = x * w + j;
                float gj = ds[so] + q[ko + x] * dO[vo + j];
                g[so] = gj;
                dvAcc += gj * k[ko + x];
                daAcc += gj * prev[so];
                ds[so] = gj * alv[j];
            }
            dv[vo + j] = dvAcc;
            dav[j] = daAcc;
        }
        // the sums over columns in DecayScanSharedFloat.stripedDot's order: sixteen stripes, one per lane
        // with 16 lanes, two vectors with 8 (other lane counts take the scalar form); one loop per case,
        // as a branch inside a vector loop can make C2 keep the vectors as objects
        int w16 = w - w % 16;
        float[] p = Arena.floats(16), r = Arena.floats(16);
        if (S.length() == 16) {
            for (int x = 0; x < kd; x++) {
                int so = x * w;
                FloatVector aq = FloatVector.zero(S), ak = FloatVector.zero(S);
                for (int c = 0; c < w16; c += 16) {
                    aq = aq.add(FloatVector.fromArray(S, now, so + c).mul(FloatVector.fromArray(S, dO, vo + c)));
                    ak = ak.add(FloatVector.fromArray(S, g, so + c).mul(FloatVector.fromArray(S, v, vo + c)));
                }
                aq.intoArray(p, 0);
                ak.intoArray(r, 0);
                columnSums(x, so, w16, w, vo, now, dO, g, v, p, r, ko, dq, dk);
            }
        } else if (S.length() == 8) {
            for (int x = 0; x < kd; x++) {
                int so = x * w;
                FloatVector aq = FloatVector.zero(S), aq8 = aq, ak = aq, ak8 = aq;
                for (int c = 0; c < w16; c += 16) {
                    aq = aq.add(FloatVector.fromArray(S, now, so + c).mul(FloatVector.fromArray(S, dO, vo + c)));
                    aq8 = aq8.add(FloatVector.fromArray(S, now, so + c + 8)
                            .mul(FloatVector.fromArray(S, dO, vo + c + 8)));
                    ak = ak.add(FloatVector.fromArray(S, g, so + c).mul(FloatVector.fromArray(S, v, vo + c)));
                    ak8 = ak8.add(FloatVector.fromArray(S, g, so + c + 8).mul(FloatVector.fromArray(S, v, vo + c + 8)));
                }
                aq.intoArray(p, 0);
                aq8.intoArray(p, 8);
                ak.intoArray(r, 0);
                ak8.intoArray(r, 8);
                columnSums(x, so, w16, w, vo, now, dO, g, v, p, r, ko, dq, dk);
            }
        } else {
            for (int x = 0; x < kd; x++) {
                dq[ko + x] = DecayScanSharedFloat.stripedDot(now, x * w, dO, vo, w, p);
                dk[ko + x] = DecayScanSharedFloat.stripedDot(g, x * w, v, vo, w, p);
            }
        }
    }

    /** dq and dk of key row x from their stripes p, r and the columns past the last sixteen. */
    private static void columnSums(int x, int so, int w16, int w, int vo, float[] now, float[] dO, float[] g,
                                   float[] v, float[] p, float[] r, int ko, float[] dq, float[] dk) {
        float sq = DecayScanSharedFloat.combine16(p), sk = DecayScanSharedFloat.combine16(r);
        for (int c = w16; c < w; c++) {
            sq += now[so + c] * dO[vo + c];
            sk += g[so + c] * v[vo + c];
        }
        dq[ko + x] = sq;
        dk[ko + x] = sk;
    }

    /**
     * mid = alv0 src + k v^T (row) and dst = alv1 mid + k v^T (row + 1), two of {@link #step}'s updates
     * without readouts in one pass, into their own arrays (backward's recomputation, no copy first).
     */
    static void stepsInto(int kd, int w, int row, float[] k, float[] v, float[] alv0, float[] alv1, float[] src,
                          float[] mid, float[] dst) {
        int vo = row * w, ko = row * kd, vo1 = vo + w, ko1 = ko + kd, j = 0;
        for (; j <= w - S.length(); j += S.length()) {
            FloatVector a0 = FloatVector.fromArray(S, alv0, j), v0 = FloatVector.fromArray(S, v, vo + j);
            FloatVector a1 = FloatVector.fromArray(S, alv1, j), v1 = FloatVector.fromArray(S, v, vo1 + j);
            for (int x = 0; x < kd; x++) {
                int so = x * w + j;
                FloatVector s0 = a0.mul(FloatVector.fromArray(S, src, so)).add(v0.mul(k[ko + x]));
                s0.intoArray(mid, so);
                a1.mul(s0).add(v1.mul(k[ko1 + x])).intoArray(dst, so);
            }
        }
        for (; j < w; j++) {
            for (int x = 0; x < kd; x++) {
                int so = x * w + j;
                float s0 = alv0[j] * src[so] + k[ko + x] * v[vo + j];
                mid[so] = s0;
                dst[so] = alv1[j] * s0 + k[ko1 + x] * v[vo1 + j];
            }
        }
    }
}
