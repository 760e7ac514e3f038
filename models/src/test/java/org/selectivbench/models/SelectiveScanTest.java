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
 * The chunked log-depth selective scan (one chunk, and chunks of 2 to 8 steps) against the plain loop h_t = A_t h_{t-1} + u_t in Java doubles, for
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
