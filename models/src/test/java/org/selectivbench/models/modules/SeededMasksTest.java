package org.selectivbench.models.modules;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The host-drawn dropout masks: entries 0 or 1 / (1 - p) with 1 - p of them kept (within 4.5 standard
 * errors over 300K entries, and no run of the two halves of a draw sharing its field), the same for the same
 * seed and call order, a new mask at each call, and the same kept entries whatever the array type.
 */
class SeededMasksTest {
    @ParameterizedTest
    @ValueSource(doubles = {0.1, 0.2, 0.5, 0.9})
    void keepsOneMinusPOfTheEntries(double p) {
        float[] m = DropoutMasks.seeded(3).floats("s", 100, 100, 31, p);
        float value = (float) (1 / (1 - p));
        long kept = 0, pairs = 0;
        for (int i = 0; i < m.length; i++) {
            assertTrue(m[i] == 0 || m[i] == value, "entry " + i + " = " + m[i]);
            kept += m[i] == 0 ? 0 : 1;
            if (i % 2 == 1 && (m[i] != 0) == (m[i - 1] != 0)) {
                pairs++;
            }
        }
        double n = m.length, q = 1 - p, se = Math.sqrt(n * q * p);
        assertEquals(n * q, kept, 4.5 * se, "kept entries");
        double agree = q * q + p * p, pse = Math.sqrt(n / 2 * agree * (1 - agree)); // the halves are independent
        assertEquals(n / 2 * agree, pairs, 4.5 * pse, "pairs from one draw that agree");
    }

    @Test
    void sameSeedSameMasksAndEachCallANewOne() {
        DropoutMasks a = DropoutMasks.seeded(11), b = DropoutMasks.seeded(11), c = DropoutMasks.seeded(12);
        float[] a1 = a.floats("s", 4, 7, 9, 0.3), a2 = a.floats("s", 4, 7, 9, 0.3);
        assertArrayEquals(a1, b.floats("s", 4, 7, 9, 0.3));
        assertArrayEquals(a2, b.floats("s", 4, 7, 9, 0.3));
        assertFalse(java.util.Arrays.equals(a1, a2), "two calls drew the same mask");
        assertFalse(java.util.Arrays.equals(a1, c.floats("s", 4, 7, 9, 0.3)), "two seeds drew the same mask");
    }

    @Test
    void everyTypeKeepsTheSameEntries() {
        float[] f = DropoutMasks.seeded(5).mask("s", 3, 5, 7, 0.25, DataType.FLOAT).data().asFloat();
        double[] d = DropoutMasks.seeded(5).mask("s", 3, 5, 7, 0.25, DataType.DOUBLE).data().asDouble();
        assertArrayEquals(DropoutMasks.seeded(5).floats("s", 3, 5, 7, 0.25), f);
        for (int i = 0; i < d.length; i++) {
            assertEquals(f[i] == 0 ? 0 : 1 / 0.75, d[i], 0.0, "entry " + i);
        }
    }
}
