package org.selectivbench.models.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link DecayScanRecurrent}'s shared-key step and backward row (Mamba2), loaded
 * only when {@link Simd#on}. The loops are interchanged so that a block of state columns stays in
 * registers while the key index runs; each column sees the scalar form's operations in its order.
 */
final class DecayScanVector {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    static final int LANES = S.length();

    private DecayScanVector() {
    }

    /**
     * S = diag(ax) S + k v^T over one head's [K, V]; with o, also o = S^T q (the per-head step of
     * {@link DecayScanRecurrent}; {@code ax} holds each key row's decay).
     */
    static void step(int kd, int vd, int ko, int vo, double[] ax, double[] k, double[] v, double[] s, double[] q,
                     double[] o) {
        int y = 0;
        if (o == null) {
            for (; y <= vd - S.length(); y += S.length()) {
                DoubleVector vv = DoubleVector.fromArray(S, v, vo + y);
                for (int x = 0; x < kd; x++) {
                    int so = x * vd + y;
                    DoubleVector.fromArray(S, s, so).mul(ax[x]).add(vv.mul(k[ko + x])).intoArray(s, so);
                }
            }
        } else {
            for (; y <= vd - S.length(); y += S.length()) {
                DoubleVector vv = DoubleVector.fromArray(S, v, vo + y), acc = DoubleVector.zero(S);
                for (int x = 0; x < kd; x++) {
                    int so = x * vd + y;
                    DoubleVector sv = DoubleVector.fromArray(S, s, so).mul(ax[x]).add(vv.mul(k[ko + x]));
                    sv.intoArray(s, so);
                    acc = acc.add(sv.mul(q[ko + x]));
                }
                acc.intoArray(o, vo + y);
            }
        }
        for (; y < vd; y++) {
            double acc = 0;
            for (int x = 0; x < kd; x++) {
                int so = x * vd + y;
                double sv = ax[x] * s[so] + k[ko + x] * v[vo + y];
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

    /**
     * S = alv * S + k v^T over [K, W]; with o, also o = S^T q. Two loops without branches inside: with a
     * branch on o in the loop C2 kept the vectors as objects and the form ran slower than the scalar one.
     */
    static void sharedStep(int kd, int w, int row, double[] q, double[] k, double[] v, double[] alv, double[] s,
                           double[] o) {
        int vo = row * w, ko = row * kd, j = 0;
        if (o == null) {
            for (; j <= w - S.length(); j += S.length()) {
                DoubleVector al = DoubleVector.fromArray(S, alv, j), vv = DoubleVector.fromArray(S, v, vo + j);
                for (int x = 0; x < kd; x++) {
                    int so = x * w + j;
                    al.mul(DoubleVector.fromArray(S, s, so)).add(vv.mul(k[ko + x])).intoArray(s, so);
                }
            }
        } else {
            for (; j <= w - S.length(); j += S.length()) {
                DoubleVector al = DoubleVector.fromArray(S, alv, j), vv = DoubleVector.fromArray(S, v, vo + j);
                DoubleVector acc = DoubleVector.zero(S);
                for (int x = 0; x < kd; x++) {
                    int so = x * w + j;
                    DoubleVector sv = al.mul(DoubleVector.fromArray(S, s, so)).add(vv.mul(k[ko + x]));
                    sv.intoArray(s, so);
                    acc = acc.add(sv.mul(q[ko + x]));
                }
                acc.intoArray(o, vo + j);
            }
        }
        for (; j < w; j++) {
            double acc = 0;
            for (int x = 0; x < kd; x++) {
                int so = x * w + j;
                double sv = alv[j] * s[so] + k[ko + x] * v[vo + j];
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
     * stored once for both (the state, K x H*V, outgrows L1), with every number as two {@link #sharedStep}s.
     */
    static void sharedTwoSteps(int kd, int w, int row, double[] q, double[] k, double[] v, double[] alv0,
                               double[] alv1, double[] s, double[] o) {
        int vo = row * w, ko = row * kd, vo1 = vo + w, ko1 = ko + kd, j = 0;
        for (; j <= w - S.length(); j += S.length()) {
            DoubleVector a0 = DoubleVector.fromArray(S, alv0, j), v0 = DoubleVector.fromArray(S, v, vo + j);
            DoubleVector a1 = DoubleVector.fromArray(S, alv1, j), v1 = DoubleVector.fromArray(S, v, vo1 + j);
            DoubleVector acc0 = DoubleVector.zero(S), acc1 = acc0;
            for (int x = 0; x < kd; x++) {
                int so = x * w + j;
                DoubleVector s0 = a0.mul(DoubleVector.fromArray(S, s, so)).add(v0.mul(k[ko + x]));
                acc0 = acc0.add(s0.mul(q[ko + x]));
                DoubleVector s1 = a1.mul(s0).add(v1.mul(k[ko1 + x]));
                s1.intoArray(s, so);
                acc1 = acc1.add(s1.mul(q[ko1 + x]));
            }
            acc0.intoArray(o, vo + j);
            acc1.intoArray(o, vo1 + j);
        }
        for (; j < w; j++) {
            double acc0 = 0, acc1 = 0;
            for (int x = 0; x < kd; x++) {
                int so = x * w + j;
                double s0 = alv0[j] * s[so] + k[ko + x] * v[vo + j];
                acc0 += s0 * q[ko + x];
                double s1 = alv1[j] * s0 + k[ko1 + x] * v[vo1 + j];
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
    static void sharedBackwardRow(int kd, int w, int row, double[] q, double[] k, double[] v, double[] dO,
                                  double[] prev, double[] now, double[] alv, double[] ds, double[] g, double[] dq,
                                  double[] dk, double[] dv, double[] dav) {
        int vo = row * w, ko = row * kd, j = 0;
        for (; j <= w - S.length(); j += S.length()) {
            DoubleVector dov = DoubleVector.fromArray(S, dO, vo + j), al = DoubleVector.fromArray(S, alv, j);
            DoubleVector dvAcc = DoubleVector.zero(S), daAcc = DoubleVector.zero(S);
            for (int x = 0; x < kd; x++) {
                int so = x * w + j;
                DoubleVector gv = DoubleVector.fromArray(S, ds, so).add(dov.mul(q[ko + x]));
                gv.intoArray(g, so);
                dvAcc = dvAcc.add(gv.mul(k[ko + x]));
                daAcc = daAcc.add(gv.mul(DoubleVector.fromArray(S, prev, so)));
                gv.mul(al).intoArray(ds, so);
            }
            dvAcc.intoArray(dv, vo + j);
            daAcc.intoArray(dav, j);
        }
        for (; j < w; j++) {
            double dvAcc = 0, daAcc = 0;
            for (int x = 0; x < kd; x++) {
                int so = x * w + j;
                double gj = ds[so] + q[ko + x] * dO[vo + j];
                g[so] = gj;
                dvAcc += gj * k[ko + x];
                daAcc += gj * prev[so];
                ds[so] = gj * alv[j];
            }
            dv[vo + j] = dvAcc;
            dav[j] = daAcc;
        }
        // the sums over columns in Loops.stripedDot's order: eight stripes, one per lane with 8 lanes, two
        // vectors with 4 (other lane counts take the scalar form)
        int w8 = w - w % 8;
        if (S.length() == 8) {
            for (int x = 0; x < kd; x++) {
                int so = x * w;
                DoubleVector aq = DoubleVector.zero(S), ak = DoubleVector.zero(S);
                for (int c = 0; c < w8; c += 8) {
                    aq = aq.add(DoubleVector.fromArray(S, now, so + c).mul(DoubleVector.fromArray(S, dO, vo + c)));
                    ak = ak.add(DoubleVector.fromArray(S, g, so + c).mul(DoubleVector.fromArray(S, v, vo + c)));
                }
                double sq = ((aq.lane(0) + aq.lane(1)) + (aq.lane(2) + aq.lane(3)))
                        + ((aq.lane(4) + aq.lane(5)) + (aq.lane(6) + aq.lane(7)));
                double sk = ((ak.lane(0) + ak.lane(1)) + (ak.lane(2) + ak.lane(3)))
                        + ((ak.lane(4) + ak.lane(5)) + (ak.lane(6) + ak.lane(7)));
                for (int c = w8; c < w; c++) {
                    sq += now[so + c] * dO[vo + c];
                    sk += g[so + c] * v[vo + c];
                }
                dq[ko + x] = sq;
                dk[ko + x] = sk;
            }
        } else if (S.length() == 4) {
            for (int x = 0; x < kd; x++) {
                int so = x * w;
                DoubleVector aq = DoubleVector.zero(S), aq4 = DoubleVector.zero(S);
                DoubleVector ak = DoubleVector.zero(S), ak4 = DoubleVector.zero(S);
                for (int c = 0; c < w8; c += 8) {
                    aq = aq.add(DoubleVector.fromArray(S, now, so + c).mul(DoubleVector.fromArray(S, dO, vo + c)));
                    aq4 = aq4.add(DoubleVector.fromArray(S, now, so + c + 4)
                            .mul(DoubleVector.fromArray(S, dO, vo + c + 4)));
                    ak = ak.add(DoubleVector.fromArray(S, g, so + c).mul(DoubleVector.fromArray(S, v, vo + c)));
                    ak4 = ak4.add(DoubleVector.fromArray(S, g, so + c + 4).mul(DoubleVector.fromArray(S, v, vo + c + 4)));
                }
                double sq = ((aq.lane(0) + aq.lane(1)) + (aq.lane(2) + aq.lane(3)))
                        + ((aq4.lane(0) + aq4.lane(1)) + (aq4.lane(2) + aq4.lane(3)));
                double sk = ((ak.lane(0) + ak.lane(1)) + (ak.lane(2) + ak.lane(3)))
                        + ((ak4.lane(0) + ak4.lane(1)) + (ak4.lane(2) + ak4.lane(3)));
                for (int c = w8; c < w; c++) {
                    sq += now[so + c] * dO[vo + c];
                    sk += g[so + c] * v[vo + c];
                }
                dq[ko + x] = sq;
                dk[ko + x] = sk;
            }
        } else {
            for (int x = 0; x < kd; x++) {
                dq[ko + x] = Loops.stripedDot(now, x * w, dO, vo, w);
                dk[ko + x] = Loops.stripedDot(g, x * w, v, vo, w);
            }
        }
    }
}
