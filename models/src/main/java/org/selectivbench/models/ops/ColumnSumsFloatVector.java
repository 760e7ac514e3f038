package org.selectivbench.models.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
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
    /**
     * A float vector's upper half moved to its lower, to widen as part 0: the JDK widens part 1 through a
     * slice and a blend, which some JVMs did not compile into vector instructions (its vectors then went
     * through the heap, docs/engine-log.md). SwiGLU's backward widens its terms with it too.
     */
    static final VectorShuffle<Float> UPPER = VectorShuffle.fromOp(F, k -> (k + F.length() / 2) % F.length());
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    private ColumnSumsFloatVector() {
    }

    /** A row of ones, as long as any caller has needed: b's stand-in when there is no b (a x 1 is a, exactly). */
    private static volatile float[] ones = new float[0];

    /**
     * acc[j] += the sum over rows of a[ao + r n + j] (times b[bo + r n + j] when b is not null), for the
     * columns of whole float vectors; returns the first column not done. Each load, product and widening is written
     * out in the loop, not in a method of its own: a method taking or returning vectors that C2 happens not
     * to inline passes them as heap objects ({@link Simd}).
     */
    static int add(int rows, int n, float[] a, int ao, float[] b, int bo, double[] acc) {
        int step = F.length(), half = D.length(), j = 0;
        if (2 * half != step) {
            return 0; // a shape where a float vector is not two double vectors: the scalar form does it all
        }
        // without b the terms are a times a row of ones, read again for every row (a row stride of 0)
        float[] m = b != null ? b : ones(n + step);
        int ms = b != null ? n : 0, mb = b != null ? bo : 0;
        if (n == half) {
            return pairs(rows, n, a, ao, m, mb, ms, acc);
        }
        for (; j + 2 * step <= n; j += 2 * step) {
            DoubleVector s0 = DoubleVector.fromArray(D, acc, j), s1 = DoubleVector.fromArray(D, acc, j + half);
            DoubleVector s2 = DoubleVector.fromArray(D, acc, j + step);
            DoubleVector s3 = DoubleVector.fromArray(D, acc, j + step + half);
            for (int r = 0, o = ao + j, mo = mb + j; r < rows; r++, o += n, mo += ms) {
                FloatVector t = FloatVector.fromArray(F, a, o).mul(FloatVector.fromArray(F, m, mo));
                FloatVector u = FloatVector.fromArray(F, a, o + step).mul(FloatVector.fromArray(F, m, mo + step));
                s0 = ((DoubleVector) t.convertShape(VectorOperators.F2D, D, 0)).add(s0);
                s1 = ((DoubleVector) t.rearrange(UPPER).convertShape(VectorOperators.F2D, D, 0)).add(s1);
                s2 = ((DoubleVector) u.convertShape(VectorOperators.F2D, D, 0)).add(s2);
                s3 = ((DoubleVector) u.rearrange(UPPER).convertShape(VectorOperators.F2D, D, 0)).add(s3);
            }
            s0.intoArray(acc, j);
            s1.intoArray(acc, j + half);
            s2.intoArray(acc, j + step);
            s3.intoArray(acc, j + step + half);
        }
        for (; j + step <= n; j += step) {
            DoubleVector s0 = DoubleVector.fromArray(D, acc, j), s1 = DoubleVector.fromArray(D, acc, j + half);
            for (int r = 0, o = ao + j, mo = mb + j; r < rows; r++, o += n, mo += ms) {
                FloatVector t = FloatVector.fromArray(F, a, o).mul(FloatVector.fromArray(F, m, mo));
                s0 = ((DoubleVector) t.convertShape(VectorOperators.F2D, D, 0)).add(s0);
                s1 = ((DoubleVector) t.rearrange(UPPER).convertShape(VectorOperators.F2D, D, 0)).add(s1);
            }
            s0.intoArray(acc, j);
            s1.intoArray(acc, j + half);
        }
        return j;
    }

    /**
     * Rows of half a float vector (RMSNorm's heads of 8 on 16 lanes): rows r and r + 1 in one vector; m the
     * factors from mo0 with row stride ms.
     */
    private static int pairs(int rows, int n, float[] a, int ao, float[] m, int mo0, int ms, double[] acc) {
        DoubleVector s = DoubleVector.fromArray(D, acc, 0);
        int r = 0;
        for (; r + 2 <= rows; r += 2) {
            FloatVector t = FloatVector.fromArray(F, a, ao + r * n).mul(FloatVector.fromArray(F, m, mo0 + r * ms));
            s = ((DoubleVector) t.convertShape(VectorOperators.F2D, D, 0)).add(s);
            s = ((DoubleVector) t.rearrange(UPPER).convertShape(VectorOperators.F2D, D, 0)).add(s);
        }
        s.intoArray(acc, 0);
        for (int j = 0, o = ao + r * n, mo = mo0 + r * ms; r < rows && j < n; j++) { // the odd row, last as in the scalar form
            acc[j] += a[o + j] * m[mo + j];
        }
        return n;
    }

    private static float[] ones(int n) {
        float[] o = ones;
        if (o.length < n) {
            o = new float[n];
            java.util.Arrays.fill(o, 1f);
            ones = o; // racing threads each fill their own: any of them is right
        }
        return o;
    }
}
