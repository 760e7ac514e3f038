package org.selectivbench.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.selectivbench.models.config.ModelConfig;

/**
 * {@link FusedModel#parameters}, the count without ND4J, against the scalars a real construction puts
 * in its parameter store, for every model at random small shapes (widths, heads including the default
 * rule, d-state odd and even, expansions, kernels, Householder steps, MLPs, vocabularies).
 */
class ParameterCountTest {
    static final int[] WIDTHS = {8, 16, 24, 32, 48, 64};
    static final int[] HEADS = {0, 2, 3, 4}; // 3 divides only 24 and 48: the others are rejected and skipped
    static final int[] MLP = {0, 1, 2, 4};
    static final int SHAPES = 8;

    static String[] models() {
        return ModelConfig.MODELS.toArray(new String[0]);
    }

    @ParameterizedTest
    @MethodSource("models")
    void countMatchesConstruction(String name) {
        Random r = new Random(name.hashCode());
        int checked = 0;
        for (int tries = 0; checked < SHAPES && tries < 10 * SHAPES; tries++) {
            ModelConfig c;
            try {
                c = new ModelConfig(name, 1 + r.nextInt(3), WIDTHS[r.nextInt(WIDTHS.length)],
                        HEADS[r.nextInt(HEADS.length)], 4 + r.nextInt(29), 1 + r.nextInt(3), 2 + r.nextInt(4),
                        1 + r.nextInt(4), r.nextBoolean(), r.nextBoolean() ? 0 : 0.05, MLP[r.nextInt(MLP.length)],
                        r.nextBoolean() ? 0 : 0.2, 1 + r.nextInt(16));
            } catch (IllegalArgumentException rejected) {
                continue;
            }
            int vocab = 3 + r.nextInt(198), classes = 3 + r.nextInt(198);
            long built = new FusedModel(c, vocab, classes, r.nextLong(), DataType.FLOAT).params().count();
            assertEquals(built, FusedModel.parameters(c, vocab, classes),
                    c.render() + ", vocab " + vocab + ", classes " + classes);
            checked++;
        }
        assertTrue(checked == SHAPES, name + ": only " + checked + " valid shapes drawn");
    }
}
