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
 * The chunked per-channel-decay scan (GLA) against the plain recurrence S_t = diag(exp(a_t)) S_{t-1}
 * + k_t v_t^T, o_t = S_t^T q_t in Java doubles: outputs within 1e-10, and gradients of sum(o * R)
 * with respect to q, k, a, v within 1e-7 + 1e-6 relative of central differences of the recurrence.
 * Decays reach -12 per step (-190 over a chunk of 16), far beyond exp's float range, to show no
 * overflow or NaN reaches the outputs or gradients. From a zero state, and from a given start state (a
 * segment of a long evaluation), where the state after the last step is checked too (in the objective,
 * with gradients with respect to the start state).
 */
class ChannelDecayScanTest {
    static final int G = 2, K = 3, V = 2;

    @ParameterizedTest
    @CsvSource({"12, 4, 1.0, 64, false", "12, 12, 1.0, 64, false", "16, 4, 12.0, 64, false",
            "16, 16, 12.0, 64, false", "8, 2, 0.3, 64, false", "20, 2, 2.0, 64, false", "16, 4, 12.0, 1, false",
            "20, 2, 2.0, 1, false", "12, 4, 1.0, 64, true", "12, 12, 1.0, 64, true", "20, 2, 2.0, 1, true"})
    void chunkedMatchesRecurrence(int t, int chunk, double maxDecay, int pairwiseMax, boolean fromState) {
        Random r = new Random(t * 131L + chunk + (fromState ? 3 : 0));
        double[] q = ScanRecurrenceTest.rand(r, G * t * K, 1);
        double[] k = ScanRecurrenceTest.rand(r, G * t * K, 1);
        double[] v = ScanRecurrenceTest.rand(r, G * t * V, 1);
        double[] a = new double[G * t * K];
        for (int i = 0; i < a.length; i++) {
            a[i] = -maxDecay * r.nextDouble();
        }
        double[] s0 = fromState ? ScanRecurrenceTest.rand(r, G * K * V, 1) : null;
        int outputs = G * t * V + (fromState ? G * K * V : 0); // o, then the end states
        double[] proj = ScanRecurrenceTest.rand(r, outputs, 1);

        SameDiff sd = SameDiff.create();
        GraphBuilder g = new GraphBuilder(sd, new ParamStore(1, DataType.DOUBLE), t, 0, false);
        SDVariable sq = sd.var("q", Nd4j.create(q, new long[] {G, t, K}, DataType.DOUBLE));
        SDVariable sk = sd.var("k", Nd4j.create(k, new long[] {G, t, K}, DataType.DOUBLE));
        SDVariable sa = sd.var("a", Nd4j.create(a, new long[] {G, t, K}, DataType.DOUBLE));
        SDVariable sv = sd.var("v", Nd4j.create(v, new long[] {G, t, V}, DataType.DOUBLE));
        SDVariable start = fromState ? sd.var("s0", Nd4j.create(s0, new long[] {G, K, V}, DataType.DOUBLE)) : null;
        Scans.Result res = ChannelDecayScan.scan(g, "scan", sq, sk, sa, sv, K, V, chunk, pairwiseMax, start);
        SDVariable o = fromState ? sd.concat(0, res.out().reshape(-1), res.end().reshape(-1)) : res.out().reshape(-1);
        o.rename("o");
        o.mul(sd.constant(Nd4j.create(proj, new long[] {outputs}, DataType.DOUBLE))).sum().rename("loss");
        sd.setLossVariables("loss");

        double[] got = sd.output(Map.of(), "o").get("o").data().asDouble();
        double[] want = recurrence(q, k, a, v, G, t, K, V, s0);
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - want[i]));
        }
        assertTrue(worst < 1e-10, "forward differs by " + worst);

        Map<String, double[]> inputs = new java.util.LinkedHashMap<>();
        inputs.put("q", q);
        inputs.put("k", k);
        inputs.put("a", a);
        inputs.put("v", v);
        if (fromState) {
            inputs.put("s0", s0);
        }
        FiniteDifferences.check(inputs, sd.calculateGradients(Map.of(), inputs.keySet()),
                () -> ScanRecurrenceTest.dot(recurrence(q, k, a, v, G, t, K, V, s0), proj));
    }

    /** o [g, T, V] of the plain recurrence from S = 0; q, k, a are [g, T, K], v is [g, T, V]. */
    static double[] recurrence(double[] q, double[] k, double[] a, double[] v, int g, int t, int K, int V) {
        return recurrence(q, k, a, v, g, t, K, V, null);
    }

    /**
     * o [g, T, V] of the plain recurrence from the states s0 [g, K, V] (null: 0), and then, when s0 is
     * given, the states after the last step [g, K, V].
     */
    static double[] recurrence(double[] q, double[] k, double[] a, double[] v, int g, int t, int K, int V,
                               double[] s0) {
        double[] out = new double[g * t * V + (s0 == null ? 0 : g * K * V)];
        for (int gi = 0; gi < g; gi++) {
            double[][] s = new double[K][V];
            for (int i = 0; s0 != null && i < K; i++) {
                for (int j = 0; j < V; j++) {
                    s[i][j] = s0[(gi * K + i) * V + j];
                }
            }
            for (int step = 0; step < t; step++) {
                int row = gi * t + step;
                for (int i = 0; i < K; i++) {
                    double decay = Math.exp(a[row * K + i]);
                    for (int j = 0; j < V; j++) {
                        s[i][j] = decay * s[i][j] + k[row * K + i] * v[row * V + j];
                    }
                }
                for (int j = 0; j < V; j++) {
                    double acc = 0;
                    for (int i = 0; i < K; i++) {
                        acc += s[i][j] * q[row * K + i];
                    }
                    out[row * V + j] = acc;
                }
            }
            for (int i = 0; s0 != null && i < K; i++) {
                for (int j = 0; j < V; j++) {
                    out[g * t * V + (gi * K + i) * V + j] = s[i][j];
                }
            }
        }
        return out;
    }
}
