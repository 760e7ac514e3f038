package org.selectivbench.models.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API forms of {@link Exp} (exponentials over rows of lanes, sigmoids, and the bounds that
 * tell when the vector loop may run), loaded only when {@link Simd#on}; each lane's operations are the
 * scalar form's, so its numbers.
 */
final class ExpVector {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    /** S's shape in longs, for the exponential's bits; a constant, so C2 can always intrinsify the reinterpretations. */
    private static final VectorSpecies<Long> BITS = LongVector.SPECIES_PREFERRED;
    /** The float kernels' lanes, and their shape in ints for the exponential's bits. */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> FBITS = IntVector.SPECIES_PREFERRED;
    /** The lanes of a vector of doubles and of floats, the strides of {@link Exp}'s calls. */
    static final int LANES = S.length(), FLOAT_LANES = F.length();
    /** A scale of 1 per lane, for exp(x) through {@link #expRows} (1 x = x exactly). */
    static final double[] ONES = java.util.stream.DoubleStream.generate(() -> 1.0).limit(LANES).toArray();
    static final float[] FLOAT_ONES = new float[FLOAT_LANES];

    static {
        java.util.Arrays.fill(FLOAT_ONES, 1);
    }

    private ExpVector() {
    }

    /** {@link #maxAbs} of floats. */
    static float maxAbs(float[] x, int n) {
        return maxAbs(x, 0, n);
    }

    /** {@link #maxAbs} of floats x[from, from + n). */
    static float maxAbs(float[] x, int from, int n) {
        int l = F.length(), whole = from + n - n % l, quad = whole - (n - n % l) % (4 * l);
        FloatVector m = FloatVector.zero(F), m1 = m, m2 = m, m3 = m; // four chains: max waits on max
        for (int i = from; i < quad; i += 4 * l) { // the carried maxima as arguments (Simd: receivers in loops)
            m = FloatVector.fromArray(F, x, i).abs().max(m);
            m1 = FloatVector.fromArray(F, x, i + l).abs().max(m1);
            m2 = FloatVector.fromArray(F, x, i + 2 * l).abs().max(m2);
            m3 = FloatVector.fromArray(F, x, i + 3 * l).abs().max(m3);
        }
        for (int i = quad; i < whole; i += l) {
            m = FloatVector.fromArray(F, x, i).abs().max(m);
        }
        float bound = m.max(m1).max(m2.max(m3)).reduceLanes(VectorOperators.MAX);
        for (int i = whole; i < from + n; i++) {
            bound = Math.max(bound, Math.abs(x[i]));
        }
        return bound;
    }

    /**
     * max |x[i]| over [0, n), NaN if one is NaN: lanewise maxima, then across the lanes (a chain of scalar
     * maxima cost as much as the exponentials of a short row).
     */
    static double maxAbs(double[] x, int n) {
        int l = S.length(), whole = n - n % l, quad = whole - whole % (4 * l);
        DoubleVector m = DoubleVector.zero(S), m1 = m, m2 = m, m3 = m; // four chains: max waits on max
        for (int i = 0; i < quad; i += 4 * l) {
            m = m.max(DoubleVector.fromArray(S, x, i).abs());
            m1 = m1.max(DoubleVector.fromArray(S, x, i + l).abs());
            m2 = m2.max(DoubleVector.fromArray(S, x, i + 2 * l).abs());
            m3 = m3.max(DoubleVector.fromArray(S, x, i + 3 * l).abs());
        }
        for (int i = quad; i < whole; i += l) {
            m = m.max(DoubleVector.fromArray(S, x, i).abs());
        }
        double bound = m.max(m1).max(m2.max(m3)).reduceLanes(VectorOperators.MAX);
        for (int i = whole; i < n; i++) {
            bound = Math.max(bound, Math.abs(x[i]));
        }
        return bound;
    }

    /**
     * y[r * lanes + l] = {@link Exp#exp}(scale[so + l] * a[ao + r * stride + l]) for rows r in [0, rows) and
     * lanes l, the scalar form's operations lane by lane. {@code aBound} bounds |a| over those rows: when
     * the products are then within the exponential's range the loop runs with no test per row, else
     * scalar. The exponential is written out here, in the one loop that needs it, and not as a method of
     * vectors, and the loop holds no masks: C2 compiled such a method on its own and then would not inline
     * it ("already compiled into a big method"), and in some JVMs did not intrinsify the range test's
     * masks; either way every vector was boxed and Mamba's step ran two to three times slower.
     */
    static void expRows(double[] y, double[] scale, int so, double[] a, int ao, int stride, int rows, double aBound) {
        double scaleBound = 0;
        for (int l = 0; l < S.length(); l++) {
            scaleBound = Math.max(scaleBound, Math.abs(scale[so + l]));
        }
        if (!(scaleBound * aBound <= Math.min(-Exp.LO, Exp.HI))) {
            for (int r = 0; r < rows; r++) {
                for (int l = 0; l < S.length(); l++) {
                    y[r * S.length() + l] = Exp.exp(scale[so + l] * a[ao + r * stride + l]);
                }
            }
            return;
        }
        DoubleVector sv = DoubleVector.fromArray(S, scale, so);
        DoubleVector t10 = DoubleVector.broadcast(S, Exp.T10), t9 = DoubleVector.broadcast(S, Exp.T9);
        DoubleVector t8 = DoubleVector.broadcast(S, Exp.T8), t7 = DoubleVector.broadcast(S, Exp.T7);
        DoubleVector t6 = DoubleVector.broadcast(S, Exp.T6), t5 = DoubleVector.broadcast(S, Exp.T5);
        DoubleVector t4 = DoubleVector.broadcast(S, Exp.T4), t3 = DoubleVector.broadcast(S, Exp.T3);
        DoubleVector t2 = DoubleVector.broadcast(S, Exp.T2), t1 = DoubleVector.broadcast(S, Exp.T1);
        DoubleVector t0 = DoubleVector.broadcast(S, Exp.T0);
        for (int r = 0; r < rows; r++) {
            DoubleVector x = sv.mul(DoubleVector.fromArray(S, a, ao + r * stride));
            DoubleVector t = x.mul(Exp.LOG2E).add(Exp.ROUND);
            DoubleVector m = t.sub(Exp.ROUND);
            DoubleVector f = x.sub(m.mul(Exp.LN2_HI)).sub(m.mul(Exp.LN2_LO));
            DoubleVector p = f.fma(Exp.T12, Exp.T11).fma(f, t10).fma(f, t9).fma(f, t8).fma(f, t7).fma(f, t6)
                    .fma(f, t5).fma(f, t4).fma(f, t3).fma(f, t2).fma(f, t1).fma(f, t0);
            // reinterpreted to constant species: through viewAs... C2 sometimes could not tell the species
            LongVector scaleBits = ((LongVector) t.reinterpretShape(BITS, 0)).sub(Exp.ROUND_BITS)
                    .lanewise(VectorOperators.LSHL, 52);
            ((DoubleVector) ((LongVector) p.reinterpretShape(BITS, 0)).add(scaleBits).reinterpretShape(S, 0))
                    .intoArray(y, r * S.length());
        }
    }

    /** The float form of {@link #expRows}, through {@link Exp#expf} on F's lanes. */
    static void expRows(float[] y, int yo, float[] scale, int so, float[] a, int ao, int stride, int rows,
                        float aBound) {
        float scaleBound = 0;
        for (int l = 0; l < F.length(); l++) {
            scaleBound = Math.max(scaleBound, Math.abs(scale[so + l]));
        }
        if (!(scaleBound * aBound <= Math.min(-Exp.F_LO, Exp.F_HI))) {
            for (int r = 0; r < rows; r++) {
                for (int l = 0; l < F.length(); l++) {
                    y[yo + r * F.length() + l] = Exp.expf(scale[so + l] * a[ao + r * stride + l]);
                }
            }
            return;
        }
        expRowsInRange(y, yo, scale, so, a, ao, stride, rows);
    }

    /** {@link #expRows}' vector loop, for products known to lie within [-87, 87]. */
    static void expRowsInRange(float[] y, int yo, float[] scale, int so, float[] a, int ao, int stride, int rows) {
        FloatVector sv = FloatVector.fromArray(F, scale, so);
        FloatVector t5 = FloatVector.broadcast(F, Exp.F5), t4 = FloatVector.broadcast(F, Exp.F4);
        FloatVector t3 = FloatVector.broadcast(F, Exp.F3), t2 = FloatVector.broadcast(F, Exp.F2);
        FloatVector t1 = FloatVector.broadcast(F, Exp.F1), t0 = FloatVector.broadcast(F, Exp.F0);
        for (int r = 0; r < rows; r++) {
            FloatVector x = sv.mul(FloatVector.fromArray(F, a, ao + r * stride));
            FloatVector t = x.mul(Exp.F_LOG2E).add(Exp.F_ROUND);
            FloatVector m = t.sub(Exp.F_ROUND);
            FloatVector f = x.sub(m.mul(Exp.F_LN2_HI)).sub(m.mul(Exp.F_LN2_LO));
            FloatVector p = f.fma(Exp.F7, Exp.F6).fma(f, t5).fma(f, t4).fma(f, t3).fma(f, t2).fma(f, t1).fma(f, t0);
            IntVector scaleBits = ((IntVector) t.reinterpretShape(FBITS, 0)).sub(Exp.F_ROUND_BITS)
                    .lanewise(VectorOperators.LSHL, 23);
            ((FloatVector) ((IntVector) p.reinterpretShape(FBITS, 0)).add(scaleBits).reinterpretShape(F, 0))
                    .intoArray(y, yo + r * F.length());
        }
    }

    /**
     * s = 1 / (1 + expf(-z clamped to [F_LO, -F_LO])) over whole vectors, in one pass: {@link Exp#sigmoids}'
     * operations in its order, so its numbers. Returns the first index not done: a vector holding a NaN
     * stops it, and the scalar form takes it from there. The exponential is {@link #expRows}' written out
     * again: as a method of its own, taking and returning vectors, C2 may compile it alone and then not
     * inline it (docs/models.md, C2 pitfalls). On [from, from + n), of -z when {@code sign} is 1 (the
     * exponent is z times sign; -1 for the sigmoids of z: a product by -1 or 1 is exact, a branch between
     * two vectors could leave them heap objects).
     */
    static int sigmoids(float[] z, float sign, float[] s, int from, int n) {
        int whole = from + n - n % F.length();
        FloatVector one = FloatVector.broadcast(F, 1f);
        FloatVector t5 = FloatVector.broadcast(F, Exp.F5), t4 = FloatVector.broadcast(F, Exp.F4);
        FloatVector t3 = FloatVector.broadcast(F, Exp.F3), t2 = FloatVector.broadcast(F, Exp.F2);
        FloatVector t1 = FloatVector.broadcast(F, Exp.F1), t0 = FloatVector.broadcast(F, Exp.F0);
        for (int i = from; i < whole; i += F.length()) {
            FloatVector x = FloatVector.fromArray(F, z, i).mul(sign).min(-Exp.F_LO).max(Exp.F_LO);
            if (x.test(VectorOperators.IS_NAN).anyTrue()) {
                return i;
            }
            FloatVector t = x.mul(Exp.F_LOG2E).add(Exp.F_ROUND);
            FloatVector m = t.sub(Exp.F_ROUND);
            FloatVector f = x.sub(m.mul(Exp.F_LN2_HI)).sub(m.mul(Exp.F_LN2_LO));
            FloatVector p = f.fma(Exp.F7, Exp.F6).fma(f, t5).fma(f, t4).fma(f, t3).fma(f, t2).fma(f, t1).fma(f, t0);
            IntVector scaleBits = ((IntVector) t.reinterpretShape(FBITS, 0)).sub(Exp.F_ROUND_BITS)
                    .lanewise(VectorOperators.LSHL, 23);
            FloatVector e = (FloatVector) ((IntVector) p.reinterpretShape(FBITS, 0)).add(scaleBits)
                    .reinterpretShape(F, 0);
            one.div(one.add(e)).intoArray(s, i);
        }
        return whole;
    }
}
