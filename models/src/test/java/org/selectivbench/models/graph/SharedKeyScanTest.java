package org.selectivbench.models.graph;

import org.selectivbench.models.*;
import org.selectivbench.models.modules.ParamStore;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link Scans#sharedKeyDecay} (Mamba2's SSD with q, k shared by the heads) against the plain
 * per-head recurrence S_t = exp(a_t,h) S_{t-1} + k_t v_t,h^T, o_t,h = S_t^T q_t in Java doubles:
 * outputs within 1e-10, and gradients of sum(o * R) for q, k, v and a against central differences
 * of the recurrence within 1e-6 relative (same tolerances as {@link ScanRecurrenceTest}). From a zero
 * state, and from a given start state, where the state after the last step and the gradients with
 * respect to the start state are checked too.
 */
class SharedKeyScanTest {
    static final int B = 2, H = 3, N = 3, P = 2;

    @ParameterizedTest
    @CsvSource({"12, 4, 64, false", "12, 12, 64, false", "10, 5, 64, false", "20, 2, 64, false", "12, 4, 1, false",
            "20, 2, 1, false", "12, 4, 64, true", "12, 12, 64, true", "20, 2, 1, true"})
    void matchesPerHeadRecurrence(int t, int chunk, int pairwiseMax, boolean fromState) {
        Random r = new Random(t * 17L + chunk + (fromState ? 5 : 0));
        double[] q = ScanRecurrenceTest.rand(r, B * t * N, 1), k = ScanRecurrenceTest.rand(r, B * t * N, 1);
        double[] v = ScanRecurrenceTest.rand(r, B * t * H * P, 1);
        double[] a = new double[B * t * H];
        for (int i = 0; i < a.length; i++) {
            a[i] = -2.5 * r.nextDouble();
        }
        double[] s0 = fromState ? ScanRecurrenceTest.rand(r, B * H * N * P, 1) : new double[B * H * N * P];
        int outputs = B * t * H * P + (fromState ? B * H * N * P : 0); // o, then the end states
        double[] proj = ScanRecurrenceTest.rand(r, outputs, 1);

        SameDiff sd = SameDiff.create();
        GraphBuilder g = new GraphBuilder(sd, new ParamStore(1, DataType.DOUBLE), t, 0, false);
        SDVariable sq = sd.var("q", Nd4j.create(q, new long[] {B, t, N}, DataType.DOUBLE));
        SDVariable sk = sd.var("k", Nd4j.create(k, new long[] {B, t, N}, DataType.DOUBLE));
        SDVariable sv = sd.var("v", Nd4j.create(v, new long[] {B * t, H * P}, DataType.DOUBLE));
        SDVariable sa = sd.var("a", Nd4j.create(a, new long[] {B * t, H}, DataType.DOUBLE));
        SDVariable start = fromState ? sd.var("s0", Nd4j.create(s0, new long[] {B * H, N, P}, DataType.DOUBLE)) : null;
        Scans.Result res = Scans.sharedKeyDecay(g, "scan", sq, sk, sv, sa, H, N, P, chunk, pairwiseMax, start);
        SDVariable o = fromState ? sd.concat(0, res.out().reshape(-1), res.end().reshape(-1)) : res.out().reshape(-1);
        o.rename("o");
        o.mul(sd.constant(Nd4j.create(proj, new long[] {outputs}, DataType.DOUBLE))).sum().rename("loss");
        sd.setLossVariables("loss");

        double[] got = sd.output(Map.of(), "o").get("o").data().asDouble();
        double[] want = java.util.Arrays.copyOf(recurrence(q, k, v, a, t, s0), outputs);
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - want[i]));
        }
        assertTrue(worst < 1e-10, "forward differs by " + worst);

        List<String> names = fromState ? List.of("q", "k", "v", "a", "s0") : List.of("q", "k", "v", "a");
        Map<String, INDArray> grads = sd.calculateGradients(Map.of(), names);
        double[][] inputs = {q, k, v, a, s0};
        for (int n = 0; n < names.size(); n++) {
            double[] x = inputs[n];
            double[] grad = grads.get(names.get(n)).data().asDouble();
            for (int i = 0; i < x.length; i++) {
                double orig = x[i];
                x[i] = orig + 1e-6;
                double up = ScanRecurrenceTest.dot(java.util.Arrays.copyOf(recurrence(q, k, v, a, t, s0), outputs), proj);
                x[i] = orig - 1e-6;
                double down = ScanRecurrenceTest.dot(java.util.Arrays.copyOf(recurrence(q, k, v, a, t, s0), outputs), proj);
                x[i] = orig;
                double numeric = (up - down) / 2e-6;
                double err = Math.abs(numeric - grad[i]);
                assertTrue(err <= 1e-7 + 1e-6 * Math.abs(numeric),
                        "d/d" + names.get(n) + "[" + i + "]: backprop " + grad[i] + ", recurrence " + numeric);
            }
        }
    }

    /**
     * o [B*T, H*P] rows of the plain per-head recurrence from the states s0 [B*H, N, P], then the states
     * after the last step [B*H, N, P].
     */
    static double[] recurrence(double[] q, double[] k, double[] v, double[] a, int t, double[] s0) {
        double[] out = new double[B * t * H * P + B * H * N * P];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                double[][] s = new double[N][P];
                for (int i = 0; i < N; i++) {
                    for (int j = 0; j < P; j++) {
                        s[i][j] = s0[((b * H + h) * N + i) * P + j];
                    }
                }
                for (int step = 0; step < t; step++) {
                    int row = b * t + step;
                    double decay = Math.exp(a[row * H + h]);
                    for (int i = 0; i < N; i++) {
                        for (int j = 0; j < P; j++) {
                            s[i][j] = decay * s[i][j] + k[row * N + i] * v[row * H * P + h * P + j];
                        }
                    }
                    for (int j = 0; j < P; j++) {
                        double acc = 0;
                        for (int i = 0; i < N; i++) {
                            acc += s[i][j] * q[row * N + i];
                        }
                        out[row * H * P + h * P + j] = acc;
                    }
                }
                for (int i = 0; i < N; i++) {
                    for (int j = 0; j < P; j++) {
                        out[B * t * H * P + ((b * H + h) * N + i) * P + j] = s[i][j];
                    }
                }
            }
        }
        return out;
    }
}
