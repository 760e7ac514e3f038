package org.selectivbench.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.selectivbench.data.EncodedBatch;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.graph.GraphModel;
import org.selectivbench.models.modules.DropoutMasks;
import org.selectivbench.models.modules.Nd;
import org.selectivbench.models.ops.Kernels;
import org.selectivbench.models.ops.Parallel;

/**
 * The engine with explicit backward passes ({@link FusedModel}) against the SameDiff reference graph
 * ({@link GraphModel}, autodiff) for every model, at a random shape per model: the same parameters from
 * the same seed; the loss and every parameter gradient, without and with dropout (the same masks from
 * the same seed); evaluation logits, whole and in segments that carry the recurrent state. Relative
 * error (max |a - b| / max |b| per array) under 1e-9 in float64 and 1e-4 in float32.
 */
class FusedModelTest {
    static final int VOCAB = 5, CLASSES = 7;

    static String[] models() {
        return ModelConfig.MODELS.toArray(new String[0]);
    }

    /**
     * A random small shape for {@code name}: width 8 or 16, 1 or 2 layers, 2 heads, conv 2 to 4 (the
     * reference's strided-slice backprop fails in M2.1 for some kernel-1 graphs), with or without a
     * forget floor.
     */
    static ModelConfig shape(String name, Random r, double dropout) {
        int width = r.nextBoolean() ? 8 : 16;
        return new ModelConfig(name, 1 + r.nextInt(2), width, 2, 2 + 2 * r.nextInt(2), 2, 2 + r.nextInt(3),
                1 + r.nextInt(3), r.nextBoolean(), r.nextBoolean() ? 0 : 0.05, 0, dropout, 4);
    }

    @ParameterizedTest
    @MethodSource("models")
    void float64MatchesReference(String name) {
        Parallel.setThreads(2);
        Random r = new Random(name.hashCode());
        ModelConfig c = shape(name, r, 0.0);
        EncodedBatch b = TestData.batch(r.nextLong(), 2 + r.nextInt(2), 6 + r.nextInt(30), VOCAB, CLASSES);
        compare(c, b, DataType.DOUBLE, false, 1e-9);
        compare(shape(name, new Random(name.hashCode() + 1), 0.3), b, DataType.DOUBLE, true, 1e-9);
    }

    @ParameterizedTest
    @MethodSource("models")
    void float32MatchesReference(String name) {
        Random r = new Random(name.hashCode() + 7);
        // 9 examples of 2 heads: the float kernels that put a sequence in each lane (16 or 8) run whole groups
        compare(shape(name, r, 0.2), TestData.batch(r.nextLong(), 9, 5 + r.nextInt(30), VOCAB, CLASSES),
                DataType.FLOAT, true, 1e-4);
    }

    /**
     * The ND4J forms of the sequence ops (the GPU path, here on the CPU backend) in the engine against the
     * reference, for the models that use them: float64 without dropout, float32 with (chunk 4: several
     * chunks, most lengths not a multiple of it).
     */
    @ParameterizedTest
    @ValueSource(strings = {"mamba", "s4d", "lstm", "gru", "linear_attention", "mamba2", "gla", "delta_net",
            "gated_delta_net", "gated_delta_product"})
    void nd4jFormsMatchReference(String name) {
        Kernels before = Kernels.current();
        Kernels.use(Kernels.ND4J);
        try {
            Random r = new Random(name.hashCode() + 11);
            ModelConfig c = shape(name, r, 0.0);
            compare(c, TestData.batch(r.nextLong(), 2 + r.nextInt(2), 6 + r.nextInt(30), VOCAB, CLASSES),
                    DataType.DOUBLE, false, 1e-9);
            compare(shape(name, r, 0.2), TestData.batch(r.nextLong(), 3, 5 + r.nextInt(30), VOCAB, CLASSES),
                    DataType.FLOAT, true, 1e-4);
        } finally {
            Kernels.use(before);
        }
    }

    /**
     * An odd head size (the paper grid's widths 648 and 1,296 give 81): RoPE rotates the first 2 floor(hd/2)
     * dimensions and passes the last one, in the engine and the reference alike (M2.1's reference graph
     * failed to build before), in float64 and float32 (the float kernels' column tails).
     */
    @org.junit.jupiter.api.Test
    void oddHeadSizeMatchesReference() {
        ModelConfig c = new ModelConfig("transformer", 1, 18, 2, 4, 2, 4, 1, false, 0, 0, 0.1, 4);
        compare(c, TestData.batch(6, 2, 11, VOCAB, CLASSES), DataType.DOUBLE, true, 1e-9);
        compare(c, TestData.batch(7, 3, 13, VOCAB, CLASSES), DataType.FLOAT, true, 1e-4);
    }

    /**
     * Wider heads than the shapes above (17: an odd entry RoPE passes) and two blocks of queries and
     * keys in the float attention kernels.
     */
    @org.junit.jupiter.api.Test
    void wideHeadsMatchReferenceInFloat32() {
        ModelConfig c = new ModelConfig("transformer", 2, 34, 2, 4, 2, 4, 1, false, 0, 0, 0.1, 4);
        compare(c, TestData.batch(8, 3, 21, VOCAB, CLASSES), DataType.FLOAT, true, 1e-4);
    }

    /**
     * S4D in float32 with enough modes (d-state 16: 8 modes) that its training pass (37 steps, at most 12
     * per mode) and whole evaluations (at most 6 per mode) take the convolution and its segments the
     * recurrence; the shapes above have one or two modes, so their longer passes take the recurrence.
     */
    @org.junit.jupiter.api.Test
    void s4dConvolutionMatchesReference() {
        ModelConfig c = new ModelConfig("s4d", 2, 16, 2, 16, 2, 4, 1, false, 0, 0, 0.2, 4);
        compare(c, TestData.batch(12, 9, 37, VOCAB, CLASSES), DataType.FLOAT, true, 1e-4);
    }

    /**
     * Mamba2 in float32 with a state of 64 keys, where its scan takes the chunked form (a chunk of 32 steps
     * and one of 13 in training); the shapes above have 2-4 keys and take the step-by-step form.
     */
    @org.junit.jupiter.api.Test
    void mamba2ChunkedScanMatchesReference() {
        ModelConfig c = new ModelConfig("mamba2", 2, 16, 2, 64, 2, 4, 1, false, 0, 0, 0.2, 4);
        compare(c, TestData.batch(14, 5, 45, VOCAB, CLASSES), DataType.FLOAT, true, 1e-4);
    }

    /** The models whose float32 Java path makes its projections with {@code GemmFloat} at widths of 16. */
    static String[] javaMatmulModels() {
        return new String[] {"s4d", "gla", "delta_net", "gated_delta_net", "gated_delta_product", "linear_attention",
            "transformer", "lstm", "gru", "mamba"};
    }

    /**
     * Float32 at width 16, where those projections run the float path's own matmul loops instead of
     * BLAS; the step must have listed such matmuls, or it tested BLAS again. With and without dropout: without it the residual's and the branch's gradients
     * are one array, which a layer's backward pass must leave as it was.
     */
    @ParameterizedTest
    @MethodSource("javaMatmulModels")
    void float32JavaMatmulsMatchReference(String name) {
        Random r = new Random(name.hashCode() + 13);
        ModelConfig c = new ModelConfig(name, 2, 16, 2, 4, 2, 2 + r.nextInt(3), 2, false, 0, 0, 0.2, 4);
        EncodedBatch b = TestData.batch(r.nextLong(), 9, 5 + r.nextInt(30), VOCAB, CLASSES);
        compare(c, b, DataType.FLOAT, true, 1e-4);
        compare(c, b, DataType.FLOAT, false, 1e-4);
        FusedModel m = new FusedModel(c, VOCAB, CLASSES, 3, DataType.FLOAT);
        java.util.List<Nd.Gemm> gemms = Nd.recordGemms(() -> m.lossAndGradients(b, true));
        assertTrue(gemms.stream().filter(Nd.Gemm::java).count() >= 3 * c.layers(),
                name + ": matmuls of the float path's loops " + gemms.stream().filter(Nd.Gemm::java).count());
    }

    /**
     * The arena's arrays serve one pass only: a model whose arena poisons every array when its pass ends
     * (and takes arrays of any length) gives the same bits as one with the default arena, over training
     * steps with dropout, whole evaluations and evaluations in segments that carry the state, in turn.
     */
    @ParameterizedTest
    @MethodSource("models")
    void arenaArraysServeOnePass(String name) {
        Random r = new Random(name.hashCode() + 29);
        ModelConfig c = new ModelConfig(name, 2, 16, 2, 4, 2, 2 + r.nextInt(3), 2, false, 0, 0, 0.2, 4);
        EncodedBatch b = TestData.batch(r.nextLong(), 9, 12 + r.nextInt(20), VOCAB, CLASSES);
        FusedModel plain = new FusedModel(c, VOCAB, CLASSES, 3, DataType.FLOAT);
        FusedModel poisoned = new FusedModel(c, VOCAB, CLASSES, 3, DataType.FLOAT);
        poisoned.arena(org.selectivbench.models.ops.Arena.poisoned());
        plain.dropoutMasks(DropoutMasks.seeded(5)); // the runs' masks, drawn into the arena
        poisoned.dropoutMasks(DropoutMasks.seeded(5));
        long rows = 2L * Math.max(1, b.steps() / 3);
        for (int round = 0; round < 2; round++) {
            SequenceModel.StepResult want = plain.lossAndGradients(b, true);
            SequenceModel.StepResult got = poisoned.lossAndGradients(b, true);
            assertEquals(want.loss(), got.loss(), 0, name + ": loss in round " + round);
            for (Map.Entry<String, INDArray> e : want.gradients().entrySet()) {
                assertEquals(e.getValue(), got.gradients().get(e.getKey()), name + ": gradient of " + e.getKey());
            }
            assertArrayEquals(plain.logits(b), poisoned.logits(b), name + ": logits in round " + round);
            assertArrayEquals(plain.logits(b, rows), poisoned.logits(b, rows), name + ": logits in segments");
        }
        assertTrue(poisoned.arenaBytes() > 0, name + ": nothing was taken from the arena");
    }

    /** The optional MLP block after the mixer (model.mlp-expansion), in float64 with dropout. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"gated_delta_net", "transformer"})
    void mlpBlockMatchesReference(String name) {
        ModelConfig c = new ModelConfig(name, 2, 8, 2, 4, 2, 4, 1, false, 0, 2, 0.3, 4);
        compare(c, TestData.batch(5, 2, 9, VOCAB, CLASSES), DataType.DOUBLE, true, 1e-9);
    }

    private static void compare(ModelConfig c, EncodedBatch b, DataType dt, boolean dropout, double tol) {
        GraphModel ref = new GraphModel(c, VOCAB, CLASSES, 3, dt);
        FusedModel got = new FusedModel(c, VOCAB, CLASSES, 3, dt);
        ref.dropoutMasks(hashedMasks(c.hashCode()));
        got.dropoutMasks(hashedMasks(c.hashCode()));
        String what = c + " " + dt;
        assertEquals(ref.params().arrays().keySet().stream().toList(), got.params().arrays().keySet().stream().toList(),
                what + ": parameters in another order");
        ref.params().arrays().forEach((k, v) -> assertEquals(v, got.params().arrays().get(k), what + ": init of " + k));

        SequenceModel.StepResult want = ref.lossAndGradients(b, dropout);
        SequenceModel.StepResult have = got.lossAndGradients(b, dropout);
        assertTrue(Math.abs(want.loss() - have.loss()) <= tol * Math.abs(want.loss()),
                what + ": loss " + have.loss() + ", reference " + want.loss());
        assertEquals(want.gradients().keySet(), have.gradients().keySet(), what + ": gradients of other parameters");
        for (Map.Entry<String, INDArray> e : want.gradients().entrySet()) {
            double err = relative(e.getValue(), have.gradients().get(e.getKey()));
            assertTrue(err < tol, what + ": gradient of " + e.getKey() + " off by " + err);
        }
        float[] whole = ref.logits(b);
        assertClose(whole, got.logits(b), tol, what + ": logits");
        assertClose(ref.probabilities(b), got.probabilities(b), tol, what + ": probabilities");
        assertEquals(ref.loss(b), got.loss(b), tol * Math.abs(ref.loss(b)), what + ": evaluation loss");
        // bounded runs: pieces of examples, and segments for the models that carry their state
        long rows = 2L * Math.max(1, b.steps() / 3);
        assertClose(whole, got.logits(b, rows), tol, what + ": logits in runs of " + rows + " rows");
    }

    /**
     * Masks that depend only on (site, example, step, column), so the reference graph, which pads its
     * sequences, sees the same masks on the real steps as the engine.
     */
    static DropoutMasks hashedMasks(long seed) {
        return (site, batch, steps, width, p, dt) -> {
            double[] m = new double[batch * steps * width];
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < steps; t++) {
                    for (int c = 0; c < width; c++) {
                        long h = new java.util.SplittableRandom(seed ^ site.hashCode() * 0x9E3779B97F4A7C15L
                                ^ ((long) b << 40) ^ ((long) t << 20) ^ c).nextLong();
                        m[(b * steps + t) * width + c] = (h >>> 11) * 0x1.0p-53 < 1 - p ? 1 / (1 - p) : 0;
                    }
                }
            }
            return Nd4j.create(m, new long[] {(long) batch * steps, width}, DataType.DOUBLE).castTo(dt);
        };
    }

    /** max |a - b| / max |a| over the array. */
    static double relative(INDArray want, INDArray got) {
        double scale = want.amaxNumber().doubleValue();
        return want.sub(got).amaxNumber().doubleValue() / (scale > 0 ? scale : 1);
    }

    static void assertClose(float[] want, float[] got, double tol, String what) {
        assertEquals(want.length, got.length, what + ": length");
        double scale = 0, worst = 0;
        for (int i = 0; i < want.length; i++) {
            scale = Math.max(scale, Math.abs(want[i]));
            worst = Math.max(worst, Math.abs(want[i] - got[i]));
        }
        assertTrue(worst <= Math.max(tol, 1e-6) * Math.max(scale, 1e-30), what + ": off by " + worst + " of " + scale);
    }
}
