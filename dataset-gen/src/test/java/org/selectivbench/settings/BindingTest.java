package org.selectivbench.settings;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The declaration mechanism itself: a record and its block must agree, values are strict, rendering reads back. */
class BindingTest {
    enum Fill { ZERO, NOISE }

    record Knobs(int width, double rate, Fill fill, List<Double> delays, long seed) {
    }

    static final Setting<Integer> WIDTH = Setting.of("width", Kind.INT, 8, Check.between(1, 64), "width");
    static final Block BLOCK = new Block("knobs", "test", List.of(WIDTH,
            Setting.of("rate", Kind.DOUBLE, 0.5, Check.interval(0, false, 1, true), "rate"),
            Setting.of("fill", Kind.STRING, "zero", Check.oneOf(List.of("zero", "noise")), "fill"),
            Setting.of("delays", Kind.listOf(Kind.DOUBLE), List.of(), Check.each(Check.atLeast(0)), "delays")));

    @Test
    void readsChecksAndRendersARecord() {
        Binding<Knobs> b = Binding.of(Knobs.class, BLOCK, Map.of(), List.of("seed"), List.of());
        Knobs k = b.read(ConfigFactory.parseString("width = 16, fill = noise, delays = [1, 2.5]"), "knobs", 7L);
        assertEquals(new Knobs(16, 0.5, Fill.NOISE, List.of(1.0, 2.5), 7), k);
        assertEquals(k, b.read(ConfigFactory.parseString(b.render(k)), "knobs", 7L), "render reads back");
        assertFalse(b.render(k).contains("seed"), "caller-supplied components are not settings");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> b.read(ConfigFactory.parseString("width = 65"), "knobs", 1L));
        assertEquals("knobs.width = 65: must be 1 to 64", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> b.read(ConfigFactory.parseString("width = 8.5"), "knobs", 1L));
        assertEquals("knobs.width = 8.5: expected an integer", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> b.read(ConfigFactory.parseString("delays = [1, x]"), "knobs", 1L));
        assertTrue(e.getMessage().contains("element 1 is not a number"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> b.read(ConfigFactory.parseString("wdith = 8"), "knobs", 1L));
        assertTrue(e.getMessage().contains("did you mean knobs.width for wdith"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> b.validate("knobs", 0, 0.5, Fill.ZERO, List.of(), 1L));
        assertEquals("knobs.width = 0: must be 1 to 64", e.getMessage());
    }

    @Test
    void aComponentWithoutADeclarationOrADeclarationWithoutAComponentFails() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Binding.of(Knobs.class, BLOCK, Map.of(), List.of(), List.of()));
        assertTrue(e.getMessage().contains("Knobs.seed has no declared setting"), e.getMessage());
        Block extra = new Block("knobs", "test", List.of(WIDTH, Setting.of("depth", Kind.INT, 1, Check.any(), "d")));
        record Small(int width) {
        }
        e = assertThrows(IllegalStateException.class, () -> Binding.of(Small.class, extra, Map.of(), List.of(), List.of()));
        assertTrue(e.getMessage().contains("no component for them"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> Setting.of("w", Kind.INT, 0, Check.atLeast(1), "a bad default"));
    }
}
