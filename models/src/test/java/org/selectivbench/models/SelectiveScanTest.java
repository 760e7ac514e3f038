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
 * Mamba's streamed scan with readout against the plain Mamba recurrence (below); the chunked log-depth selective scan (one chunk, and chunks of 2 to 8 steps) against the plain loop h_t = A_t h_{t-1} + u_t in Java doubles, for
 * lengths that are and are not powers of two: outputs within 1e-12, gradients of sum(h * R) with
 * respect to A and u within 1e-7 + 1e-6 relative of central differences of the loop. Transitions
 * down to e^-40 (strong forgetting) included.
 */
class SelectiveScanTest {
    static final int B = 2, X = 3;

    @ParameterizedTest
    @CsvSource({"2, 1.0, 16", "7, 1.0, 7", "8, 1.0, 2", "13, 40.0, 13", "16, 0.1, 16", "12, 40.0, 4", "24, 1.0, 8",
            "20, 3.0, 4"})
    void scanMatchesLoop(int t, double maxDecay, int chunk) {
        Random r = new Random(t * 17L);
        double[] a = new double[B * t * X];
        for (int i = 0; i < a.length; i++) {
            a[i] = Math.exp(-maxDecay * r.nextDouble());
        }
        double[] u = ScanRecurrenceTest.rand(r, B * t * X, 1);
        double[] proj = ScanRecurrenceTest.rand(r, B * t * X, 1);
        SameDiff sd = SameDiff.create();
        SDVariable sa = sd.var("a", Nd4j.create(a, new long[] {B, t, X}, DataType.DOUBLE));
        SDVariable su = sd.var("u", Nd4j.create(u, new long[] {B, t, X}, DataType.DOUBLE));
        SDVariable h = SelectiveScan.scan(sd, sa, su, t, X, chunk);
        h.mul(sd.constant(Nd4j.create(proj, new long[] {B, t, X}, DataType.DOUBLE))).sum().rename("loss");
        sd.setLossVariables("loss");

        double[] got = sd.output(Map.of(), h.name()).get(h.name()).data().asDouble();
        double[] want = loop(a, u, t);
        for (int i = 0; i < want.length; i++) {
            assertTrue(Math.abs(got[i] - want[i]) < 1e-12, "h[" + i + "] = " + got[i] + ", loop " + want[i]);
        }
        Map<String, double[]> inputs = new java.util.LinkedHashMap<>();
        inputs.put("a", a);
        inputs.put("u", u);
        FiniteDifferences.check(inputs, sd.calculateGradients(Map.of(), inputs.keySet()),
                () -> ScanRecurrenceTest.dot(loop(a, u, t), proj));
    }

    static final int DI = 3, N = 2;

    /**
     * Mamba's streamed scan with readout (one chunk, and several; with and without a forget floor)
     * against the plain loop of SPEC 6's recurrence in Java doubles: y within 1e-12, gradients with
     * respect to dt, A, dt*x, B and C as {@link FiniteDifferences#check}.
     */
    @ParameterizedTest
    @CsvSource({"5, 8, 0", "12, 4, 0", "24, 8, 0", "20, 4, 0.3", "16, 2, 0"})
    void readoutMatchesLoop(int t, int chunk, double floor) {
        Random r = new Random(t * 31L + chunk);
        int rows = B * t;
        double[] dt = new double[rows * DI];
        for (int i = 0; i < dt.length; i++) {
            dt[i] = 0.05 + 2 * r.nextDouble();
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
                t, DI, N, chunk, floor);
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

    static double[] loop(double[] a, double[] u, int t) {
        double[] h = new double[a.length];
        for (int b = 0; b < B; b++) {
            for (int x = 0; x < X; x++) {
                double s = 0;
                for (int step = 0; step < t; step++) {
                    int i = (b * t + step) * X + x;
                    s = a[i] * s + u[i];
                    h[i] = s;
                }
            }
        }
        return h;
    }
}
