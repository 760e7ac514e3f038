package org.selectivbench.data;

/**
 * A minibatch as a model consumes it: row-major arrays, padded to the longest example.
 *
 * @param batch        number of examples
 * @param steps        time steps per row (the longest example; shorter ones are padded)
 * @param vocab        input features per step (one-hot symbols plus noise)
 * @param inputs       [batch][steps][vocab]
 * @param targets      [batch][steps] class of the element each step belongs to; 0 on padding
 * @param mask         [batch][steps] 1 on real steps, 0 on padding
 * @param windowStarts per example, the first step of each element's window; windows are contiguous,
 *                     so element e spans [windowStarts[b][e], windowStarts[b][e+1]) and the last one
 *                     ends at the example's length
 * @param lengths      real steps of each example
 * @param classes      per example, the class of each element
 */
public record EncodedBatch(int batch, int steps, int vocab, float[] inputs, int[] targets, float[] mask,
                           int[][] windowStarts, int[] lengths, int[][] classes) {

    /** End (exclusive) of element e's window in example b. */
    public int windowEnd(int b, int e) {
        int[] starts = windowStarts[b];
        return e + 1 < starts.length ? starts[e + 1] : lengths[b];
    }

    /** Examples [from, to) as a batch of their own, padded to the same number of steps. */
    public EncodedBatch rows(int from, int to) {
        if (from < 0 || to > batch || from >= to) {
            throw new IllegalArgumentException("rows [" + from + ", " + to + ") of a batch of " + batch);
        }
        int per = steps * vocab;
        return new EncodedBatch(to - from, steps, vocab,
                java.util.Arrays.copyOfRange(inputs, from * per, to * per),
                java.util.Arrays.copyOfRange(targets, from * steps, to * steps),
                java.util.Arrays.copyOfRange(mask, from * steps, to * steps),
                java.util.Arrays.copyOfRange(windowStarts, from, to),
                java.util.Arrays.copyOfRange(lengths, from, to),
                java.util.Arrays.copyOfRange(classes, from, to));
    }

    /** Real (unpadded) steps: the sum of the mask. */
    public double realSteps() {
        double n = 0;
        for (float m : mask) {
            n += m;
        }
        return n;
    }
}
