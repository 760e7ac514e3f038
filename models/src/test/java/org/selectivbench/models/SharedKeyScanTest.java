package org.selectivbench.models;

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
 * of the recurrence within 1e-6 relative (same tolerances as {@link ScanRecurrenceTest}).
 */
class SharedKeyScanTest {
    static final int B = 2, H = 3, N = 3, P = 2;

    @ParameterizedTest
    @CsvSource({"12, 4, 64", "12, 12, 64", "10, 5, 64", "20, 2, 64", "12, 4, 1", "20, 2, 1"})
    void matchesPerHeadRecurrence(int t, int chunk, int pairwiseMax) {
        Random r = new Random(t * 17L + chunk);
        double[] q = ScanRecurrenceTest.rand(r, B * t * N, 1), k = ScanRecurrenceTest.rand(r, B * t * N, 1);
        double[] v = ScanRecurrenceTest.rand(r, B * t * H * P, 1);
        double[] a = new double[B * t * H];
        for (int i = 0; i < a.length; i++) {
            a[i] = -2.5 * r.nextDouble();
        }
        double[] proj = ScanRecurrenceTest.rand(r, B * t * H * P, 1);

        SameDiff sd = SameDiff.create();
        GraphBuilder g = new GraphBuilder(sd, new ParamStore(1, DataType.DOUBLE), t, 0, false);
        SDVariable sq = sd.var("q", Nd4j.create(q, new long[] {B, t, N}, DataType.DOUBLE));
        SDVariable sk = sd.var("k", Nd4j.create(k, new long[] {B, t, N}, DataType.DOUBLE));
        SDVariable sv = sd.var("v", Nd4j.create(v, new long[] {B * t, H * P}, DataType.DOUBLE));
        SDVariable sa = sd.var("a", Nd4j.create(a, new long[] {B * t, H}, DataType.DOUBLE));
        SDVariable o = Scans.sharedKeyDecay(g, "scan", sq, sk, sv, sa, H, N, P, chunk, pairwiseMax);
        o.rename("o");
        o.mul(sd.constant(Nd4j.create(proj, new long[] {B * t, H * P}, DataType.DOUBLE))).sum().rename("loss");
        sd.setLossVariables("loss");

        double[] got = sd.output(Map.of(), "o").get("o").data().asDouble();
        double[] want = recurrence(q, k, v, a, t);
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - want[i]));
        }
        assertTrue(worst < 1e-10, "forward differs by " + worst);

        List<String> names = List.of("q", "k", "v", "a");
        Map<String, INDArray> grads = sd.calculateGradients(Map.of(), names);
        double[][] inputs = {q, k, v, a};
        for (int n = 0; n < names.size(); n++) {
            double[] x = inputs[n];
            double[] grad = grads.get(names.get(n)).data().asDouble();
            for (int i = 0; i < x.length; i++) {
                double orig = x[i];
                x[i] = orig + 1e-6;
                double up = ScanRecurrenceTest.dot(recurrence(q, k, v, a, t), proj);
                x[i] = orig - 1e-6;
                double down = ScanRecurrenceTest.dot(recurrence(q, k, v, a, t), proj);
                x[i] = orig;
                double numeric = (up - down) / 2e-6;
                double err = Math.abs(numeric - grad[i]);
                assertTrue(err <= 1e-7 + 1e-6 * Math.abs(numeric),
                        "d/d" + names.get(n) + "[" + i + "]: backprop " + grad[i] + ", recurrence " + numeric);
            }
        }
    }

    /** o [B*T, H*P] rows of the plain per-head recurrence. */
    static double[] recurrence(double[] q, double[] k, double[] v, double[] a, int t) {
        double[] out = new double[B * t * H * P];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                double[][] s = new double[N][P];
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
            }
        }
        return out;
    }
}
