package org.selectivbench.models.ops;

import java.util.Random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The float activations against their formulas in double (erf from ND4J's double op), on inputs from
 * -100 to 100 with most near 0: within 1e-6 of 1 + |value| (a few float ulps); GELU's negative tail
 * within 1e-5 relative down to y = -8 (where it is -5e-15), against the normal density integrated. With
 * and without the vector forms the same bits.
 */
class PointwiseFloatTest {
    @Test
    void matchDoubleFormulas() {
        Random r = new Random(3);
        int n = 5003;
        float[] x = new float[n], dy = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (i % 10 == 0 ? 200 * (r.nextDouble() - 0.5) : 6 * r.nextGaussian());
            dy[i] = (float) r.nextGaussian();
        }
        double[] erf = erf(x);
        double[] sig = new double[n], silu = new double[n], dsilu = new double[n], gelu = new double[n];
        double[] dgelu = new double[n];
        for (int i = 0; i < n; i++) {
            double v = x[i], s = 1 / (1 + Math.exp(-v)), cdf = 0.5 * (1 + erf[i]);
            sig[i] = s;
            silu[i] = v * s;
            dsilu[i] = s * (1 + v * (1 - s)) * dy[i];
            gelu[i] = v * cdf;
            dgelu[i] = (cdf + v * Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI)) * dy[i];
        }
        Ops.assertClose(sig, Ops.doubles(PointwiseFloat.sigmoid(x)), 1e-6, "sigmoid");
        Ops.assertClose(silu, Ops.doubles(PointwiseFloat.silu(x)), 1e-6, "silu");
        Ops.assertClose(dsilu, Ops.doubles(PointwiseFloat.siluBackward(x, dy)), 1e-6, "silu backward");
        Ops.assertClose(gelu, Ops.doubles(PointwiseFloat.gelu(x)), 1e-6, "gelu");
        Ops.assertClose(dgelu, Ops.doubles(PointwiseFloat.geluBackward(x, dy)), 1e-6, "gelu backward");
    }

    @Test
    void geluTailKeepsItsDigits() {
        for (int i = 1; i <= 80; i++) {
            float y = -0.1f * i;
            double want = y * normalCdf(y), got = PointwiseFloat.gelu(new float[] {y})[0];
            assertTrue(Math.abs(got - want) <= 1e-5 * Math.abs(want), "gelu(" + y + ") = " + got + ", want " + want);
        }
    }

    @Test
    void gluMatchesItsFormula() {
        Random r = new Random(6);
        int rows = 37, h = 5;
        float[] z = new float[rows * 2 * h], dy = new float[rows * h];
        for (int i = 0; i < z.length; i++) {
            z[i] = (float) (4 * r.nextGaussian());
        }
        for (int i = 0; i < dy.length; i++) {
            dy[i] = (float) r.nextGaussian();
        }
        double[] y = new double[dy.length], dz = new double[z.length];
        for (int row = 0; row < rows; row++) {
            for (int j = 0; j < h; j++) {
                double z1 = z[row * 2 * h + j], s = 1 / (1 + Math.exp(-z[row * 2 * h + h + j])), d = dy[row * h + j];
                y[row * h + j] = z1 * s;
                dz[row * 2 * h + j] = d * s;
                dz[row * 2 * h + h + j] = d * z1 * s * (1 - s);
            }
        }
        Ops.assertClose(y, Ops.doubles(PointwiseFloat.glu(z, h)), 1e-6, "glu");
        Ops.assertClose(dz, Ops.doubles(PointwiseFloat.gluBackward(z, dy, h)), 1e-6, "glu backward");
    }

    @Test
    void softplusKeepsItsDigits() {
        // both tails relative to the value: softplus(x) is exp(x) far left and x far right
        Random r = new Random(5);
        float[] x = new float[4001];
        for (int i = 0; i < x.length; i++) {
            x[i] = i < 2000 ? -80f + 0.045f * i : (float) (i < 3000 ? 4 * r.nextGaussian() : 100 * r.nextDouble());
        }
        float[] got = PointwiseFloat.softplus(x);
        for (int i = 0; i < x.length; i++) {
            double want = Math.log1p(Math.exp(x[i]));
            assertTrue(Math.abs(got[i] - want) <= 4e-7 * want, "softplus(" + x[i] + ") = " + got[i] + ", want " + want);
        }
    }

    @Test
    void vectorFormIsTheScalarForm() {
        Random r = new Random(4);
        float[] x = new float[1000 + 13], d = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (5 * r.nextGaussian());
            d[i] = (float) r.nextGaussian();
        }
        Ops.assertVectorFormIsScalarForm(() -> new double[][] {Ops.doubles(PointwiseFloat.gelu(x)),
            Ops.doubles(PointwiseFloat.geluBackward(x, d)), Ops.doubles(PointwiseFloat.siluBackward(x, d)),
            Ops.doubles(PointwiseFloat.softplus(x)), Ops.doubles(PointwiseFloat.glu(x, 253)),
            Ops.doubles(PointwiseFloat.gluBackward(x, d, 253)), Ops.doubles(skipped(d, x, d, 253))});
    }

    /** A skip connection's weight per channel: y[r, j] + x[r, j] d[j], rows whose columns fill vectors and not. */
    @Test
    void addScaledRowsAddsEachChannelsWeightedInput() {
        Random r = new Random(7);
        for (int h : new int[] {19, 32, 64}) {
            float[] y = new float[7 * h], x = new float[y.length], d = new float[h];
            for (int i = 0; i < y.length; i++) {
                y[i] = (float) r.nextGaussian();
                x[i] = (float) r.nextGaussian();
            }
            for (int j = 0; j < h; j++) {
                d[j] = (float) r.nextGaussian();
            }
            float[] got = skipped(y, x, d, h);
            for (int i = 0; i < y.length; i++) {
                assertEquals(y[i] + x[i] * d[i % h], got[i], 0f, "entry " + i + " of rows of " + h);
            }
        }
    }

    private static float[] skipped(float[] y, float[] x, float[] d, int h) {
        float[] out = y.clone();
        PointwiseFloat.addScaledRows(out, x, java.util.Arrays.copyOf(d, h), h);
        return out;
    }

    /**
     * GLA's fused gate forms are the compositions they replace, bit for bit, with the vector forms and
     * without: softplus(-x) c and sigmoid(-x), with zeros of both signs, both tails and a NaN.
     */
    @Test
    void fusedGateFormsAreTheirCompositions() {
        Random r = new Random(6);
        float[] x = new float[1000 + 13];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (8 * r.nextGaussian());
        }
        x[3] = 0f;
        x[4] = -0f;
        x[5] = 200f;
        x[6] = -200f;
        x[900] = Float.NaN;
        float c = -1 / 16f;
        boolean was = Simd.on();
        try {
            for (boolean simd : was ? new boolean[] {true, false} : new boolean[] {false}) {
                Simd.use(simd);
                assertArrayEquals(PointwiseFloat.scaled(PointwiseFloat.softplus(PointwiseFloat.scaled(x, -1)), c),
                        PointwiseFloat.softplusOfMinusScaled(x, c), "softplus(-x) c, vector forms " + simd);
                assertArrayEquals(PointwiseFloat.sigmoid(PointwiseFloat.scaled(x, -1)),
                        PointwiseFloat.sigmoidOfMinus(x), "sigmoid(-x), vector forms " + simd);
            }
        } finally {
            Simd.use(was);
        }
    }

    /** Phi(y) for y <= 0 by Simpson's rule over [y - 12, y] (its relative error under 1e-9 there). */
    private static double normalCdf(double y) {
        int n = 20000;
        double h = 12.0 / n, sum = 0;
        for (int k = 0; k <= n; k++) {
            double t = y - 12 + k * h, w = k == 0 || k == n ? 1 : k % 2 == 1 ? 4 : 2;
            sum += w * Math.exp(-0.5 * t * t);
        }
        return sum * h / 3 / Math.sqrt(2 * Math.PI);
    }

    private static double[] erf(float[] x) {
        double[] v = new double[x.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = x[i] / Math.sqrt(2);
        }
        return Nd4j.exec(new Erf(Nd4j.create(v), Nd4j.create(DataType.DOUBLE, v.length))).toDoubleVector();
    }

    /**
     * A factor per column, x[r, c] f[c] and y[r, c] + x[r, c] f[c] (Mamba2's skip D x), a factor per row
     * (its dt per row and head), and Loops' row helpers at offsets, against plain loops: rows of 8 (a
     * tail only), 19, 32 and 64 columns.
     */
    @ParameterizedTest
    @ValueSource(ints = {8, 19, 32, 64})
    void columnAndRowProductsAreThePlainLoops(int n) {
        Random r = new Random(n);
        int rows = 9, at = 3;
        float[] y = new float[rows * n], x = new float[y.length], f = new float[n];
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) r.nextGaussian();
            x[i] = (float) r.nextGaussian();
        }
        for (int c = 0; c < n; c++) {
            f[c] = (float) r.nextGaussian();
        }
        float[] products = new float[y.length], sums = new float[y.length];
        for (int i = 0; i < y.length; i++) {
            products[i] = x[i] * f[i % n];
            sums[i] = y[i] + x[i] * f[i % n];
        }
        float[] added = y.clone();
        PointwiseFloat.addColumnProducts(added, x, f, n);
        assertArrayEquals(products, PointwiseFloat.columnProducts(x, f, n));
        assertArrayEquals(sums, added);
        // a factor per group of n entries: rows of x times y's first entries, one per row
        float[] grouped = PointwiseFloat.groupProducts(x, y, n);
        for (int i = 0; i < x.length; i++) {
            assertEquals(x[i] * y[i / n], grouped[i]);
        }
        // Loops at offsets: row 2 of x times 0.75 into row 4 of out, times row 1 of y in place, times f
        float[] scaled = new float[y.length], multiplied = x.clone(), times = new float[y.length];
        Loops.scaled(x, 2 * n + at, 0.75f, scaled, 4 * n + at, n - at);
        Loops.multiply(multiplied, 2 * n + at, y, n + at, n - at);
        Loops.products(x, 2 * n, f, 0, times, 5 * n, n);
        for (int i = 0; i < n - at; i++) {
            assertEquals(x[2 * n + at + i] * 0.75f, scaled[4 * n + at + i]);
            assertEquals(x[2 * n + at + i] * y[n + at + i], multiplied[2 * n + at + i]);
        }
        for (int c = 0; c < n; c++) {
            assertEquals(x[2 * n + c] * f[c], times[5 * n + c]);
        }
        // in place: the same numbers as the copying form, in the array it was given
        float[] inPlace = x.clone();
        assertTrue(PointwiseFloat.scaleInPlace(inPlace, 0.3f) == inPlace);
        assertArrayEquals(PointwiseFloat.scaled(x, 0.3f), inPlace);
        assertEquals(0, scaled[4 * n + at - 1]);
        assertEquals(x[2 * n + at - 1], multiplied[2 * n + at - 1]);
        Ops.assertVectorFormIsScalarForm(() -> {
            float[] a = y.clone(), s = new float[y.length], m = x.clone();
            PointwiseFloat.addColumnProducts(a, x, f, n);
            Loops.scaled(x, n + 1, -1.5f, s, 1, n - 1);
            Loops.multiply(m, 1, y, 2, y.length - 2);
            return new double[][] {Ops.doubles(a), Ops.doubles(PointwiseFloat.columnProducts(x, f, n)),
                Ops.doubles(s), Ops.doubles(m), Ops.doubles(PointwiseFloat.groupProducts(x, y, n))};
        });
    }
}
