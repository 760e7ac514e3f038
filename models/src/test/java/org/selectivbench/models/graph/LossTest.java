package org.selectivbench.models.graph;

import org.selectivbench.models.*;
import org.selectivbench.models.modules.ParamStore;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.selectivbench.data.EncodedBatch;

/**
 * The graph's loss is the SPEC 4 cross-entropy: mean over real (unpadded) steps of
 * logsumexp(logits) - logit[target], recomputed here in Java from the model's own logits.
 */
class LossTest {
    @ParameterizedTest
    @ValueSource(strings = {"linear_attention", "transformer"})
    void lossIsMeanCrossEntropyOfRealSteps(String name) {
        int vocab = 5, classes = 7, steps = 10;
        GraphModel model = new GraphModel(TestData.tiny(name), vocab, classes, 11, DataType.DOUBLE);
        EncodedBatch b = TestData.batch(3, 2, steps, vocab, classes);
        float[] logits = model.logits(b);
        double sum = 0;
        int real = 0;
        for (int r = 0; r < b.batch(); r++) {
            for (int s = 0; s < b.steps(); s++) {
                int row = r * b.steps() + s;
                if (b.mask()[row] == 0) {
                    continue;
                }
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) {
                    max = Math.max(max, logits[row * classes + c]);
                }
                double z = 0;
                for (int c = 0; c < classes; c++) {
                    z += Math.exp(logits[row * classes + c] - max);
                }
                sum += max + Math.log(z) - logits[row * classes + b.targets()[row]];
                real++;
            }
        }
        double want = sum / real;
        assertTrue(want > 0.5, "implausible reference loss " + want);
        // logits come back as float, so agreement is to float rounding
        assertEquals(want, model.loss(b), 1e-5);
        assertEquals(want, model.lossAndGradients(b, false).loss(), 1e-5);
    }
}
