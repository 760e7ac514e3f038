package org.selectivbench.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Mamba's scan with readout against the plain Mamba recurrence, for lengths that are and are not
 * powers of two and chunks that do and do not divide them into a power of two.
 */
class SelectiveScanTest {
    static final int B = 2, DI = 3, N = 2;

    /**
     * Mamba's scan with readout, in its training and its streamed form (one chunk, and several; with
     * and without a forget floor; step sizes up to 20, transitions down to e^-40) against the plain
     * loop of SPEC 6's recurrence in Java doubles: y within 1e-12, gradients with respect to dt, A,
     * dt*x, B and C as {@link FiniteDifferences#check}.
     */
    @ParameterizedTest
    @CsvSource({"5, 8, 0, 2, false", "5, 8, 0, 2, true", "12, 4, 0, 2, false", "24, 8, 0, 2, true",
            "24, 8, 0, 20, false", "20, 4, 0.3, 2, false", "20, 4, 0.3, 2, true", "16, 2, 0, 2, false",
            "16, 2, 0, 2, true"})
    void readoutMatchesLoop(int t, int chunk, double floor, double maxDt, boolean stream) {
        Random r = new Random(t * 31L + chunk);
        int rows = B * t;
        double[] dt = new double[rows * DI];
        for (int i = 0; i < dt.length; i++) {
            dt[i] = 0.05 + maxDt * r.nextDouble();
        }
        double[] negA = new double[DI * N];
        for (int i = 0; i < negA.length; i++) {
            negA[i] = -Math.exp(r.nextGaussian());
        }
        Map<String, double[]> in = new java.util.LinkedHashMap<>();
        in.put("dt", dt);
        in.put("negA", negA);
        in.put("dtx", ScanRecurrenceTest.rand(r, rows * DI, 1));
        in.put("bm", ScanRecurrenceTest.rand(r, rows * N, 1));
        in.put("cm", ScanRecurrenceTest.rand(r, rows * N, 1));
        double[] proj = ScanRecurrenceTest.rand(r, rows * DI, 1);
        SameDiff sd = SameDiff.create();
        Map<String, SDVariable> v = new java.util.HashMap<>();
        in.forEach((k, x) -> v.put(k, sd.var(k, Nd4j.create(x, k.equals("negA") ? new long[] {DI, N}
                : new long[] {rows, k.equals("bm") || k.equals("cm") ? N : DI}, DataType.DOUBLE))));
        SDVariable y = SelectiveScan.scanReadout(sd, v.get("dt"), v.get("negA"), v.get("dtx"), v.get("bm"), v.get("cm"),
                t, DI, N, chunk, floor, stream);
        y.mul(sd.constant(Nd4j.create(proj, new long[] {rows, DI}, DataType.DOUBLE))).sum().rename("loss");
        sd.setLossVariables("loss");

        double[] got = sd.output(Map.of(), y.name()).get(y.name()).data().asDouble();
        double[] want = mambaLoop(in, t, floor);
        for (int i = 0; i < want.length; i++) {
            assertTrue(Math.abs(got[i] - want[i]) < 1e-12, "y[" + i + "] = " + got[i] + ", loop " + want[i]);
        }
        FiniteDifferences.check(in, sd.calculateGradients(Map.of(), in.keySet()),
                () -> ScanRecurrenceTest.dot(mambaLoop(in, t, floor), proj));
    }

    /** h[c, n] = a h + dtx[c] B[n] with a = floor + (1 - floor) exp(dt[c] A[c, n]); y[c] = sum_n h C[n]. */
    static double[] mambaLoop(Map<String, double[]> in, int t, double floor) {
        double[] dt = in.get("dt"), negA = in.get("negA"), dtx = in.get("dtx"), bm = in.get("bm"), cm = in.get("cm");
        double[] y = new double[B * t * DI];
        for (int b = 0; b < B; b++) {
            double[] h = new double[DI * N];
            for (int s = 0; s < t; s++) {
                int row = b * t + s;
                for (int c = 0; c < DI; c++) {
                    double sum = 0;
                    for (int k = 0; k < N; k++) {
                        double a = floor + (1 - floor) * Math.exp(dt[row * DI + c] * negA[c * N + k]);
                        h[c * N + k] = a * h[c * N + k] + dtx[row * DI + c] * bm[row * N + k];
                        sum += h[c * N + k] * cm[row * N + k];
                    }
                    y[row * DI + c] = sum;
                }
            }
        }
        return y;
    }
}
