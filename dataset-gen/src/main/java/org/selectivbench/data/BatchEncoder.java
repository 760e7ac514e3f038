package org.selectivbench.data;

import java.util.List;

/**
 * Turns stored examples into model input (SPEC section 3): a one-hot step per element, its gap
 * steps (zero vectors or one-hot distractors), Uniform[0, noise) on every entry of every real step,
 * and the element's class as the target of all its steps.
 */
public final class BatchEncoder {
    private final int vocab;
    private final float noise;

    public BatchEncoder(int vocab, double noise) {
        this.vocab = vocab;
        this.noise = (float) noise;
    }

    public EncodedBatch encode(List<TaskExample> examples) {
        int batch = examples.size();
        int steps = 0;
        for (TaskExample ex : examples) {
            steps = Math.max(steps, ex.steps());
        }
        float[] inputs = new float[batch * steps * vocab];
        int[] targets = new int[batch * steps];
        float[] mask = new float[batch * steps];
        int[][] windowStarts = new int[batch][];
        int[] lengths = new int[batch];
        int[][] classes = new int[batch][];
        for (int b = 0; b < batch; b++) {
            TaskExample ex = examples.get(b);
            int row = b * steps;
            int[] starts = new int[ex.elements()];
            int t = 0;
            int d = 0;
            int[] distractors = ex.distractors();
            for (int e = 0; e < ex.elements(); e++) {
                starts[e] = t;
                int cls = ex.classes()[e];
                inputs[(row + t) * vocab + ex.symbols()[e]] = 1f;
                targets[row + t] = cls;
                t++;
                for (int g = 0; g < ex.gaps()[e]; g++) {
                    if (distractors.length > 0) {
                        inputs[(row + t) * vocab + distractors[d++]] = 1f;
                    }
                    targets[row + t] = cls;
                    t++;
                }
            }
            for (int s = 0; s < t; s++) {
                mask[row + s] = 1f;
            }
            if (noise > 0) {
                Rng rng = new Rng(ex.noiseSeed());
                int from = row * vocab;
                int to = (row + t) * vocab;
                for (int i = from; i < to; i++) {
                    inputs[i] += noise * rng.nextFloat();
                }
            }
            windowStarts[b] = starts;
            lengths[b] = t;
            classes[b] = ex.classes();
        }
        return new EncodedBatch(batch, steps, vocab, inputs, targets, mask, windowStarts, lengths, classes);
    }
}
