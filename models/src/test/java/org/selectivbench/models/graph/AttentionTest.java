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
 * The Transformer's causal attention, whole and in query blocks (blocks that do and do not divide T),
 * against a plain Java loop o_i = sum_{j <= i} softmax_j(q_i . k_j / sqrt(hd)) v_j, in doubles: outputs
 * within 1e-12, gradients of sum(o * R) for q, k and v by central differences.
 */
class AttentionTest {
    static final int G = 2, HD = 4;

    @ParameterizedTest
    @CsvSource({"9, 9", "9, 4", "12, 4", "13, 5"})
    void matchesPlainAttention(int t, int block) {
        Random r = new Random(t * 7L + block);
        double[] q = ScanRecurrenceTest.rand(r, G * t * HD, 1);
        double[] k = ScanRecurrenceTest.rand(r, G * t * HD, 1);
        double[] v = ScanRecurrenceTest.rand(r, G * t * HD, 1);
        double[] proj = ScanRecurrenceTest.rand(r, G * t * HD, 1);
        SameDiff sd = SameDiff.create();
        GraphBuilder g = new GraphBuilder(sd, new ParamStore(1, DataType.DOUBLE), t, 0, false);
        long[] shape = {G, t, HD};
        SDVariable o = TransformerMixer.attention(g, "att", sd.var("q", Nd4j.create(q, shape, DataType.DOUBLE)),
                sd.var("k", Nd4j.create(k, shape, DataType.DOUBLE)), sd.var("v", Nd4j.create(v, shape, DataType.DOUBLE)),
                t, HD, block);
        o.mul(sd.constant(Nd4j.create(proj, shape, DataType.DOUBLE))).sum().rename("loss");
        sd.setLossVariables("loss");

        double[] got = sd.output(Map.of(), o.name()).get(o.name()).data().asDouble();
        double[] want = plain(q, k, v, t);
        for (int i = 0; i < want.length; i++) {
            assertTrue(Math.abs(got[i] - want[i]) < 1e-12, "o[" + i + "] = " + got[i] + ", plain " + want[i]);
        }
        Map<String, double[]> inputs = new LinkedHashMap<>();
        inputs.put("q", q);
        inputs.put("k", k);
        inputs.put("v", v);
        FiniteDifferences.check(inputs, sd.calculateGradients(Map.of(), inputs.keySet()),
                () -> ScanRecurrenceTest.dot(plain(q, k, v, t), proj));
    }

    static double[] plain(double[] q, double[] k, double[] v, int t) {
        double[] o = new double[q.length];
        double scale = 1 / Math.sqrt(HD);
        for (int s = 0; s < G; s++) {
            for (int i = 0; i < t; i++) {
                double[] w = new double[i + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {
                    for (int x = 0; x < HD; x++) {
                        w[j] += q[(s * t + i) * HD + x] * k[(s * t + j) * HD + x] * scale;
                    }
                    max = Math.max(max, w[j]);
                }
                double sum = 0;
                for (int j = 0; j <= i; j++) {
                    w[j] = Math.exp(w[j] - max);
                    sum += w[j];
                }
                for (int j = 0; j <= i; j++) {
                    for (int x = 0; x < HD; x++) {
                        o[(s * t + i) * HD + x] += w[j] / sum * v[(s * t + j) * HD + x];
                    }
                }
            }
        }
        return o;
    }
}
