package org.selectivbench.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.data.EncodedBatch;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.modules.ParamStore;

/**
 * A model of the benchmark (SPEC 6): the wrapper around one mixer, its parameters, the loss and
 * gradients of a training batch, and evaluation outputs. Inputs are real vectors [B, T, V] (one-hot
 * symbols plus noise); the loss is the cross-entropy of every real step (mask 1), averaged per step.
 */
public interface SequenceModel {
    /** A new model with parameters initialised from {@code seed}. */
    static SequenceModel create(ModelConfig config, int vocab, int classes, long seed, DataType dtype) {
        return new FusedModel(config, vocab, classes, seed, dtype);
    }

    ModelConfig config();

    int vocab();

    int classes();

    /** The parameter arrays, updated in place by the optimiser. */
    ParamStore params();

    default long parameterCount() {
        return params().count();
    }

    /** Loss of a batch and the gradient of every parameter. */
    record StepResult(double loss, Map<String, INDArray> gradients) {
    }

    /** Loss and gradients of one batch (dropout on when {@code train}), all of it at once. */
    default StepResult lossAndGradients(EncodedBatch b, boolean train) {
        return lossAndGradients(b, train, 0);
    }

    /**
     * Loss and gradients of one batch, computed in pieces of at most {@code microBatch} examples (0 =
     * all at once) and summed. Every piece is weighted by the real steps of the whole batch, so the
     * sum is the whole batch's loss and gradient up to rounding, with the memory of a piece.
     */
    StepResult lossAndGradients(EncodedBatch b, boolean train, int microBatch);

    /** Evaluation loss (dropout off) in runs of at most {@code rows} rows (0 = one run). */
    double loss(EncodedBatch b, long rows);

    /**
     * Softmax outputs with dropout off, [batch][steps][classes] row-major, in runs of at most
     * {@code rows} rows (examples times steps; 0 = the whole batch in one run). Long sequences of a
     * model that carries its recurrent state run in segments; the same outputs up to rounding.
     */
    float[] probabilities(EncodedBatch b, long rows);

    /** Logits with dropout off, as {@link #probabilities}. */
    float[] logits(EncodedBatch b, long rows);

    default double loss(EncodedBatch b) {
        return loss(b, 0);
    }

    default float[] probabilities(EncodedBatch b) {
        return probabilities(b, 0);
    }

    default float[] logits(EncodedBatch b) {
        return logits(b, 0);
    }

    /** Frees what the model caches between steps (call when done with it, e.g. after a run). */
    void releaseArrays();

    /** {@code b} in consecutive pieces of at most {@code piece} examples (0 = one piece, {@code b} itself). */
    static List<EncodedBatch> pieces(EncodedBatch b, int piece) {
        if (piece <= 0 || piece >= b.batch()) {
            return List.of(b);
        }
        List<EncodedBatch> parts = new ArrayList<>();
        for (int from = 0; from < b.batch(); from += piece) {
            parts.add(b.rows(from, Math.min(b.batch(), from + piece)));
        }
        return parts;
    }
}
