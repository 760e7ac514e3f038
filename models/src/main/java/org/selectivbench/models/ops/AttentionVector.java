package org.selectivbench.models.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link AttentionRows}' loops, loaded only when {@link Simd#on}: scores with one
 * key per lane, readouts and gradient rows with one column per lane, each lane's sum in the scalar
 * form's order; what is left past the last whole vector runs in the scalar form. A block of four
 * queries shares each load of a key or value row (four sums in flight instead of one chain).
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

    /** {@link AttentionRows#scores}: four queries per pass over the keys when the block is whole. */
    static void scores(double[] a, int ao, double[] bt, int t, int hd, int i0, int nb, double[][] rows) {
        if (nb != 4) { // the block forms below are written for four queries
            for (int b = 0; b < nb; b++) {
                dots(a, ao + b * hd, bt, t, hd, i0 + b + 1, rows[b]);
            }
            return;
        }
        int last = i0 + 4, whole = last - last % S.length();
        double[] r0 = rows[0], r1 = rows[1], r2 = rows[2], r3 = rows[3];
        for (int j = 0; j < whole; j += S.length()) {
            DoubleVector a0 = DoubleVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0; c < hd; c++) {
                DoubleVector kv = DoubleVector.fromArray(S, bt, c * t + j);
                a0 = a0.add(kv.mul(a[ao + c]));
                a1 = a1.add(kv.mul(a[ao + hd + c]));
                a2 = a2.add(kv.mul(a[ao + 2 * hd + c]));
                a3 = a3.add(kv.mul(a[ao + 3 * hd + c]));
            }
            a0.intoArray(r0, j);
            a1.intoArray(r1, j);
            a2.intoArray(r2, j);
            a3.intoArray(r3, j);
        }
        for (int b = 0; b < 4; b++) {
            AttentionRows.dots(a, ao + b * hd, bt, t, hd, Math.min(whole, i0 + b + 1), i0 + b + 1, rows[b]);
        }
    }

    /** {@link AttentionRows#mixBlock}: the keys all four queries see in one pass, then each one's own. */
    static void mixBlock(double[][] rows, int i0, int nb, double[] x, int base, int hd, double[] out, int oo) {
        if (nb != 4) { // the block forms below are written for four queries
            for (int b = 0; b < nb; b++) {
                mix(rows[b], i0 + b + 1, x, base, hd, out, oo + b * hd);
            }
            return;
        }
        int whole = hd - hd % S.length(), shared = i0 + 1;
        double[] w0 = rows[0], w1 = rows[1], w2 = rows[2], w3 = rows[3];
        for (int c = 0; c < whole; c += S.length()) {
            DoubleVector a0 = DoubleVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < shared; j++) {
                DoubleVector xv = DoubleVector.fromArray(S, x, base + j * hd + c);
                a0 = a0.add(xv.mul(w0[j]));
                a1 = a1.add(xv.mul(w1[j]));
                a2 = a2.add(xv.mul(w2[j]));
                a3 = a3.add(xv.mul(w3[j]));
            }
            // then the later queries' own keys i0 + 1 .. i0 + 3 (written out: no branch in a vector loop)
            DoubleVector x1 = DoubleVector.fromArray(S, x, base + shared * hd + c);
            DoubleVector x2 = DoubleVector.fromArray(S, x, base + (shared + 1) * hd + c);
            DoubleVector x3 = DoubleVector.fromArray(S, x, base + (shared + 2) * hd + c);
            a1 = a1.add(x1.mul(w1[shared]));
            a2 = a2.add(x1.mul(w2[shared])).add(x2.mul(w2[shared + 1]));
            a3 = a3.add(x1.mul(w3[shared])).add(x2.mul(w3[shared + 1])).add(x3.mul(w3[shared + 2]));
            a0.intoArray(out, oo + c);
            a1.intoArray(out, oo + hd + c);
            a2.intoArray(out, oo + 2 * hd + c);
            a3.intoArray(out, oo + 3 * hd + c);
        }
        for (int b = 0; b < 4; b++) {
            AttentionRows.mix(rows[b], i0 + b + 1, x, base, hd, whole, out, oo + b * hd);
        }
    }

    /** {@link AttentionRows#spreadBlock}: each key row loaded and stored once for the four queries. */
    static void spreadBlock(double[][] ds, double[][] p, int i0, int nb, double[] q, double[] dO, int base, int hd,
                            double[] dk, double[] dv) {
        if (nb != 4) { // the block forms below are written for four queries
            for (int b = 0; b < nb; b++) {
                spread(ds[b], p[b], i0 + b + 1, q, dO, base + (i0 + b) * hd, base, hd, dk, dv);
            }
            return;
        }
        int whole = hd - hd % S.length(), shared = i0 + 1, io = base + i0 * hd;
        double[] s0 = ds[0], s1 = ds[1], s2 = ds[2], s3 = ds[3], p0 = p[0], p1 = p[1], p2 = p[2], p3 = p[3];
        for (int c = 0; c < whole; c += S.length()) {
            DoubleVector q0 = DoubleVector.fromArray(S, q, io + c), q1 = DoubleVector.fromArray(S, q, io + hd + c);
            DoubleVector q2 = DoubleVector.fromArray(S, q, io + 2 * hd + c);
            DoubleVector q3 = DoubleVector.fromArray(S, q, io + 3 * hd + c);
            for (int j = 0; j < shared; j++) {
                int jo = base + j * hd + c;
                DoubleVector.fromArray(S, dk, jo).add(q0.mul(s0[j])).add(q1.mul(s1[j])).add(q2.mul(s2[j]))
                        .add(q3.mul(s3[j])).intoArray(dk, jo);
            }
            DoubleVector o0 = DoubleVector.fromArray(S, dO, io + c), o1 = DoubleVector.fromArray(S, dO, io + hd + c);
            DoubleVector o2 = DoubleVector.fromArray(S, dO, io + 2 * hd + c);
            DoubleVector o3 = DoubleVector.fromArray(S, dO, io + 3 * hd + c);
            for (int j = 0; j < shared; j++) {
                int jo = base + j * hd + c;
                DoubleVector.fromArray(S, dv, jo).add(o0.mul(p0[j])).add(o1.mul(p1[j])).add(o2.mul(p2[j]))
                        .add(o3.mul(p3[j])).intoArray(dv, jo);
            }
        }
        // the keys past i0, which only the later queries of the block see, in query order
        for (int b = 1; b < 4; b++) {
            int ib = io + b * hd;
            for (int c = 0; c < whole; c += S.length()) {
                DoubleVector qv = DoubleVector.fromArray(S, q, ib + c), ov = DoubleVector.fromArray(S, dO, ib + c);
                for (int j = shared; j <= i0 + b; j++) {
                    int jo = base + j * hd + c;
                    DoubleVector.fromArray(S, dk, jo).add(qv.mul(ds[b][j])).intoArray(dk, jo);
                    DoubleVector.fromArray(S, dv, jo).add(ov.mul(p[b][j])).intoArray(dv, jo);
                }
            }
        }
        AttentionRows.spreadBlock(ds, p, i0, 4, q, dO, base, hd, whole, dk, dv);
    }

    static double max(double[] row, int n) {
        int whole = n - n % S.length();
        DoubleVector m = DoubleVector.broadcast(S, Double.NEGATIVE_INFINITY);
        for (int j = 0; j < whole; j += S.length()) {
            m = m.max(DoubleVector.fromArray(S, row, j));
        }
        double max = m.reduceLanes(VectorOperators.MAX);
        for (int j = whole; j < n; j++) {
            max = Math.max(max, row[j]);
        }
        return max;
    }

    static double min(double[] row, int n) {
        int whole = n - n % S.length();
        DoubleVector m = DoubleVector.broadcast(S, Double.POSITIVE_INFINITY);
        for (int j = 0; j < whole; j += S.length()) {
            m = m.min(DoubleVector.fromArray(S, row, j));
        }
        double min = m.reduceLanes(VectorOperators.MIN);
        for (int j = whole; j < n; j++) {
            min = Math.min(min, row[j]);
        }
        return min;
    }

    static void divide(double[] row, int n, double sum) {
        int whole = n - n % S.length();
        for (int j = 0; j < whole; j += S.length()) {
            DoubleVector.fromArray(S, row, j).div(sum).intoArray(row, j);
        }
        AttentionRows.divide(row, whole, n, sum);
    }

    static void scoreGrads(double[] ds, double[] p, int n, double rowDot) {
        int whole = n - n % S.length();
        for (int j = 0; j < whole; j += S.length()) {
            DoubleVector.fromArray(S, p, j).mul(DoubleVector.fromArray(S, ds, j).sub(rowDot)).intoArray(ds, j);
        }
        AttentionRows.scoreGrads(ds, p, whole, n, rowDot);
    }
}
