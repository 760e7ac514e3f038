package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link AttentionRowsFloat}'s loops, loaded only when {@link Simd#on}: scores
 * with one key per lane, readouts and gradient rows with one column per lane, each lane's sum in the
 * scalar form's order; what is left past the last whole vector runs in the scalar form. A block of four
 * queries shares each load of a key or value row. Only the preferred species: with 256-bit vectors for
 * the columns beside 512-bit ones for the keys, C2 left the stores of {@link #scores} to the Vector
 * API's lane-by-lane fallback (2.5 to 5 times the double kernels' time).
 */
final class AttentionFloatVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private AttentionFloatVector() {
    }

    static void dots(float[] a, int ao, float[] bt, int t, int hd, int n, float[] out) {
        int whole = n - n % S.length();
        for (int j = 0; j < whole; j += S.length()) {
            FloatVector acc = FloatVector.zero(S);
            for (int c = 0; c < hd; c++) {
                acc = acc.add(FloatVector.fromArray(S, bt, c * t + j).mul(a[ao + c]));
            }
            acc.intoArray(out, j);
        }
        AttentionRowsFloat.dots(a, ao, bt, t, hd, whole, n, out);
    }

    static void mix(float[] w, int n, float[] x, int base, int hd, float[] out, int oo) {
        int whole = hd - hd % S.length();
        for (int c = 0; c < whole; c += S.length()) {
            FloatVector acc = FloatVector.zero(S);
            for (int j = 0; j < n; j++) {
                acc = acc.add(FloatVector.fromArray(S, x, base + j * hd + c).mul(w[j]));
            }
            acc.intoArray(out, oo + c);
        }
        AttentionRowsFloat.mix(w, n, x, base, hd, whole, out, oo);
    }

    /** {@link AttentionRowsFloat#scores}: four queries per pass over the keys when the block is whole. */
    static void scores(float[] a, int ao, float[] bt, int t, int hd, int i0, int nb, float[][] rows) {
        if (nb != 4) { // the block forms below are written for four queries
            for (int b = 0; b < nb; b++) {
                dots(a, ao + b * hd, bt, t, hd, i0 + b + 1, rows[b]);
            }
            return;
        }
        int last = i0 + 4, whole = last - last % S.length();
        float[] r0 = rows[0], r1 = rows[1], r2 = rows[2], r3 = rows[3];
        for (int j = 0; j < whole; j += S.length()) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0; c < hd; c++) {
                FloatVector kv = FloatVector.fromArray(S, bt, c * t + j);
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
            AttentionRowsFloat.dots(a, ao + b * hd, bt, t, hd, Math.min(whole, i0 + b + 1), i0 + b + 1, rows[b]);
        }
    }

    /** {@link AttentionRowsFloat#mixBlock}: the keys all four queries see in one pass, then each one's own. */
    static void mixBlock(float[][] rows, int i0, int nb, float[] x, int base, int hd, float[] out, int oo) {
        if (nb != 4) { // the block forms below are written for four queries
            for (int b = 0; b < nb; b++) {
                mix(rows[b], i0 + b + 1, x, base, hd, out, oo + b * hd);
            }
            return;
        }
        int whole = hd - hd % S.length(), shared = i0 + 1;
        float[] w0 = rows[0], w1 = rows[1], w2 = rows[2], w3 = rows[3];
        for (int c = 0; c < whole; c += S.length()) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < shared; j++) {
                FloatVector xv = FloatVector.fromArray(S, x, base + j * hd + c);
                a0 = a0.add(xv.mul(w0[j]));
                a1 = a1.add(xv.mul(w1[j]));
                a2 = a2.add(xv.mul(w2[j]));
                a3 = a3.add(xv.mul(w3[j]));
            }
            // then the later queries' own keys i0 + 1 .. i0 + 3 (written out: no branch in a vector loop)
            FloatVector x1 = FloatVector.fromArray(S, x, base + shared * hd + c);
            FloatVector x2 = FloatVector.fromArray(S, x, base + (shared + 1) * hd + c);
            FloatVector x3 = FloatVector.fromArray(S, x, base + (shared + 2) * hd + c);
            a1 = a1.add(x1.mul(w1[shared]));
            a2 = a2.add(x1.mul(w2[shared])).add(x2.mul(w2[shared + 1]));
            a3 = a3.add(x1.mul(w3[shared])).add(x2.mul(w3[shared + 1])).add(x3.mul(w3[shared + 2]));
            a0.intoArray(out, oo + c);
            a1.intoArray(out, oo + hd + c);
            a2.intoArray(out, oo + 2 * hd + c);
            a3.intoArray(out, oo + 3 * hd + c);
        }
        for (int b = 0; b < 4; b++) {
            AttentionRowsFloat.mix(rows[b], i0 + b + 1, x, base, hd, whole, out, oo + b * hd);
        }
    }

    /** {@link AttentionRowsFloat#spreadBlock}: each key row loaded and stored once for the four queries. */
    static void spreadBlock(float[][] ds, float[][] p, int i0, int nb, float[] q, float[] dO, int base, int hd,
                            float[] dk, float[] dv) {
        int whole = hd - hd % S.length(), shared = i0 + 1, io = base + i0 * hd;
        if (nb != 4) { // the block forms below are written for four queries
            for (int b = 0; b < nb; b++) {
                int ib = io + b * hd;
                for (int c = 0; c < whole; c += S.length()) {
                    FloatVector qv = FloatVector.fromArray(S, q, ib + c), ov = FloatVector.fromArray(S, dO, ib + c);
                    for (int j = 0; j <= i0 + b; j++) {
                        int jo = base + j * hd + c;
                        FloatVector.fromArray(S, dk, jo).add(qv.mul(ds[b][j])).intoArray(dk, jo);
                        FloatVector.fromArray(S, dv, jo).add(ov.mul(p[b][j])).intoArray(dv, jo);
                    }
                }
            }
            AttentionRowsFloat.spreadBlock(ds, p, i0, nb, q, dO, base, hd, whole, dk, dv);
            return;
        }
        float[] s0 = ds[0], s1 = ds[1], s2 = ds[2], s3 = ds[3], p0 = p[0], p1 = p[1], p2 = p[2], p3 = p[3];
        for (int c = 0; c < whole; c += S.length()) {
            FloatVector q0 = FloatVector.fromArray(S, q, io + c), q1 = FloatVector.fromArray(S, q, io + hd + c);
            FloatVector q2 = FloatVector.fromArray(S, q, io + 2 * hd + c);
            FloatVector q3 = FloatVector.fromArray(S, q, io + 3 * hd + c);
            for (int j = 0; j < shared; j++) {
                int jo = base + j * hd + c;
                FloatVector.fromArray(S, dk, jo).add(q0.mul(s0[j])).add(q1.mul(s1[j])).add(q2.mul(s2[j]))
                        .add(q3.mul(s3[j])).intoArray(dk, jo);
            }
            FloatVector o0 = FloatVector.fromArray(S, dO, io + c), o1 = FloatVector.fromArray(S, dO, io + hd + c);
            FloatVector o2 = FloatVector.fromArray(S, dO, io + 2 * hd + c);
            FloatVector o3 = FloatVector.fromArray(S, dO, io + 3 * hd + c);
            for (int j = 0; j < shared; j++) {
                int jo = base + j * hd + c;
                FloatVector.fromArray(S, dv, jo).add(o0.mul(p0[j])).add(o1.mul(p1[j])).add(o2.mul(p2[j]))
                        .add(o3.mul(p3[j])).intoArray(dv, jo);
            }
        }
        // the keys past i0, which only the later queries of the block see, in query order
        for (int b = 1; b < 4; b++) {
            int ib = io + b * hd;
            for (int c = 0; c < whole; c += S.length()) {
                FloatVector qv = FloatVector.fromArray(S, q, ib + c), ov = FloatVector.fromArray(S, dO, ib + c);
                for (int j = shared; j <= i0 + b; j++) {
                    int jo = base + j * hd + c;
                    FloatVector.fromArray(S, dk, jo).add(qv.mul(ds[b][j])).intoArray(dk, jo);
                    FloatVector.fromArray(S, dv, jo).add(ov.mul(p[b][j])).intoArray(dv, jo);
                }
            }
        }
        AttentionRowsFloat.spreadBlock(ds, p, i0, 4, q, dO, base, hd, whole, dk, dv);
    }

    static float max(float[] row, int n) {
        int whole = n - n % S.length();
        FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < whole; j += S.length()) {
            m = m.max(FloatVector.fromArray(S, row, j));
        }
        float max = m.reduceLanes(VectorOperators.MAX);
        for (int j = whole; j < n; j++) {
            max = Math.max(max, row[j]);
        }
        return max;
    }

    static void divide(float[] row, int n, float sum) {
        int whole = n - n % S.length();
        for (int j = 0; j < whole; j += S.length()) {
            FloatVector.fromArray(S, row, j).div(sum).intoArray(row, j);
        }
        AttentionRowsFloat.divide(row, whole, n, sum);
    }

    static void scoreGrads(float[] ds, float[] p, int n, float rowDot) {
        int whole = n - n % S.length();
        for (int j = 0; j < whole; j += S.length()) {
            FloatVector.fromArray(S, p, j).mul(FloatVector.fromArray(S, ds, j).sub(rowDot)).intoArray(ds, j);
        }
        AttentionRowsFloat.scoreGrads(ds, p, whole, n, rowDot);
    }
}
