package org.selectivbench.models.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of one {@link DeltaRuleRecurrent} sub-step, loaded only when {@link Simd#on}: for a
 * block of value columns held in registers, r = v - f S^T k, then S = f S + beta k r^T (the decayed state
 * kept first when {@code keepTo} is given), with o = S^T q folded in when {@code readout}. Each column
 * sees the scalar form's operations in its order, so the numbers are the same. One loop per case, with no
 * branch inside (see {@link DecayScanVector#sharedStep}).
 */
final class DeltaRuleVector {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    private DeltaRuleVector() {
    }

    static void subStep(int kd, int vd, double f, double bt, double[] k, int ko, double[] v, int vo, double[] s,
                        double[] r, double[] keepTo, double[] q, int qo, double[] o, int oo, boolean readout) {
        int y = 0, l = S.length();
        // S^T k for two blocks of columns at once: two chains of adds in flight instead of one (each
        // column's sum still runs over the keys in order)
        for (; y <= vd - 2 * l; y += 2 * l) {
            DoubleVector acc = DoubleVector.zero(S), acc2 = DoubleVector.zero(S);
            for (int x = 0; x < kd; x++) {
                acc = acc.add(DoubleVector.fromArray(S, s, x * vd + y).mul(k[ko + x]));
                acc2 = acc2.add(DoubleVector.fromArray(S, s, x * vd + y + l).mul(k[ko + x]));
            }
            DoubleVector.fromArray(S, v, vo + y).sub(acc.mul(f)).intoArray(r, y);
            DoubleVector.fromArray(S, v, vo + y + l).sub(acc2.mul(f)).intoArray(r, y + l);
        }
        for (; y <= vd - l; y += l) {
            DoubleVector acc = DoubleVector.zero(S);
            for (int x = 0; x < kd; x++) {
                acc = acc.add(DoubleVector.fromArray(S, s, x * vd + y).mul(k[ko + x]));
            }
            DoubleVector.fromArray(S, v, vo + y).sub(acc.mul(f)).intoArray(r, y);
        }
        int whole = y;
        for (; y < vd; y++) {
            double acc = 0;
            for (int x = 0; x < kd; x++) {
                acc += s[x * vd + y] * k[ko + x];
            }
            r[y] = v[vo + y] - f * acc;
        }
        for (y = 0; y < whole; y += l) {
            DoubleVector rv = DoubleVector.fromArray(S, r, y);
            if (keepTo != null) {
                for (int x = 0; x < kd; x++) {
                    int so = x * vd + y;
                    DoubleVector sv = DoubleVector.fromArray(S, s, so).mul(f);
                    sv.intoArray(keepTo, so);
                    sv.add(rv.mul(k[ko + x] * bt)).intoArray(s, so);
                }
            } else if (readout) {
                DoubleVector out = DoubleVector.zero(S);
                for (int x = 0; x < kd; x++) {
                    int so = x * vd + y;
                    DoubleVector sv = DoubleVector.fromArray(S, s, so).mul(f).add(rv.mul(k[ko + x] * bt));
                    sv.intoArray(s, so);
                    out = out.add(sv.mul(q[qo + x]));
                }
                out.intoArray(o, oo + y);
            } else {
                for (int x = 0; x < kd; x++) {
                    int so = x * vd + y;
                    DoubleVector.fromArray(S, s, so).mul(f).add(rv.mul(k[ko + x] * bt)).intoArray(s, so);
                }
            }
        }
        for (; y < vd; y++) {
            double ry = r[y];
            double out = 0;
            for (int x = 0; x < kd; x++) {
                int so = x * vd + y;
                double kb = k[ko + x] * bt;
                if (keepTo != null) {
                    double sv = f * s[so];
                    keepTo[so] = sv;
                    s[so] = sv + kb * ry;
                } else {
                    double sv = f * s[so] + kb * ry;
                    s[so] = sv;
                    out += sv * q[qo + x];
                }
            }
            if (readout) {
                o[oo + y] = out;
            }
        }
    }
}
