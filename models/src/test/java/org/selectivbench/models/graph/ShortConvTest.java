package org.selectivbench.models.graph;

import org.selectivbench.models.*;
import org.selectivbench.models.modules.ParamStore;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The short causal conv (shifted slices times spread taps) against the plain sum
 * y[b,t,c] = silu(bias[c] + sum_j w[j,c] x[b, t-K+1+j, c]) (x = 0 before the start), in doubles:
 * outputs within 1e-12, gradients of sum(y * R) for x, w and the bias by central differences.
 */
class ShortConvTest {
    static final int B = 2, C = 3;

    @ParameterizedTest
    @CsvSource({"7, 4, true", "5, 4, false", "3, 4, true", "6, 2, true"})
    void convMatchesPlainSum(int t, int k, boolean bias) {
        Random r = new Random(31L * t + k);
        double[] x = ScanRecurrenceTest.rand(r, B * t * C, 1);
        double[] w = ScanRecurrenceTest.rand(r, k * C, 1);
        double[] b = ScanRecurrenceTest.rand(r, C, 1);
        double[] proj = ScanRecurrenceTest.rand(r, B * t * C, 1);
        SameDiff sd = SameDiff.create();
        GraphBuilder g = new GraphBuilder(sd, new ParamStore(1, DataType.DOUBLE), t, 0, false);
        SDVariable y = Blocks.shortConv(g, "conv", sd.var("x", Nd4j.create(x, new long[] {B * t, C}, DataType.DOUBLE)),
                C, k, bias);
        sd.getVariable("conv.w").getArr().assign(Nd4j.create(w, new long[] {k, C}, DataType.DOUBLE));
        if (bias) {
            sd.getVariable("conv.b").getArr().assign(Nd4j.create(b, new long[] {C}, DataType.DOUBLE));
        }
        y.mul(sd.constant(Nd4j.create(proj, new long[] {B * t, C}, DataType.DOUBLE))).sum().rename("loss");
        sd.setLossVariables("loss");

        double[] got = sd.output(Map.of(), y.name()).get(y.name()).data().asDouble();
        double[] want = plain(x, w, bias ? b : new double[C], t, k);
        for (int i = 0; i < want.length; i++) {
            assertTrue(Math.abs(got[i] - want[i]) < 1e-12, "y[" + i + "] = " + got[i] + ", plain sum " + want[i]);
        }
        Map<String, double[]> inputs = new LinkedHashMap<>();
        inputs.put("x", x);
        inputs.put("conv.w", w);
        if (bias) {
            inputs.put("conv.b", b);
        }
        double[] zero = new double[C];
        FiniteDifferences.check(inputs, sd.calculateGradients(Map.of(), inputs.keySet()),
                () -> ScanRecurrenceTest.dot(plain(x, w, bias ? b : zero, t, k), proj));
    }

    /**
     * In a segment graph the conv's pad is the previous segment's last K-1 inputs: the second of two
     * segments (the first given as the carried tail, zero-padded when shorter than K-1) gives the whole
     * sequence's outputs there, and hands on the last K-1 inputs of everything so far.
     */
    @ParameterizedTest
    @CsvSource({"5, 4, 4", "2, 6, 4", "6, 2, 4", "3, 3, 2"})
    void segmentContinuesTheSequence(int before, int t, int k) {
        Random r = new Random(7L * t + k + before);
        int whole = before + t;
        double[] x = ScanRecurrenceTest.rand(r, B * whole * C, 1);
        double[] w = ScanRecurrenceTest.rand(r, k * C, 1);
        double[] b = ScanRecurrenceTest.rand(r, C, 1);
        double[] seg = new double[B * t * C], tail = new double[B * (k - 1) * C], next = new double[B * (k - 1) * C];
        for (int bb = 0; bb < B; bb++) {
            for (int c = 0; c < C; c++) {
                for (int s = 0; s < t; s++) {
                    seg[(bb * t + s) * C + c] = x[(bb * whole + before + s) * C + c];
                }
                for (int j = 0; j < k - 1; j++) {
                    int src = before - (k - 1) + j, end = whole - (k - 1) + j;
                    tail[(bb * (k - 1) + j) * C + c] = src >= 0 ? x[(bb * whole + src) * C + c] : 0;
                    next[(bb * (k - 1) + j) * C + c] = end >= 0 ? x[(bb * whole + end) * C + c] : 0;
                }
            }
        }
        SameDiff sd = SameDiff.create();
        GraphBuilder g = new GraphBuilder(sd, new ParamStore(1, DataType.DOUBLE), t, 0, true);
        SDVariable y = Blocks.shortConv(g, "conv", sd.constant(Nd4j.create(seg, new long[] {B * t, C}, DataType.DOUBLE)),
                C, k, true);
        sd.getVariable("conv.w").getArr().assign(Nd4j.create(w, new long[] {k, C}, DataType.DOUBLE));
        sd.getVariable("conv.b").getArr().assign(Nd4j.create(b, new long[] {C}, DataType.DOUBLE));
        Map<String, org.nd4j.linalg.api.ndarray.INDArray> out = sd.output(
                Map.of(GraphBuilder.carryInName("conv.tail"), Nd4j.create(tail, new long[] {B, k - 1, C}, DataType.DOUBLE)),
                y.name(), GraphBuilder.carryOutName("conv.tail"));
        double[] got = out.get(y.name()).data().asDouble();
        double[] want = plain(x, w, b, whole, k);
        for (int bb = 0; bb < B; bb++) {
            for (int i = 0; i < t * C; i++) {
                double wi = want[(bb * whole + before) * C + i];
                assertTrue(Math.abs(got[bb * t * C + i] - wi) < 1e-12, "y[" + bb + ", " + i + "] = "
                        + got[bb * t * C + i] + ", whole sequence " + wi);
            }
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(next,
                out.get(GraphBuilder.carryOutName("conv.tail")).data().asDouble(), 0.0, "the tail handed on");
    }

    static double[] plain(double[] x, double[] w, double[] b, int t, int k) {
        double[] y = new double[x.length];
        for (int bb = 0; bb < B; bb++) {
            for (int step = 0; step < t; step++) {
                for (int c = 0; c < C; c++) {
                    double s = b[c];
                    for (int j = 0; j < k; j++) {
                        int src = step - k + 1 + j;
                        if (src >= 0) {
                            s += w[j * C + c] * x[(bb * t + src) * C + c];
                        }
                    }
                    y[(bb * t + step) * C + c] = s / (1 + Math.exp(-s));
                }
            }
        }
        return y;
    }
}
