package org.selectivbench.models.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The arena's bookkeeping; FusedModelTest checks that the models' passes keep none of its arrays. */
class ArenaTest {
    private static final int N = Arena.SMALL;

    @Test
    void aPassTakesTheArraysOfThePassBeforeZeroFilled() {
        Arena a = new Arena();
        float[] first, second;
        try (Arena.Pass p = a.open()) {
            first = Arena.floats(N);
            second = Arena.floats(N);
            first[3] = 7;
            second[5] = 9;
        }
        try (Arena.Pass p = a.open()) {
            assertSame(first, Arena.floats(N), "the first array of that length, again");
            assertSame(second, Arena.floats(N));
            assertNotSame(first, Arena.floats(N), "a third array of the length is new");
            assertEquals(0, first[3]);
            assertEquals(0, second[5]);
        }
        assertEquals(3L * 4 * N, a.bytes());
    }

    @Test
    void uninitializedArraysKeepTheirLastPassAndArePoisonedFromTheStart() {
        Arena a = new Arena();
        float[] f;
        try (Arena.Pass p = a.open()) {
            f = Arena.uninitialized(N);
            f[3] = 7;
        }
        try (Arena.Pass p = a.open()) {
            assertSame(f, Arena.uninitialized(N));
            assertEquals(7, f[3], "not zero-filled: its caller writes every entry");
        }
        Arena poisoned = Arena.poisoned();
        try (Arena.Pass p = poisoned.open()) {
            assertTrue(Float.isNaN(Arena.uninitialized(2)[1]), "NaN even when new, so that a skipped entry shows");
            assertEquals(0, Arena.floats(2)[1], "zero-filled ones stay zero");
        }
        try (Arena.Pass p = poisoned.open()) {
            assertTrue(Float.isNaN(Arena.uninitialized(2)[0]));
            assertEquals(0, Arena.floats(2)[0]);
        }
        assertEquals(0, Arena.uninitialized(N)[0], "outside a pass an array is new");
    }

    @Test
    void outsidePassesAndBelowTheThresholdArraysAreNew() {
        Arena a = new Arena();
        float[] outside = Arena.floats(N);
        try (Arena.Pass p = a.open()) {
            Arena.floats(N - 1);
        }
        assertEquals(0, a.bytes(), "small arrays are not kept");
        try (Arena.Pass p = a.open()) {
            assertNotSame(outside, Arena.floats(N));
        }
        assertEquals(4L * N, a.bytes());
    }

    @Test
    void lengthsTheLastTwoPassesDidNotTakeAreDropped() {
        Arena a = new Arena();
        try (Arena.Pass p = a.open()) {
            Arena.floats(N);
        }
        try (Arena.Pass p = a.open()) {
            Arena.floats(2 * N);
        }
        assertEquals(4L * 3 * N, a.bytes(), "both lengths after two passes");
        try (Arena.Pass p = a.open()) {
            Arena.floats(2 * N);
        }
        assertEquals(4L * 2 * N, a.bytes(), "the first length, untaken for two passes, is gone");
    }

    @Test
    void poisonedArraysAreNanAfterTheirPassAndOnePassAtATime() {
        Arena a = Arena.poisoned();
        float[] f;
        try (Arena.Pass p = a.open()) {
            f = Arena.floats(1);
            assertThrows(IllegalStateException.class, a::open);
            assertThrows(IllegalStateException.class, a::release);
        }
        assertTrue(Float.isNaN(f[0]), "a poisoned array after its pass");
        a.release();
        assertEquals(0, a.bytes());
    }
}
