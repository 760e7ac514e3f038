package org.selectivbench.models;

import org.selectivbench.models.config.*;
import org.selectivbench.models.train.*;
import java.util.Random;
import org.selectivbench.data.EncodedBatch;

/** Random batches for tests that need no grammar. */
public final class TestData {
    private TestData() {
    }

    public static ModelConfig tiny(String name) {
        // width 8, 2 heads, 2 layers, d-state 4, chunk 4: small enough for finite differences,
        // several chunks per sequence so the cross-chunk path is exercised.
        return new ModelConfig(name, 2, 8, 2, 4, 2, 4, 4, false, 0, 0, 0.0, 4);
    }

    /** A batch whose second row is shorter (padding at its end). */
    public static EncodedBatch batch(long seed, int batch, int steps, int vocab, int classes) {
        Random r = new Random(seed);
        float[] in = new float[batch * steps * vocab];
        int[] targets = new int[batch * steps];
        float[] mask = new float[batch * steps];
        int[][] starts = new int[batch][];
        int[] lengths = new int[batch];
        int[][] cls = new int[batch][];
        for (int b = 0; b < batch; b++) {
            int len = b == 1 ? Math.max(1, steps - 3) : steps;
            lengths[b] = len;
            starts[b] = new int[len];
            cls[b] = new int[len];
            for (int t = 0; t < len; t++) {
                in[(b * steps + t) * vocab + r.nextInt(vocab)] = 1f;
                for (int v = 0; v < vocab; v++) {
                    in[(b * steps + t) * vocab + v] += 0.2f * r.nextFloat();
                }
                targets[b * steps + t] = r.nextInt(classes);
                mask[b * steps + t] = 1f;
                starts[b][t] = t;
                cls[b][t] = targets[b * steps + t];
            }
        }
        return new EncodedBatch(batch, steps, vocab, in, targets, mask, starts, lengths, cls);
    }
}
