package org.selectivbench.models;

import org.selectivbench.models.config.*;
import org.selectivbench.models.train.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.selectivbench.data.EncodedBatch;

/**
 * The training engine's behaviour: causality and padding, determinism, micro-batches, bounded evaluation,
 * dropout modes and order, checkpoint round trip, divergence detection.
 */
class ModelBehaviourTest {
    static final int VOCAB = 5, CLASSES = 7;

    /** Changing inputs at steps >= 6 must not change outputs at steps < 6 (also covers end padding). */
    @ParameterizedTest
    @ValueSource(strings = {"transformer", "linear_attention", "mamba2", "lstm"})
    void causal(String name) {
        SequenceModel m = SequenceModel.create(TestData.tiny(name), VOCAB, CLASSES, 2, DataType.DOUBLE);
        EncodedBatch a = TestData.batch(1, 2, 10, VOCAB, CLASSES);
        EncodedBatch b = TestData.batch(1, 2, 10, VOCAB, CLASSES);
        for (int r = 0; r < 2; r++) {
            for (int i = (r * 10 + 6) * VOCAB; i < (r * 10 + 10) * VOCAB; i++) {
                b.inputs()[i] = 0.7f;
            }
        }
        float[] la = m.logits(a), lb = m.logits(b);
        boolean laterChanged = false;
        for (int r = 0; r < 2; r++) {
            for (int t = 0; t < 10; t++) {
                for (int c = 0; c < CLASSES; c++) {
                    int i = (r * 10 + t) * CLASSES + c;
                    if (t < 6) {
                        assertEquals(la[i], lb[i], 1e-12, name + ": step " + t + " saw the future");
                    } else if (la[i] != lb[i]) {
                        laterChanged = true;
                    }
                }
            }
        }
        assertTrue(laterChanged, name + ": later steps ignore their input");
    }

    /**
     * Same seed, same batches, one process: the same losses and parameters, bit for bit (float,
     * dropout on, Adam, two kernel threads). Across processes: {@link CrossProcessTest}.
     */
    @ParameterizedTest
    @ValueSource(strings = {"transformer", "gated_delta_product", "mamba"})
    void sameSeedSameTraining(String name) {
        double[][] losses = new double[2][];
        float[][] params = new float[2][];
        for (int copy = 0; copy < 2; copy++) {
            ModelConfig t = TestData.tiny(name);
            ModelConfig c = new ModelConfig(name, t.layers(), t.width(), t.heads(), t.dState(), t.expand(),
                    t.convSize(), t.householderSteps(), false, 0, 0, 0.2, t.chunkSize()); // with dropout
            SequenceModel m = SequenceModel.create(c, VOCAB, CLASSES, 5, DataType.FLOAT);
            Optim optim = new Optim(new TrainConfig(4, 1e-2, 1, 0, 1.0, 0, 4, 1, 0, 0, java.util.Map.of(), "always", "auto"));
            losses[copy] = new double[3];
            for (int step = 0; step < 3; step++) {
                SequenceModel.StepResult r = m.lossAndGradients(TestData.batch(10 + step, 4, 12, VOCAB, CLASSES), true);
                Optim.clip(m.params(), 1.0);
                optim.step(m.params(), 1e-2);
                losses[copy][step] = r.loss();
            }
            List<String> names = new java.util.ArrayList<>(m.params().arrays().keySet());
            java.util.Collections.sort(names);
            float[] all = new float[0];
            for (String n : names) {
                float[] p = m.params().arrays().get(n).dup().data().asFloat();
                float[] joined = java.util.Arrays.copyOf(all, all.length + p.length);
                System.arraycopy(p, 0, joined, all.length, p.length);
                all = joined;
            }
            params[copy] = all;
        }
        assertArrayEquals(losses[0], losses[1], 0.0, name + ": losses differ between identical runs");
        assertArrayEquals(params[0], params[1], 0.0f, name + ": parameters differ between identical runs");
    }

    /**
     * A batch in micro-batches gives the loss and gradients of the whole batch at once (double
     * precision; pieces of 2, 2 and 1 rows, one of them shorter, so the weighting by the whole
     * batch's real steps is exercised).
     */
    @ParameterizedTest
    @ValueSource(strings = {"gated_delta_product", "mamba", "transformer"})
    void microBatchesGiveTheWholeBatchGradient(String name) {
        SequenceModel m = SequenceModel.create(TestData.tiny(name), VOCAB, CLASSES, 6, DataType.DOUBLE);
        EncodedBatch b = TestData.batch(8, 5, 11, VOCAB, CLASSES);
        SequenceModel.StepResult whole = m.lossAndGradients(b, false);
        double loss = whole.loss();
        java.util.Map<String, double[]> want = new java.util.HashMap<>();
        whole.gradients().forEach((k, v) -> want.put(k, v.dup().data().asDouble()));
        SequenceModel.StepResult pieces = m.lossAndGradients(b, false, 2);
        assertEquals(loss, pieces.loss(), 1e-12 * Math.abs(loss), name + ": loss");
        assertEquals(want.keySet(), pieces.gradients().keySet());
        for (var e : want.entrySet()) {
            double[] got = pieces.gradients().get(e.getKey()).data().asDouble();
            double scale = 0;
            for (double x : e.getValue()) {
                scale = Math.max(scale, Math.abs(x));
            }
            assertArrayEquals(e.getValue(), got, 1e-10 * Math.max(scale, 1e-6), name + ": gradient of " + e.getKey());
        }
    }

    /**
     * Evaluation in bounded runs gives the whole batch's logits and loss: 3 examples of 150 steps (one
     * shorter, padded), at most 400 rows per run (pieces of 2 whole examples), 100 (the models that carry
     * their state: one example in 2 segments of 75 steps) and 40 (one example in 4 segments of 38). The
     * Transformer carries no state and runs whole examples, one at a time below 150 rows. Double
     * precision, logits within 1e-9.
     */
    @ParameterizedTest
    @ValueSource(strings = {"mamba", "mamba2", "gla", "delta_net", "gated_delta_net", "gated_delta_product",
            "linear_attention", "s4d", "lstm", "gru", "transformer"})
    void boundedEvaluationMatchesWhole(String name) {
        FusedModel m = new FusedModel(TestData.tiny(name), VOCAB, CLASSES, 5, DataType.DOUBLE);
        EncodedBatch b = TestData.batch(13, 3, 150, VOCAB, CLASSES);
        float[] whole = m.logits(b);
        double loss = m.loss(b);
        boolean carries = !name.equals("transformer");
        assertEquals(new FusedModel.Plan(2, 150), m.plan(3, 150, 400));
        assertEquals(carries ? new FusedModel.Plan(1, 75) : new FusedModel.Plan(1, 150), m.plan(3, 150, 100));
        assertEquals(carries ? new FusedModel.Plan(1, 38) : new FusedModel.Plan(1, 150), m.plan(3, 150, 40));
        for (long rows : new long[] {400, 100, 40}) {
            float[] bounded = m.logits(b, rows);
            assertEquals(whole.length, bounded.length);
            for (int i = 0; i < whole.length; i++) {
                assertEquals(whole[i], bounded[i], 1e-9, name + ", rows " + rows + ": logit " + i);
            }
            assertEquals(loss, m.loss(b, rows), 1e-9, name + ", rows " + rows + ": loss");
        }
    }

    /** Dropout masks are asked for site by site in the order the layers run (the reference graph's order). */
    @Test
    void dropoutMasksInRunOrder() {
        ModelConfig c = new ModelConfig("transformer", 2, 8, 2, 4, 2, 4, 4, false, 0, 2, 0.5, 4);
        FusedModel m = new FusedModel(c, VOCAB, CLASSES, 3, DataType.FLOAT);
        List<String> sites = new java.util.ArrayList<>();
        m.dropoutMasks((site, batch, steps, width, p, dt) -> {
            sites.add(site);
            return org.nd4j.linalg.factory.Nd4j.ones(dt, (long) batch * steps, width);
        });
        m.lossAndGradients(TestData.batch(4, 2, 10, VOCAB, CLASSES), true);
        assertEquals(List.of("l0.transformer.ffn", "l0.mixer", "l0.mlp", "l1.transformer.ffn", "l1.mixer", "l1.mlp"),
                sites);
    }

    @Test
    void dropoutOnlyInTraining() {
        ModelConfig c = new ModelConfig("mamba2", 2, 8, 2, 4, 2, 4, 4, false, 0, 2, 0.5, 4);
        SequenceModel m = SequenceModel.create(c, VOCAB, CLASSES, 3, DataType.DOUBLE);
        EncodedBatch b = TestData.batch(4, 2, 10, VOCAB, CLASSES);
        assertEquals(m.loss(b), m.loss(b), 0.0);
        assertEquals(m.loss(b), m.lossAndGradients(b, false).loss(), 1e-12);
        double t1 = m.lossAndGradients(b, true).loss();
        double t2 = m.lossAndGradients(b, true).loss();
        assertTrue(t1 != t2 && t1 != m.loss(b), "dropout masks do not vary in training");
    }

    @Test
    void checkpointRoundTrip(@TempDir Path dir) throws Exception {
        SequenceModel m = SequenceModel.create(TestData.tiny("mamba2"), VOCAB, CLASSES, 4, DataType.FLOAT);
        EncodedBatch b = TestData.batch(5, 2, 10, VOCAB, CLASSES);
        Optim o = new Optim(new TrainConfig(2, 1e-2, 0, 0, 1, 0, 2, 1, 0, 0, java.util.Map.of(), "always", "auto"));
        for (int i = 0; i < 2; i++) {
            m.lossAndGradients(b, true);
            o.step(m.params(), 1e-2);
        }
        Path file = dir.resolve("model.ckpt");
        Checkpoint.save(m, file);
        SequenceModel back = Checkpoint.load(file);
        assertEquals(m.config(), back.config());
        assertEquals(m.parameterCount(), back.parameterCount());
        assertArrayEquals(m.logits(b), back.logits(b), 0f);
        EncodedBatch longer = TestData.batch(6, 2, 14, VOCAB, CLASSES); // another length
        assertArrayEquals(m.probabilities(longer), back.probabilities(longer), 0f);
        SequenceModel fresh = SequenceModel.create(TestData.tiny("mamba2"), VOCAB, CLASSES, 4, DataType.FLOAT);
        assertFalse(java.util.Arrays.equals(fresh.logits(b), back.logits(b)), "training changed nothing");
    }

    @Test
    void divergenceStopsTheRun() {
        SequenceModel m = SequenceModel.create(TestData.tiny("linear_attention"), 6, 16, 4, DataType.FLOAT);
        m.params().arrays().get("enc.w").putScalar(0, Double.NaN);
        var gen = LearningTest.generator(6, 5, 3);
        Trainer tr = new Trainer(m, new TrainConfig(2, 1e-3, 1, 0, 1, 0, 2, 1, 0, 0, java.util.Map.of(), "always", "auto"));
        var train = java.util.stream.LongStream.range(0, 4)
                .mapToObj(i -> gen.example(org.selectivbench.data.Split.TRAIN, i, gen.task().gapMax())).iterator();
        NonFiniteLossException e = assertThrows(NonFiniteLossException.class, () -> tr.train(train,
                new org.selectivbench.data.BatchEncoder(6, 0), 2, () -> List.<org.selectivbench.data.TaskExample>of()
                        .iterator(), new org.selectivbench.data.BatchEncoder(6, 0), null));
        assertEquals(0, e.update());
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    }
}
