package org.selectivbench.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.data.EncodedBatch;

/**
 * Whole-model gradient check in double precision: SameDiff's backprop gradient of the loss against
 * central finite differences, for random entries of every parameter of a tiny model. Catches
 * wrong or missing op gradients in M2.1 (SPEC 9) in exactly the op combinations each model uses.
 */
class GradientCheckTest {
    static final double EPS = 1e-6;
    static final double MAX_REL = 1e-5;

    @ParameterizedTest
    @ValueSource(strings = {"transformer", "linear_attention", "mamba2", "lstm"})
    void backpropMatchesFiniteDifferences(String name) {
        SequenceModel model = new SequenceModel(TestData.tiny(name), 5, 7, 11, DataType.DOUBLE);
        EncodedBatch b = TestData.batch(3, 2, 10, 5, 7);
        Map<String, INDArray> grads = model.lossAndGradients(b, false).gradients();
        Random r = new Random(5);
        int checked = 0;
        double worst = 0;
        String worstAt = "";
        for (Map.Entry<String, INDArray> e : model.params().arrays().entrySet()) {
            INDArray p = e.getValue();
            INDArray grad = grads.get(e.getKey());
            assertTrue(grad != null, "no gradient for " + e.getKey());
            for (int rep = 0; rep < 3; rep++) {
                long i = r.nextInt((int) p.length());
                double orig = p.getDouble(i);
                p.putScalar(i, orig + EPS);
                double up = model.loss(b);
                p.putScalar(i, orig - EPS);
                double down = model.loss(b);
                p.putScalar(i, orig);
                double numeric = (up - down) / (2 * EPS);
                double analytic = grad.getDouble(i);
                double abs = Math.abs(numeric - analytic);
                double rel = abs / Math.max(Math.abs(numeric) + Math.abs(analytic), 1e-12);
                // Central differences carry about 1e-10 of rounding here: tiny gradients are judged absolutely.
                double score = abs <= 1e-9 ? 0 : abs / (Math.abs(numeric) + Math.abs(analytic));
                if (score > MAX_REL) {
                    System.out.println("  mismatch " + e.getKey() + "[" + i + "] analytic " + analytic + " numeric " + numeric);
                }
                if (score > worst) {
                    worst = score;
                    worstAt = e.getKey() + "[" + i + "] analytic " + analytic + " numeric " + numeric;
                }
                checked++;
            }
        }
        System.out.println(name + ": " + checked + " entries, worst relative error " + worst + " at " + worstAt);
        assertTrue(worst < MAX_REL, name + ": gradient mismatch " + worst + " at " + worstAt);
    }
}
