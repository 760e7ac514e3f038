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
 * S4D's chunked convolution form ({@link S4dMixer#ssm}) against the plain step-by-step complex ZOH
 * recurrence in Java doubles: x = exp(dt A) x + ((exp(dt A) - 1)/A) u, y = 2 Re(C x). Outputs within
 * 1e-10; gradients of a random projection sum(y * R) with respect to u, log_dt, log_A_real, A_imag,
 * C_re, C_im as {@link FiniteDifferences#check} (1e-6 relative, 1e-7 absolute). Several
 * chunks, and one chunk (T <= chunk); the states entering the chunks pairwise and (pairwise limit below
 * the chunk count) by the prefix scan. dt is drawn large (up to 0.5) so that decay across chunks matters.
 * From a zero state, and from a given modal start state Z_0 (x_0 = (exp(dt A) - 1)/A Z_0), where the
 * modal state after the last step is checked too (in the objective, with its gradients).
 */
class S4dScanTest {
    static final int B = 2, H = 3, M = 2;

    @ParameterizedTest
    @CsvSource({"12, 4, 64, false", "12, 12, 64, false", "8, 16, 64, false", "15, 5, 64, false", "12, 4, 1, false",
            "24, 2, 3, false", "12, 4, 64, true", "8, 16, 64, true", "24, 2, 3, true"})
    void chunkedMatchesRecurrence(int t, int chunk, int pairwiseMax, boolean fromState) {
        Random r = new Random(t * 17L + chunk + (fromState ? 9 : 0));
        double[] u = rand(r, B * t * H, 1);
        double[] logDt = new double[H];
        for (int i = 0; i < H; i++) {
            logDt[i] = Math.log(0.05 + 0.45 * r.nextDouble());
        }
        double[] logAr = new double[H * M], aIm = new double[H * M];
        for (int i = 0; i < H * M; i++) {
            logAr[i] = Math.log(0.1 + r.nextDouble());
            aIm[i] = Math.PI * (i % M) + r.nextGaussian();
        }
        double[] cRe = rand(r, H * M, 1), cIm = rand(r, H * M, 1);
        double[] z0 = fromState ? rand(r, B * 2 * H * M, 1) : new double[B * 2 * H * M];
        int outputs = B * t * H + (fromState ? B * 2 * H * M : 0); // y, then the end states
        double[] proj = rand(r, outputs, 1);

        SameDiff sd = SameDiff.create();
        GraphBuilder g = new GraphBuilder(sd, new ParamStore(1, DataType.DOUBLE), t, 0, false);
        Scans.Result res = S4dMixer.ssm(g, "s4d", sd.var("u", arr(u, B * t, H)), sd.var("logDt", arr(logDt, H)),
                sd.var("logAr", arr(logAr, H, M)), sd.var("aIm", arr(aIm, H, M)), sd.var("cRe", arr(cRe, H, M)),
                sd.var("cIm", arr(cIm, H, M)), H, M, chunk, pairwiseMax,
                fromState ? sd.var("z0", arr(z0, B, 2, H, M)) : null);
        SDVariable y = fromState ? sd.concat(0, res.out().reshape(-1), res.end().reshape(-1)) : res.out().reshape(-1);
        y.rename("y");
        sd.setLossVariables(y.mul(sd.constant(arr(proj, outputs))).sum().rename("loss"));

        double[][] in = {u, logDt, logAr, aIm, cRe, cIm, z0};
        double[] got = sd.output(Map.of(), "y").get("y").data().asDouble();
        double[] want = java.util.Arrays.copyOf(recurrence(in, t), outputs);
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - want[i]));
        }
        System.out.println("T=" + t + " chunk=" + chunk + ": forward max abs error " + worst);
        assertTrue(worst < 1e-10, "forward differs by " + worst);

        List<String> names = fromState ? List.of("u", "logDt", "logAr", "aIm", "cRe", "cIm", "z0")
                : List.of("u", "logDt", "logAr", "aIm", "cRe", "cIm");
        Map<String, double[]> inputs = new java.util.LinkedHashMap<>();
        for (int n = 0; n < names.size(); n++) {
            inputs.put(names.get(n), in[n]);
        }
        FiniteDifferences.check(inputs, sd.calculateGradients(Map.of(), names),
                () -> dot(java.util.Arrays.copyOf(recurrence(in, t), outputs), proj));
    }

    /**
     * y [B*T, H] of the complex recurrence, then the modal states after the last step [B, 2, H, M];
     * in = {u, logDt, logAr, aIm, cRe, cIm, z0}, z0 the modal start states [B, 2, H, M].
     */
    static double[] recurrence(double[][] in, int t) {
        double[] u = in[0], z0 = in[6], y = new double[B * t * H + B * 2 * H * M];
        for (int h = 0; h < H; h++) {
            double dt = Math.exp(in[1][h]);
            for (int n = 0; n < M; n++) {
                double ar = -Math.exp(in[2][h * M + n]), ai = in[3][h * M + n];
                double cr = in[4][h * M + n], ci = in[5][h * M + n];
                double er = Math.exp(dt * ar) * Math.cos(dt * ai), ei = Math.exp(dt * ar) * Math.sin(dt * ai);
                double den = ar * ar + ai * ai; // (exp(dtA) - 1) / A
                double br = ((er - 1) * ar + ei * ai) / den, bi = (ei * ar - (er - 1) * ai) / den;
                for (int b = 0; b < B; b++) {
                    double zr0 = z0[((b * 2) * H + h) * M + n], zi0 = z0[((b * 2 + 1) * H + h) * M + n];
                    double xr = br * zr0 - bi * zi0, xi = br * zi0 + bi * zr0; // x = Bbar Z
                    for (int s = 0; s < t; s++) {
                        double v = u[(b * t + s) * H + h];
                        double nr = er * xr - ei * xi + br * v;
                        double ni = er * xi + ei * xr + bi * v;
                        xr = nr;
                        xi = ni;
                        y[(b * t + s) * H + h] += 2 * (cr * xr - ci * xi);
                    }
                    double bb = br * br + bi * bi; // Z = x / Bbar
                    y[B * t * H + ((b * 2) * H + h) * M + n] = (xr * br + xi * bi) / bb;
                    y[B * t * H + ((b * 2 + 1) * H + h) * M + n] = (xi * br - xr * bi) / bb;
                }
            }
        }
        return y;
    }

    static INDArray arr(double[] v, long... shape) {
        return Nd4j.create(v, shape, DataType.DOUBLE);
    }

    static double[] rand(Random r, int n, double scale) {
        return ScanRecurrenceTest.rand(r, n, scale);
    }

    static double dot(double[] a, double[] b) {
        return ScanRecurrenceTest.dot(a, b);
    }
}
