package org.selectivbench.models.graph;

import org.selectivbench.models.*;
import org.selectivbench.models.modules.ParamStore;
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
     * Mamba's scan with readout (one chunk, and several; with and without a forget floor; step sizes
     * up to 20, transitions down to e^-40) against the plain loop of SPEC 6's recurrence in Java doubles: y within 1e-12, gradients with respect to dt, A,
     * dt*x, B and C as {@link FiniteDifferences#check}. From a zero state, and from a given start state
     * (a segment of a long evaluation), where the state after the last step is checked too (in the
     * objective, with gradients with respect to the start state).
     */
    @ParameterizedTest
    @CsvSource({"5, 8, 0, 2, false", "12, 4, 0, 2, false", "24, 8, 0, 2, false", "24, 8, 0, 20, false",
            "20, 4, 0.3, 2, false", "16, 2, 0, 2, false", "5, 8, 0, 2, true", "12, 4, 0, 2, true",
            "24, 8, 0, 2, true", "20, 4, 0.3, 2, true"})
    void readoutMatchesLoop(int t, int chunk, double floor, double maxDt, boolean fromState) {
        Random r = new Random(t * 31L + chunk + (fromState ? 5 : 0));
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
        if (fromState) {
            in.put("h0", ScanRecurrenceTest.rand(r, B * DI * N, 1));
        }
        int outputs = rows * DI + (fromState ? B * DI * N : 0); // y, then the end states
        double[] proj = ScanRecurrenceTest.rand(r, outputs, 1);
        SameDiff sd = SameDiff.create();
        Map<String, SDVariable> v = new java.util.HashMap<>();
        in.forEach((k, x) -> v.put(k, sd.var(k, Nd4j.create(x, k.equals("negA") ? new long[] {DI, N}
                : k.equals("h0") ? new long[] {B, DI, N}
                : new long[] {rows, k.equals("bm") || k.equals("cm") ? N : DI}, DataType.DOUBLE))));
        Scans.Result res = SelectiveScan.scanReadout(sd, v.get("dt"), v.get("negA"), v.get("dtx"), v.get("bm"),
                v.get("cm"), t, DI, N, chunk, floor, v.get("h0"));
        SDVariable y = fromState ? sd.concat(0, res.out().reshape(-1), res.end().reshape(-1)) : res.out().reshape(-1);
        y.mul(sd.constant(Nd4j.create(proj, new long[] {outputs}, DataType.DOUBLE))).sum().rename("loss");
        sd.setLossVariables("loss");

        double[] got = sd.output(Map.of(), y.name()).get(y.name()).data().asDouble();
        double[] want = java.util.Arrays.copyOf(mambaLoop(in, t, floor), outputs);
        for (int i = 0; i < want.length; i++) {
            assertTrue(Math.abs(got[i] - want[i]) < 1e-12, "y[" + i + "] = " + got[i] + ", loop " + want[i]);
        }
        FiniteDifferences.check(in, sd.calculateGradients(Map.of(), in.keySet()),
                () -> ScanRecurrenceTest.dot(java.util.Arrays.copyOf(mambaLoop(in, t, floor), outputs), proj));
    }

    /**
     * h[c, n] = a h + dtx[c] B[n] with a = floor + (1 - floor) exp(dt[c] A[c, n]); y[c] = sum_n h C[n], from
     * h = h0 (in.get("h0"), [B, DI, N], zeros when absent). Returns y [B*T, DI], then the last h [B, DI, N].
     */
    static double[] mambaLoop(Map<String, double[]> in, int t, double floor) {
        double[] dt = in.get("dt"), negA = in.get("negA"), dtx = in.get("dtx"), bm = in.get("bm"), cm = in.get("cm");
        double[] h0 = in.getOrDefault("h0", new double[B * DI * N]);
        double[] y = new double[B * t * DI + B * DI * N];
        for (int b = 0; b < B; b++) {
            double[] h = java.util.Arrays.copyOfRange(h0, b * DI * N, (b + 1) * DI * N);
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
            System.arraycopy(h, 0, y, B * t * DI + b * DI * N, DI * N);
        }
        return y;
    }
}
