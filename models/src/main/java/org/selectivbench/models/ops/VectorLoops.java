package org.selectivbench.models.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The Vector API forms of {@link Loops} and {@link Exp}, loaded only when {@link Simd#on}. */
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

    static void addScaled(double[] y, int yo, double s, double[] x, int xo, int n) {
        int i = 0;
        for (; i <= n - S.length(); i += S.length()) {
            DoubleVector.fromArray(S, y, yo + i).add(DoubleVector.fromArray(S, x, xo + i).mul(s)).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] += s * x[xo + i];
        }
    }

    /** {@link Exp#expScaled}: the scalar form's operations lane by lane; a vector with a lane out of range runs scalar. */
    static void expScaled(double[] y, int yo, double[] a, int ao, double s, int n) {
        int i = 0;
        for (; i <= n - S.length(); i += S.length()) {
            DoubleVector x = DoubleVector.fromArray(S, a, ao + i).mul(s);
            VectorMask<Double> in = x.compare(VectorOperators.GE, Exp.LO).and(x.compare(VectorOperators.LE, Exp.HI));
            if (!in.allTrue()) {
                for (int j = i; j < i + S.length(); j++) {
                    y[yo + j] = Exp.exp(s * a[ao + j]);
                }
                continue;
            }
            DoubleVector t = x.mul(Exp.LOG2E).add(Exp.ROUND);
            DoubleVector m = t.sub(Exp.ROUND);
            DoubleVector r = x.sub(m.mul(Exp.LN2_HI)).sub(m.mul(Exp.LN2_LO));
            DoubleVector p = DoubleVector.broadcast(S, Exp.TAYLOR[12]);
            for (int k = 11; k >= 0; k--) {
                p = p.mul(r).add(Exp.TAYLOR[k]);
            }
            LongVector scale = t.reinterpretAsLongs().sub(Exp.ROUND_BITS).lanewise(VectorOperators.LSHL, 52);
            p.reinterpretAsLongs().add(scale).reinterpretAsDoubles().intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] = Exp.exp(s * a[ao + i]);
        }
    }
}
