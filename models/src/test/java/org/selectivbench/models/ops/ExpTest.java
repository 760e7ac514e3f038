package org.selectivbench.models.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The kernels' exponential against {@link StrictMath#exp} (fdlibm, under 1 ulp): within 2 ulp over
 * the range it computes, 0 and infinity beyond it, in double and in float; and its vector form against its scalar form bit for
 * bit, with lengths that leave tails and vectors that straddle the range's ends.
 */
class ExpTest {
    private static double ulps(double got, double want) {
        return Math.abs(got - want) / Math.ulp(want);
    }

    @Test
    void withinTwoUlpOfFdlibm() {
        Random r = new Random(11);
        double worst = 0;
        for (int i = 0; i < 200_000; i++) {
            double x = i % 2 == 0 ? -20 + 22 * r.nextDouble() : Exp.LO + (Exp.HI - Exp.LO) * r.nextDouble();
            worst = Math.max(worst, ulps(Exp.exp(x), StrictMath.exp(x)));
        }
        for (double x : new double[] {0, -0.0, Exp.LO, Exp.HI, Math.log(2), -Math.log(2) / 2, 1e-300, -1e-17}) {
            worst = Math.max(worst, ulps(Exp.exp(x), StrictMath.exp(x)));
        }
        assertTrue(worst <= 2, "worst error " + worst + " ulp");
        assertEquals(1.0, Exp.exp(0));
    }

    @Test
    void floatFormWithinTwoUlpOfTheRoundedExponential() {
        Random r = new Random(13);
        double worst = 0;
        for (int i = 0; i < 400_000; i++) {
            float x = i % 2 == 0 ? -20 + 22 * r.nextFloat() : Exp.F_LO + (Exp.F_HI - Exp.F_LO) * r.nextFloat();
            float want = (float) StrictMath.exp(x);
            worst = Math.max(worst, Math.abs((double) Exp.expf(x) - want) / Math.ulp(want));
        }
        assertTrue(worst <= 2, "worst error " + worst + " ulp");
        assertEquals(1f, Exp.expf(0));
        assertEquals(0f, Exp.expf(-87.01f));
        assertEquals(Float.POSITIVE_INFINITY, Exp.expf(88.01f));
        assertTrue(Float.isNaN(Exp.expf(Float.NaN)));
    }

    @Test
    void outsideTheRangeItIsZeroOrInfinity() {
        for (double x : new double[] {-708.01, -745.2, -800, Double.NEGATIVE_INFINITY}) {
            assertEquals(0.0, Exp.exp(x), "exp(" + x + ")");
        }
        for (double x : new double[] {709.01, 710, 1e4, Double.POSITIVE_INFINITY}) {
            assertEquals(Double.POSITIVE_INFINITY, Exp.exp(x), "exp(" + x + ")");
        }
        assertTrue(Double.isNaN(Exp.exp(Double.NaN)));
    }

    /** The exponential's range bound: the largest |x| wherever it sits (four chains of vectors, then the tail). */
    @Test
    void maxAbsFindsTheLargestEntryAnywhere() {
        Assumptions.assumeTrue(Simd.on(), "the Vector API is not on the module path");
        java.util.Random r = new java.util.Random(2);
        for (int n : new int[] {0, 3, 16, 63, 64, 65, 200}) {
            for (int at = 0; at < n; at++) {
                double[] x = Ops.rand(r, n, 1);
                x[at] = -7 - at;
                float[] f = Ops.floats(x);
                assertEquals(7.0 + at, ExpVector.maxAbs(x, n), "double, n = " + n + ", at " + at);
                assertEquals(7f + at, ExpVector.maxAbs(f, n), "float, n = " + n + ", at " + at);
            }
        }
    }

    @Test
    void vectorFormIsTheScalarFormBitForBit() {
        Assumptions.assumeTrue(Simd.on(), "the Vector API is not on the module path");
        Random r = new Random(12);
        int lanes = VectorLoops.LANES, rows = 40, stride = lanes + 3;
        double[] a = new double[5 + rows * stride], scale = new double[2 + lanes];
        for (int i = 0; i < a.length; i++) {
            a[i] = -30 + 31 * r.nextDouble();
        }
        for (int i = 0; i < scale.length; i++) {
            scale[i] = 0.1 + r.nextDouble();
        }
        a[5 + 3 * stride + 1] = Double.NaN;
        a[5 + 7 * stride] = -1e5;
        a[5 + 8 * stride + lanes - 1] = 1e5;
        a[5 + 9 * stride] = Double.NEGATIVE_INFINITY;
        a[5 + 11 * stride + 2] = Double.POSITIVE_INFINITY;
        a[5 + 12 * stride] = Exp.LO / scale[2];
        // the loop's two forms: with all products in range (the first 3 rows), and with some out of it
        for (int rowCount : new int[] {3, rows}) {
            double bound = 0;
            for (int i = 5; i < 5 + rowCount * stride; i++) {
                bound = Math.max(bound, Math.abs(a[i]));
            }
            double[] y = new double[rowCount * lanes];
            ExpVector.expRows(y, scale, 2, a, 5, stride, rowCount, bound);
            for (int row = 0; row < rowCount; row++) {
                for (int l = 0; l < lanes; l++) {
                    double want = Exp.exp(scale[2 + l] * a[5 + row * stride + l]);
                    assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(y[row * lanes + l]),
                            "row " + row + ", lane " + l);
                }
            }
        }
    }

    @Test
    void sigmoidsInBothFormsAgreeAndMatchTheFormula() {
        Assumptions.assumeTrue(Simd.on(), "the Vector API is not on the module path");
        Random r = new Random(13);
        for (double spread : new double[] {12, 2000}) { // the second leaves the exponential's range: scalar
            double[] z = new double[7 * VectorLoops.LANES + 5];
            for (int i = 0; i < z.length; i++) {
                z[i] = spread * (2 * r.nextDouble() - 1);
            }
            double[] vector = new double[z.length], scalar = new double[z.length];
            Exp.sigmoids(z, vector);
            Simd.use(false);
            try {
                Exp.sigmoids(z, scalar);
            } finally {
                Simd.use(true);
            }
            for (int i = 0; i < z.length; i++) {
                assertEquals(Double.doubleToRawLongBits(scalar[i]), Double.doubleToRawLongBits(vector[i]), "z = " + z[i]);
                assertEquals(1 / (1 + Math.exp(-z[i])), vector[i], 1e-15, "z = " + z[i]);
            }
        }
    }

    @Test
    void floatSigmoidsVectorFormIsTheScalarForm() {
        Random r = new Random(14);
        float[] z = Ops.floats(Ops.rand(r, 16 * 7 + 5, 30)); // whole vectors on 4 to 16 lanes and a tail
        z[3] = 200; // exp(-200): below the float exponential's range
        z[20] = -95;
        Ops.assertVectorFormIsScalarForm(() -> {
            float[] s = new float[z.length];
            Exp.sigmoids(z, s, z.length);
            return new double[][] {Ops.doubles(s)};
        });
        float[] s = new float[z.length];
        Exp.sigmoids(z, s, z.length);
        for (int i = 0; i < z.length; i++) {
            assertEquals(1 / (1 + Math.exp(-z[i])), s[i], 2e-7, "sigmoid(" + z[i] + ")");
        }
        // a NaN stops the vector form: the same numbers, NaN where it was (one with a payload, which the
        // vector exponential's bit arithmetic would turn into a number)
        float[] nan = z.clone();
        nan[40] = Float.intBitsToFloat(0x7fc00123);
        Ops.assertVectorFormIsScalarForm(() -> {
            float[] sn = new float[nan.length];
            Exp.sigmoids(nan, sn, nan.length);
            return new double[][] {Ops.doubles(sn)};
        });
        // a range [from, from + n) at an offset that is no multiple of a vector: the whole array's numbers
        // there, and nothing written outside it
        int from = 13, n = 16 * 4 + 3;
        float[] part = new float[z.length];
        java.util.Arrays.fill(part, -7f);
        Exp.sigmoids(z, part, from, n);
        for (int i = 0; i < z.length; i++) {
            assertEquals(i >= from && i < from + n ? s[i] : -7f, part[i], 0, "sigmoid range at " + i);
        }
    }
}
