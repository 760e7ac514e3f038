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
        // the sums over columns, in column order as the scalar form takes them; four key rows at a time,
        // so that eight independent sums are in flight (one at a time, the adds' latency bound this loop)
        int x = 0;
        for (; x <= kd - 4; x += 4) {
            int s0 = x * w, s1 = s0 + w, s2 = s1 + w, s3 = s2 + w;
            double q0 = 0, q1 = 0, q2 = 0, q3 = 0, k0 = 0, k1 = 0, k2 = 0, k3 = 0;
            for (int c = 0; c < w; c++) {
                double o = dO[vo + c], vc = v[vo + c];
                q0 += now[s0 + c] * o;
                q1 += now[s1 + c] * o;
                q2 += now[s2 + c] * o;
                q3 += now[s3 + c] * o;
                k0 += g[s0 + c] * vc;
                k1 += g[s1 + c] * vc;
                k2 += g[s2 + c] * vc;
                k3 += g[s3 + c] * vc;
            }
            dq[ko + x] = q0;
            dq[ko + x + 1] = q1;
            dq[ko + x + 2] = q2;
            dq[ko + x + 3] = q3;
            dk[ko + x] = k0;
            dk[ko + x + 1] = k1;
            dk[ko + x + 2] = k2;
            dk[ko + x + 3] = k3;
        }
        for (; x < kd; x++) {
            int so = x * w;
            double dqx = 0, dkx = 0;
            for (int c = 0; c < w; c++) {
                dqx += now[so + c] * dO[vo + c];
                dkx += g[so + c] * v[vo + c];
            }
            dq[ko + x] = dqx;
            dk[ko + x] = dkx;
        }
    }
}
