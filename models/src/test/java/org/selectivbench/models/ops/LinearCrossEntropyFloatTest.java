package org.selectivbench.models.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The fused output layer and loss against the same calls unfused over whole arrays: every gradient bit
 * for bit whatever the block of rows (1, 3, 16 rows, all) and the threads (1 and 3), the loss (summed a
 * block at a time) within 1e-12 relative; and against a plain double-precision formula (Math.exp and
 * Math.log, double products): loss within 1e-5 relative, gradients within 1e-5 of their largest entry.
 * Class counts with and without a tail past whole vectors (16, 41, 1,601 with 16 lanes), rows of weight
 * 0, and a row whose logits spread past the float exponential's range.
 */
class LinearCrossEntropyFloatTest {
    @ParameterizedTest
    @CsvSource({"53, 32, 41", "37, 20, 16", "9, 64, 1601", "4, 8, 5"})
    void matchesUnfusedCallsAndPlainFormula(int m, int d, int c) {
        Random rnd = new Random(m * 31L + d * 7L + c);
        float[] x = Ops.floats(Ops.rand(rnd, m * d, 1)), w = Ops.floats(Ops.rand(rnd, d * c, 1));
        float[] b = Ops.floats(Ops.rand(rnd, c, 1)), dw0 = Ops.floats(Ops.rand(rnd, d * c, 1));
        x[3] = 40; // the first row's logits spread over about +-80
        int[] t = new int[m];
        double[] wt = new double[m];
        for (int r = 0; r < m; r++) {
            t[r] = rnd.nextInt(c);
            wt[r] = r % 4 == 2 ? 0 : rnd.nextDouble();
        }
        Parallel.setThreads(1);
        float[] dwU = dw0.clone(), dxU = new float[m * d];
        double[] dbU = new double[c];
        double lossU = LinearCrossEntropyFloat.unfused(x, m, d, w, b, c, t, wt, dwU, dbU, dxU);
        for (int threads : new int[] {1, 3}) {
            Parallel.setThreads(threads);
            for (int rows : new int[] {1, 3, 16, m}) {
                float[] dw = dw0.clone(), dx = new float[m * d];
                double[] db = new double[c];
                double loss = LinearCrossEntropyFloat.run(x, m, d, w, b, c, t, wt, dw, db, dx, rows);
                String at = rows + " rows a block, " + threads + " threads";
                assertEquals(lossU, loss, 1e-12 * Math.abs(lossU), "loss, " + at);
                assertArrayEquals(dwU, dw, "weight gradient, " + at);
                assertArrayEquals(dbU, db, "bias gradient, " + at);
                assertArrayEquals(dxU, dx, "input gradient, " + at);
            }
        }
        Parallel.setThreads(2);
        float[] dw = dw0.clone(), dx = new float[m * d];
        double[] db = new double[c];
        double loss = LinearCrossEntropyFloat.run(x, m, d, w, b, c, t, wt, dw, db, dx);
        double[][] want = plain(x, m, d, w, b, c, t, wt, dw0);
        assertEquals(want[0][0], loss, 1e-5 * Math.abs(want[0][0]), "loss against the plain formula");
        Ops.assertCloseScaled(want[1], Ops.doubles(dw), 1e-5, "weight gradient");
        Ops.assertCloseScaled(want[2], db, 1e-5, "bias gradient");
        Ops.assertCloseScaled(want[3], Ops.doubles(dx), 1e-5, "input gradient");
    }

    /** {loss}, dw0 + x^T G, colsum G, G W^T with z = x W + b and G = w_r (softmax(z_r) - onehot), in double. */
    private static double[][] plain(float[] x, int m, int d, float[] w, float[] b, int c, int[] t, double[] wt,
                                    float[] dw0) {
        double loss = 0;
        double[] dw = Ops.doubles(dw0), db = new double[c], dx = new double[m * d];
        for (int r = 0; r < m; r++) {
            double[] z = new double[c];
            double sum = 0;
            for (int j = 0; j < c; j++) {
                z[j] = b[j];
                for (int q = 0; q < d; q++) {
                    z[j] += (double) x[r * d + q] * w[q * c + j];
                }
            }
            double max = java.util.Arrays.stream(z).max().getAsDouble();
            for (int j = 0; j < c; j++) {
                sum += Math.exp(z[j] - max);
            }
            loss += wt[r] * (max + Math.log(sum) - z[t[r]]);
            for (int j = 0; j < c; j++) {
                double g = wt[r] * (Math.exp(z[j] - max) / sum - (j == t[r] ? 1 : 0));
                db[j] += g;
                for (int q = 0; q < d; q++) {
                    dw[q * c + j] += x[r * d + q] * g;
                    dx[r * d + q] += g * w[q * c + j];
                }
            }
        }
        return new double[][] {{loss}, dw, db, dx};
    }
}
