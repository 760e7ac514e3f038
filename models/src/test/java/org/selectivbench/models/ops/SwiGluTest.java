package org.selectivbench.models.ops;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.selectivbench.models.FiniteDifferences;

/**
 * SwiGLU against the formula written per entry with Math.exp (within 1e-14: Exp is within 2 ulp), and
 * the gradients of a random projection of f with respect to h and beta within 1e-6 relative of central
 * differences; widths with and without whole vectors. The float form against the double one on the same
 * (float-rounded) inputs: within 1e-5 of 1 + |value| (a few float ulps; d beta, a sum over every
 * entry, within 1e-5 of the sum of its terms' sizes). The float form's vector form is its scalar form
 * bit for bit.
 */
class SwiGluTest {
    @ParameterizedTest
    @CsvSource({"3, 4, 1.0", "5, 13, 0.7", "2, 1, -1.3"})
    void matchesReference(int rows, int n, double beta0) {
        Random r = new Random(rows * 100L + n);
        double[] h = Ops.rand(r, rows * 2 * n, 2), proj = Ops.rand(r, rows * n, 1), beta = {beta0};
        double[] s = new double[rows * n];
        double[] f = SwiGlu.forward(rows, n, h, beta[0], s);
        Ops.assertClose(naive(rows, n, h, beta[0]), f, 1e-14, "f");
        double[] dh = new double[h.length];
        double[] db = {SwiGlu.backward(rows, n, h, s, beta[0], proj, dh)};
        Map<String, double[]> in = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
        in.put("h", h);
        grads.put("h", dh);
        in.put("beta", beta);
        grads.put("beta", db);
        FiniteDifferences.checkArrays(in, grads, () -> Ops.dot(naive(rows, n, h, beta[0]), proj));
    }

    @ParameterizedTest
    @CsvSource({"3, 4, 1.0", "41, 37, 0.7", "9, 128, -1.3", "70, 128, 0.4"})
    void floatFormMatchesDoubleForm(int rows, int n, double beta0) {
        Random r = new Random(rows * 100L + n);
        double[] h = Ops.roundedToFloat(Ops.rand(r, rows * 2 * n, 3));
        double[] df = Ops.roundedToFloat(Ops.rand(r, rows * n, 1));
        double beta = (float) beta0;
        double[] s = new double[rows * n], dh = new double[h.length];
        double[] f = SwiGlu.forward(rows, n, h, beta, s);
        double db = SwiGlu.backward(rows, n, h, s, beta, df, dh);
        float[] sf = new float[rows * n], dhf = new float[h.length];
        float[] ff = SwiGlu.forward(rows, n, Ops.floats(h), (float) beta, sf);
        double dbf = SwiGlu.backward(rows, n, Ops.floats(h), sf, (float) beta, Ops.floats(df), dhf);
        Ops.assertClose(f, Ops.doubles(ff), 1e-5, "f");
        Ops.assertClose(s, Ops.doubles(sf), 1e-5, "sigmoids");
        Ops.assertClose(dh, Ops.doubles(dhf), 1e-5, "dh");
        double size = 0;
        for (int i = 0; i < rows * n; i++) {
            double x1 = h[i / n * 2 * n + i % n];
            size += Math.abs(df[i] * h[i / n * 2 * n + n + i % n] * x1 * x1 * s[i] * (1 - s[i]));
        }
        Assertions.assertTrue(Math.abs(db - dbf) <= 1e-5 * (1 + size), "d beta " + dbf + ", want " + db);
    }

    @ParameterizedTest
    @CsvSource({"3, 4, 1.0", "41, 37, 0.7", "9, 128, -1.3", "5, 24, 2.5"})
    void floatVectorFormIsTheScalarForm(int rows, int n, double beta0) {
        // 37 and 24 columns: whole vectors and a tail (16 or 8 lanes); 4: the scalar form alone
        Random r = new Random(rows * 100L + n);
        float[] h = Ops.floats(Ops.rand(r, rows * 2 * n, 3)), df = Ops.floats(Ops.rand(r, rows * n, 1));
        Ops.assertVectorFormIsScalarForm(() -> {
            float[] s = new float[rows * n], dh = new float[h.length];
            float[] f = SwiGlu.forward(rows, n, h, (float) beta0, s);
            double db = SwiGlu.backward(rows, n, h, s, (float) beta0, df, dh);
            return new double[][] {Ops.doubles(f), Ops.doubles(s), Ops.doubles(dh), {db}};
        });
    }

    private static double[] naive(int rows, int n, double[] h, double beta) {
        double[] f = new double[rows * n];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                double x1 = h[r * 2 * n + j], x2 = h[r * 2 * n + n + j];
                f[r * n + j] = x1 / (1 + Math.exp(-beta * x1)) * x2;
            }
        }
        return f;
    }
}
