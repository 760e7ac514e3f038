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
 * The chunked scalar-decay scan (linear attention, Mamba2's SSD) against the plain step-by-step
 * recurrence S_t = exp(a_t) S_{t-1} + k_t v_t^T, o_t = S_t^T q_t written in Java doubles:
 * outputs, and gradients of a random projection sum(o * R) with respect to q, k, v and a (the
 * reference's gradients by central differences of the Java recurrence). Double precision; outputs
 * within 1e-10, gradients within 1e-6 relative. From a zero state, and from a given start state (a
 * segment of a long evaluation), where the state after the last step is checked too (in the objective,
 * with gradients with respect to the start state).
 */
class ScanRecurrenceTest {
    static final int G = 3, K = 3, V = 2;

    @ParameterizedTest
    @CsvSource({"12, 4, true, 64, false", "12, 12, true, 64, false", "12, 4, false, 64, false",
            "10, 5, true, 64, false", "20, 2, true, 64, false", "12, 4, true, 1, false", "20, 2, true, 1, false",
            "12, 4, true, 64, true", "12, 12, true, 64, true", "12, 4, false, 64, true", "12, 12, false, 64, true",
            "20, 2, true, 1, true"})
    void chunkedMatchesRecurrence(int t, int chunk, boolean decay, int pairwiseMax, boolean fromState) {
        Random r = new Random(t * 31L + chunk + (decay ? 1 : 0) + (fromState ? 7 : 0));
        double[] q = rand(r, G * t * K, 1), k = rand(r, G * t * K, 1), v = rand(r, G * t * V, 1);
        double[] a = new double[G * t];
        for (int i = 0; i < a.length; i++) {
            a[i] = -2.5 * r.nextDouble(); // strong and weak decay
        }
        double[] s0 = fromState ? rand(r, G * K * V, 1) : null;
        int outputs = G * t * V + (fromState ? G * K * V : 0); // o, then the end states
        double[] proj = rand(r, outputs, 1);

        SameDiff sd = SameDiff.create();
        GraphBuilder g = new GraphBuilder(sd, new ParamStore(1, DataType.DOUBLE), t, 0, false);
        SDVariable sq = sd.var("q", Nd4j.create(q, new long[] {G, t, K}, DataType.DOUBLE));
        SDVariable sk = sd.var("k", Nd4j.create(k, new long[] {G, t, K}, DataType.DOUBLE));
        SDVariable sv = sd.var("v", Nd4j.create(v, new long[] {G, t, V}, DataType.DOUBLE));
        SDVariable sa = sd.var("a", Nd4j.create(a, new long[] {G, t}, DataType.DOUBLE));
        SDVariable start = fromState ? sd.var("s0", Nd4j.create(s0, new long[] {G, K, V}, DataType.DOUBLE)) : null;
        Scans.Result res = Scans.scalarDecay(g, "scan", sq, sk, sv, decay ? sa : null, K, V, chunk, pairwiseMax, start);
        SDVariable o = fromState ? sd.concat(0, res.out().reshape(-1), res.end().reshape(-1)) : res.out().reshape(-1);
        o.rename("o");
        SDVariable loss = o.mul(sd.constant(Nd4j.create(proj, new long[] {outputs}, DataType.DOUBLE))).sum();
        loss.rename("loss");
        sd.setLossVariables("loss");

        double[] got = sd.output(Map.of(), "o").get("o").data().asDouble();
        double[] want = recurrence(q, k, v, decay ? a : new double[a.length], t, s0);
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - want[i]));
        }
        assertTrue(worst < 1e-10, "forward differs by " + worst);

        Map<String, double[]> inputs = new java.util.LinkedHashMap<>();
        inputs.put("q", q);
        inputs.put("k", k);
        inputs.put("v", v);
        if (decay) {
            inputs.put("a", a);
        }
        if (fromState) {
            inputs.put("s0", s0);
        }
        FiniteDifferences.check(inputs, sd.calculateGradients(Map.of(), inputs.keySet()),
                () -> dot(recurrence(q, k, v, decay ? a : new double[a.length], t, s0), proj));
    }

    /**
     * o [G, T, V] of the plain recurrence from s0 (null: 0; then also the end states): the per-channel
     * one with the decay a_t on every channel.
     */
    static double[] recurrence(double[] q, double[] k, double[] v, double[] a, int t, double[] s0) {
        double[] perChannel = new double[a.length * K];
        for (int i = 0; i < perChannel.length; i++) {
            perChannel[i] = a[i / K];
        }
        return ChannelDecayScanTest.recurrence(q, k, perChannel, v, G, t, K, V, s0);
    }

    static double[] rand(Random r, int n, double scale) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = scale * r.nextGaussian();
        }
        return x;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
