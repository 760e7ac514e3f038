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
 * The chunked delta-rule scan ({@link DeltaRuleScan}) against a plain step-by-step recurrence written
 * here in Java doubles: S = alpha S; for each of the nh sub-steps S = S + beta k (v - S^T k)^T;
 * o = S^T q (nh = 1 is the (gated) delta rule, nh > 1 Gated DeltaProduct). Checks the outputs and
 * the gradients of a random projection sum(o * R) with respect to q, k, v, beta and the log decay a
 * (reference gradients: central differences of the Java recurrence, step 1e-6). Double precision;
 * outputs within 1e-10 absolute, every gradient entry within 1e-7 + 1e-6 |g| (the finite-difference
 * error is about 1e-9 here). Chunk sizes that divide T and that do not, one chunk and chunk > T,
 * with and without decay, beta in (0, 2) (negative eigenvalues included); from a zero state, and from a
 * given start state (a segment of a long evaluation), where the state after the last step is checked
 * too (in the objective, with gradients with respect to the start state).
 */
class DeltaRuleScanTest {
    static final int G = 3, K = 3, V = 2;

    @ParameterizedTest
    @CsvSource({"12, 4, true, 1, false", "12, 4, false, 1, false", "10, 4, true, 1, false", "10, 3, false, 1, false",
            "12, 12, true, 1, false", "7, 16, true, 1, false", "13, 8, true, 1, false", "6, 4, true, 3, false",
            "6, 6, false, 2, false", "5, 8, true, 4, false", "20, 2, true, 1, false", "9, 2, false, 2, false",
            "12, 4, true, 1, true", "10, 3, false, 1, true", "7, 16, true, 1, true", "6, 4, true, 3, true",
            "5, 8, false, 2, true"})
    void chunkedMatchesRecurrence(int t, int chunk, boolean decay, int nh, boolean fromState) {
        Random r = new Random(t * 131L + chunk * 7L + nh + (decay ? 1 : 0) + (fromState ? 17 : 0));
        double[] q = rand(r, G * t * K, 1), k = rand(r, G * t * nh * K, 0.6), v = rand(r, G * t * nh * V, 1);
        double[] beta = new double[G * t * nh];
        for (int i = 0; i < beta.length; i++) {
            beta[i] = 2 * r.nextDouble();
        }
        double[] a = new double[G * t];
        for (int i = 0; i < a.length; i++) {
            a[i] = decay ? -2.5 * r.nextDouble() : 0; // strong and weak decay
        }
        double[] s0 = fromState ? rand(r, G * K * V, 1) : new double[G * K * V];
        double[] proj = rand(r, G * t * V + G * K * V, 1); // outputs, then the end states
        if (!fromState) {
            java.util.Arrays.fill(proj, G * t * V, proj.length, 0.0);
        }

        SameDiff sd = SameDiff.create();
        GraphBuilder g = new GraphBuilder(sd, new ParamStore(1, DataType.DOUBLE), t, 0, false);
        SDVariable sq = sd.var("q", Nd4j.create(q, new long[] {G, t, K}, DataType.DOUBLE));
        SDVariable sk = sd.var("k", Nd4j.create(k, new long[] {G, t, nh, K}, DataType.DOUBLE));
        SDVariable sv = sd.var("v", Nd4j.create(v, new long[] {G, t, nh, V}, DataType.DOUBLE));
        SDVariable sb = sd.var("beta", Nd4j.create(beta, new long[] {G, t, nh}, DataType.DOUBLE));
        SDVariable sa = sd.var("a", Nd4j.create(a, new long[] {G, t}, DataType.DOUBLE));
        SDVariable start = fromState ? sd.var("s0", Nd4j.create(s0, new long[] {G, K, V}, DataType.DOUBLE)) : null;
        Scans.Result res = nh == 1
                ? DeltaRuleScan.scan(g, "scan", sq, sk.reshape(G, t, K), sv.reshape(G, t, V), sb.reshape(G, t),
                        decay ? sa : null, t, K, V, chunk, start)
                : DeltaRuleScan.product(g, "scan", sq, sk, sv, sb, decay ? sa : null, t, nh, K, V, chunk, start);
        SDVariable o = res.out().reshape(-1);
        if (fromState) {
            o = sd.concat(0, o, res.end().reshape(-1));
        }
        o.rename("o");
        SDVariable loss = o.mul(sd.constant(Nd4j.create(java.util.Arrays.copyOf(proj, fromState ? proj.length
                : G * t * V), new long[] {fromState ? proj.length : G * t * V}, DataType.DOUBLE))).sum();
        loss.rename("loss");
        sd.setLossVariables("loss");

        double[] got = sd.output(Map.of(), "o").get("o").data().asDouble();
        double[] want = recurrence(q, k, v, beta, a, t, nh, s0);
        if (!fromState) {
            want = java.util.Arrays.copyOf(want, G * t * V);
        }
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - want[i]));
        }
        assertTrue(worst < 1e-10, "forward differs by " + worst);

        List<String> names = new java.util.ArrayList<>(List.of("q", "k", "v", "beta", "a", "s0"));
        double[][] inputs = {q, k, v, beta, a, s0};
        if (!fromState) {
            names.remove("s0");
        }
        if (!decay) {
            names.remove("a");
            inputs = new double[][] {q, k, v, beta, s0};
        }
        Map<String, INDArray> grads = sd.calculateGradients(Map.of(), names);
        double worstGrad = 0;
        for (int n = 0; n < names.size(); n++) {
            double[] x = inputs[n];
            double[] grad = grads.get(names.get(n)).data().asDouble();
            for (int i = 0; i < x.length; i++) {
                double orig = x[i];
                x[i] = orig + 1e-6;
                double up = dot(recurrence(q, k, v, beta, a, t, nh, s0), proj);
                x[i] = orig - 1e-6;
                double down = dot(recurrence(q, k, v, beta, a, t, nh, s0), proj);
                x[i] = orig;
                double numeric = (up - down) / 2e-6;
                double err = Math.abs(numeric - grad[i]);
                worstGrad = Math.max(worstGrad, err / (1e-7 + 1e-6 * Math.abs(numeric)));
                assertTrue(err <= 1e-7 + 1e-6 * Math.abs(numeric),
                        "d/d" + names.get(n) + "[" + i + "]: backprop " + grad[i] + ", recurrence " + numeric);
            }
        }
        System.out.printf("delta scan T=%d C=%d decay=%b nh=%d start=%b: forward max error %.2e, gradient error"
                + " %.4f of tolerance%n", t, chunk, decay, nh, fromState, worst, worstGrad);
    }

    /**
     * o [G, T, V] of the plain recurrence from the states s0 [G, K, V], followed by the states after the
     * last step [G, K, V]; k [G, T, nh, K], v [G, T, nh, V], beta [G, T, nh], a [G, T].
     */
    static double[] recurrence(double[] q, double[] k, double[] v, double[] beta, double[] a, int t, int nh,
                               double[] s0) {
        double[] out = new double[G * t * V + G * K * V];
        for (int gi = 0; gi < G; gi++) {
            double[][] s = new double[K][V];
            for (int i = 0; i < K; i++) {
                for (int j = 0; j < V; j++) {
                    s[i][j] = s0[(gi * K + i) * V + j];
                }
            }
            for (int ti = 0; ti < t; ti++) {
                double alpha = Math.exp(a[gi * t + ti]);
                for (int i = 0; i < K; i++) {
                    for (int j = 0; j < V; j++) {
                        s[i][j] *= alpha;
                    }
                }
                for (int h = 0; h < nh; h++) {
                    int kb = ((gi * t + ti) * nh + h) * K, vb = ((gi * t + ti) * nh + h) * V;
                    double b = beta[(gi * t + ti) * nh + h];
                    double[] err = new double[V];
                    for (int j = 0; j < V; j++) {
                        double pred = 0;
                        for (int i = 0; i < K; i++) {
                            pred += s[i][j] * k[kb + i];
                        }
                        err[j] = v[vb + j] - pred;
                    }
                    for (int i = 0; i < K; i++) {
                        for (int j = 0; j < V; j++) {
                            s[i][j] += b * k[kb + i] * err[j];
                        }
                    }
                }
                for (int j = 0; j < V; j++) {
                    double o = 0;
                    for (int i = 0; i < K; i++) {
                        o += s[i][j] * q[(gi * t + ti) * K + i];
                    }
                    out[(gi * t + ti) * V + j] = o;
                }
            }
            for (int i = 0; i < K; i++) {
                for (int j = 0; j < V; j++) {
                    out[G * t * V + (gi * K + i) * V + j] = s[i][j];
                }
            }
        }
        return out;
    }

    static double[] rand(Random r, int n, double scale) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = scale * (2 * r.nextDouble() - 1);
        }
        return x;
    }

    static double dot(double[] x, double[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += x[i] * y[i];
        }
        return s;
    }
}
