package org.selectivbench.models.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The dropout mask's generator: its mixer is java.util.SplittableRandom's (whose nextLong of a generator
 * seeded s is mix(s + gamma)), each entry is its 24-bit field against the threshold, and the vector
 * form gives the scalar form's entries, whole vectors and a tail.
 */
class DropoutBitsTest {
    @Test
    void mixerIsSplittableRandoms() {
        for (long seed : new long[] {0, 1, -7, 0x5DEECE66DL}) {
            SplittableRandom r = new SplittableRandom(seed);
            for (int i = 1; i <= 5; i++) {
                assertEquals(r.nextLong(), DropoutBits.mix(seed + i * DropoutBits.GAMMA), "seed " + seed + ", draw " + i);
            }
        }
    }

    @Test
    void entriesAreTheDrawsFields() {
        long start = 12345;
        int below = 1 << 23; // keep half
        float[] m = new float[9];
        DropoutBits.fill(m, m.length, start, below, 2f);
        for (int i = 0; i < m.length; i++) {
            long z = DropoutBits.mix(start + (i / 2) * DropoutBits.GAMMA);
            long field = ((i % 2 == 0 ? z : z >>> 32) & 0xFFFFFFFFL) >>> 8;
            assertEquals(field < below ? 2f : 0f, m[i], "entry " + i);
        }
    }

    @ParameterizedTest
    @CsvSource({"1000, 13421773", "37, 1", "16, 16777216", "33, 0"})
    void vectorFormIsTheScalarForm(int n, int below) {
        Ops.assertVectorFormIsScalarForm(() -> {
            float[] m = new float[n];
            DropoutBits.fill(m, n, -99, below, 1.25f);
            return new double[][] {Ops.doubles(m)};
        });
    }
}
