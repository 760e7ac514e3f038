package org.selectivbench.models.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link AttentionRows}' loops, loaded only when {@link Simd#on}: scores with one
 * key per lane, readouts and gradient rows with one column per lane, each lane's sum in the scalar
 * form's order; what is left past the last whole vector runs in the scalar form.
 */
final class AttentionVector {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    private AttentionVector() {
    }

    static void dots(double[] a, int ao, double[] bt, int t, int hd, int n, double[] out) {
        int whole = n - n % S.length();
        for (int j = 0; j < whole; j += S.length()) {
            DoubleVector acc = DoubleVector.zero(S);
            for (int c = 0; c < hd; c++) {
                acc = acc.add(DoubleVector.fromArray(S, bt, c * t + j).mul(a[ao + c]));
            }
            acc.intoArray(out, j);
        }
        AttentionRows.dots(a, ao, bt, t, hd, whole, n, out);
    }

    static void mix(double[] w, int n, double[] x, int base, int hd, double[] out, int oo) {
        int whole = hd - hd % S.length();
        for (int c = 0; c < whole; c += S.length()) {
            DoubleVector acc = DoubleVector.zero(S);
            for (int j = 0; j < n; j++) {
                acc = acc.add(DoubleVector.fromArray(S, x, base + j * hd + c).mul(w[j]));
            }
            acc.intoArray(out, oo + c);
        }
        AttentionRows.mix(w, n, x, base, hd, whole, out, oo);
    }

    static void spread(double[] ds, double[] p, int n, double[] q, double[] dO, int io, int base, int hd,
                       double[] dk, double[] dv) {
        int whole = hd - hd % S.length();
        for (int c = 0; c < whole; c += S.length()) {
            DoubleVector qv = DoubleVector.fromArray(S, q, io + c), ov = DoubleVector.fromArray(S, dO, io + c);
            for (int j = 0; j < n; j++) {
                int jo = base + j * hd + c;
                DoubleVector.fromArray(S, dk, jo).add(qv.mul(ds[j])).intoArray(dk, jo);
                DoubleVector.fromArray(S, dv, jo).add(ov.mul(p[j])).intoArray(dv, jo);
            }
        }
        AttentionRows.spread(ds, p, n, q, dO, io, base, hd, whole, dk, dv);
    }
}
