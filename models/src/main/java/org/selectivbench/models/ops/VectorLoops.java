package org.selectivbench.models.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/** The Vector API form of {@link Loops}, loaded only when {@link Simd#on}. */
final class VectorLoops {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    private VectorLoops() {
    }

    static void addProducts(double[] y, int yo, double[] a, int ao, double[] b, int bo, int n) {
        int i = 0;
        for (; i <= n - S.length(); i += S.length()) {
            DoubleVector.fromArray(S, y, yo + i)
                    .add(DoubleVector.fromArray(S, a, ao + i).mul(DoubleVector.fromArray(S, b, bo + i)))
                    .intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] += a[ao + i] * b[bo + i];
        }
    }
}
