package org.selectivbench.models.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link RowNormsFloat}'s sums over rows per column in double (bias and norm weight gradients), a column
 * to a lane: each lane adds its column's rows in row order, each term the scalar form's float product
 * widened exactly to double, so the numbers are the same. The scalar form waits on one dependent add per
 * entry; here a pass over the rows carries four vectors of columns. A float vector widens to two double
 * vectors, its lower and upper half: a float vector of another shape would be a second FloatVector class
 * in the JVM, and every kernel's vector calls would need a guard (see {@link Simd}). Loaded only when
 * {@link Simd#on}. Each method returns the first column it did not do, for the scalar form to finish.
 */
final class ColumnSumsFloatVector {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    private ColumnSumsFloatVector() {
    }

    /**
     * acc[j] += the sum over rows of a[r n + j] (times b[r n + j] when b is not null), for the columns of
     * whole float vectors; returns the first column not done.
     */
    static int add(int rows, int n, float[] a, float[] b, double[] acc) {
        int step = F.length(), half = D.length(), j = 0;
        if (2 * half != step) {
            return 0; // a shape where a float vector is not two double vectors: the scalar form does it all
        }
        if (n == half) {
            return pairs(rows, n, a, b, acc);
        }
        for (; j + 2 * step <= n; j += 2 * step) {
            DoubleVector s0 = DoubleVector.fromArray(D, acc, j), s1 = DoubleVector.fromArray(D, acc, j + half);
            DoubleVector s2 = DoubleVector.fromArray(D, acc, j + step);
            DoubleVector s3 = DoubleVector.fromArray(D, acc, j + step + half);
            for (int r = 0, o = j; r < rows; r++, o += n) {
                FloatVector t = term(a, b, o), u = term(a, b, o + step);
                s0 = widened(t, 0).add(s0);
                s1 = widened(t, 1).add(s1);
                s2 = widened(u, 0).add(s2);
                s3 = widened(u, 1).add(s3);
            }
            s0.intoArray(acc, j);
            s1.intoArray(acc, j + half);
            s2.intoArray(acc, j + step);
            s3.intoArray(acc, j + step + half);
        }
        for (; j + step <= n; j += step) {
            DoubleVector s0 = DoubleVector.fromArray(D, acc, j), s1 = DoubleVector.fromArray(D, acc, j + half);
            for (int r = 0, o = j; r < rows; r++, o += n) {
                FloatVector t = term(a, b, o);
                s0 = widened(t, 0).add(s0);
                s1 = widened(t, 1).add(s1);
            }
            s0.intoArray(acc, j);
            s1.intoArray(acc, j + half);
        }
        return j;
    }

    /** Rows of half a float vector (RMSNorm's heads of 8 on 16 lanes): rows r and r + 1 in one vector. */
    private static int pairs(int rows, int n, float[] a, float[] b, double[] acc) {
        DoubleVector s = DoubleVector.fromArray(D, acc, 0);
        int r = 0;
        for (; r + 2 <= rows; r += 2) {
            FloatVector t = term(a, b, r * n);
            s = widened(t, 0).add(s);
            s = widened(t, 1).add(s);
        }
        s.intoArray(acc, 0);
        for (int j = 0, o = r * n; r < rows && j < n; j++) { // the odd row, last as in the scalar form
            acc[j] += b == null ? a[o + j] : a[o + j] * b[o + j];
        }
        return n;
    }

    /** a b at o in float (a without b). */
    private static FloatVector term(float[] a, float[] b, int o) {
        FloatVector t = FloatVector.fromArray(F, a, o);
        return b == null ? t : t.mul(FloatVector.fromArray(F, b, o));
    }

    /** The lower (part 0) or upper (part 1) half of t widened to double. */
    private static DoubleVector widened(FloatVector t, int part) {
        return (DoubleVector) t.convertShape(VectorOperators.F2D, D, part);
    }
}
