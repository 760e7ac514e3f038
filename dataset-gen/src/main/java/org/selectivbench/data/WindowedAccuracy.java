package org.selectivbench.data;

/**
 * The benchmark's metric (SPEC section 4): for each element, sum the softmax outputs over its
 * window (its symbol step and its gap steps), take the argmax, and compare with the element's
 * class. Every element counts, '#' elements and first elements included.
 */
public final class WindowedAccuracy {
    private long correct;
    private long total;

    /**
     * Adds a batch.
     *
     * @param probs   softmax outputs, [batch][steps][classes] row-major
     * @param classes number of classes
     */
    public void add(EncodedBatch batch, float[] probs, int classes) {
        if (probs.length != (long) batch.batch() * batch.steps() * classes) {
            throw new IllegalArgumentException("probabilities hold " + probs.length + " values, expected batch "
                    + batch.batch() + " x steps " + batch.steps() + " x classes " + classes);
        }
        double[] sum = new double[classes];
        for (int b = 0; b < batch.batch(); b++) {
            int[] cls = batch.classes()[b];
            for (int e = 0; e < cls.length; e++) {
                java.util.Arrays.fill(sum, 0.0);
                int end = batch.windowEnd(b, e);
                for (int t = batch.windowStarts()[b][e]; t < end; t++) {
                    int base = (b * batch.steps() + t) * classes;
                    for (int c = 0; c < classes; c++) {
                        sum[c] += probs[base + c];
                    }
                }
                if (argmax(sum) == cls[e]) {
                    correct++;
                }
                total++;
            }
        }
    }

    static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    public void merge(WindowedAccuracy other) {
        correct += other.correct;
        total += other.total;
    }

    public long correct() {
        return correct;
    }

    public long total() {
        return total;
    }

    public double accuracy() {
        return total == 0 ? Double.NaN : (double) correct / total;
    }
}
