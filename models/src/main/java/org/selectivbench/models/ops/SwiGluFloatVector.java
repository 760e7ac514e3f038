package org.selectivbench.models.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link SwiGlu}'s float rows, loaded only when {@link Simd#on}: the scalar form's
 * expressions one column per lane, each returning the first column it did not do (the scalar form goes
 * on from there). C2 left the scalar loops unvectorized: a row's two halves live in one array at offsets
 * it cannot tell apart, and d beta's double sums mix widths (docs/engine-log.md).
 */
final class SwiGluFloatVector {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Doubles of the floats' shape: half as many lanes, so a float vector widens into two halves. */
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());

    private SwiGluFloatVector() {
    }

    /** s[o + j] = beta x1_j for the row whose h starts at ho, n columns. */
    static int scaled(int n, float[] h, int ho, float beta, float[] s, int o) {
        int whole = n - n % F.length();
        for (int j = 0; j < whole; j += F.length()) {
            FloatVector.fromArray(F, h, ho + j).mul(beta).intoArray(s, o + j);
        }
        return whole;
    }

    /** f[o + j] = x1_j s_j x2_j, left to right. */
    static int products(int n, float[] h, int ho, float[] s, int o, float[] f) {
        int whole = n - n % F.length();
        for (int j = 0; j < whole; j += F.length()) {
            FloatVector.fromArray(F, h, ho + j).mul(FloatVector.fromArray(F, s, o + j))
                    .mul(FloatVector.fromArray(F, h, ho + n + j)).intoArray(f, o + j);
        }
        return whole;
    }

    /** One row of {@link SwiGlu}'s float backward: dh's two halves, and d beta's terms added to cols[j]. */
    static int backRow(int n, float[] h, int ho, float[] s, int o, float beta, float[] df, float[] dh,
                       double[] cols) {
        int whole = n - n % F.length(), half = D.length();
        for (int j = 0; j < whole; j += F.length()) {
            FloatVector one = FloatVector.broadcast(F, 1); // in the loop: see Simd on receivers in loops
            FloatVector x1 = FloatVector.fromArray(F, h, ho + j), x2 = FloatVector.fromArray(F, h, ho + n + j);
            FloatVector sj = FloatVector.fromArray(F, s, o + j), dfj = FloatVector.fromArray(F, df, o + j);
            FloatVector ds = one.sub(sj).mul(sj), g = dfj.mul(x2);
            FloatVector term = g.mul(x1).mul(x1).mul(ds);
            ((DoubleVector) term.convertShape(VectorOperators.F2D, D, 0)).add(DoubleVector.fromArray(D, cols, j))
                    .intoArray(cols, j);
            ((DoubleVector) term.rearrange(ColumnSumsFloatVector.UPPER).convertShape(VectorOperators.F2D, D, 0))
                    .add(DoubleVector.fromArray(D, cols, j + half)).intoArray(cols, j + half);
            ds.mul(x1).mul(beta).add(sj).mul(g).intoArray(dh, ho + j);
            dfj.mul(x1).mul(sj).intoArray(dh, ho + n + j);
        }
        return whole;
    }
}
