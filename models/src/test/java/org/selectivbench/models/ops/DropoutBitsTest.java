package org.selectivbench.models.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The mask bits against java.util.SplittableRandom, whose nextLong from seed s is splitmix64's mixer on
 * s + gamma, s + 2 gamma, ...: pair i's two 24-bit fields (bits 40-63 and 16-39) of the generator's i-th
 * value, kept where field / 2^24 < 1 - p in double. Entry counts with and without whole vectors of pairs
 * and an odd last entry, starts whose sums wrap past 2^63; the vector form against the scalar form bit
 * for bit.
 */
class DropoutBitsTest {
    @ParameterizedTest
    @CsvSource({"1, 0.2, 7", "2, 0.5, -3", "17, 0.1, 9223372036854775000", "33, 0.9, 11", "1001, 0.3, -1",
        "163841, 0.2, 5"})
    void matchesSplittableRandomsFields(int n, double p, long start) {
        float value = (float) (1 / (1 - p));
        float[] m = DropoutBits.draw(start, n, p, value);
        SplittableRandom r = new SplittableRandom(start - DropoutBits.GAMMA);
        for (int i = 0; i < n; i += 2) {
            long z = r.nextLong();
            long[] fields = {z >>> 40, (z >>> 16) & 0xFFFFFF};
            for (int h = 0; h < 2 && i + h < n; h++) {
                float want = fields[h] / (double) (1 << 24) < 1 - p ? value : 0f;
                assertEquals(want, m[i + h], 0f, "entry " + (i + h));
            }
        }
        Ops.assertVectorFormIsScalarForm(() -> new double[][] {Ops.doubles(DropoutBits.draw(start, n, p, value))});
    }
}
