package org.selectivbench.models.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SimdTest {
    @Test
    void testsRunWithTheKernelsTrapLimit() {
        // the tests' JVMs take the launcher's options (pom.xml's test.jvm): the numbers are the same either
        // way, but a kernel tested with its vectors as objects is not the kernel users run
        assertTrue(Simd.on(), "the tests run with the Vector API module");
        assertTrue(Simd.trapLimit() >= Simd.TRAP_LIMIT, "-XX:PerMethodTrapLimit=" + Simd.trapLimit());
        assertTrue(Simd.recompilationCutoff() >= Simd.RECOMPILATION_CUTOFF,
                "-XX:PerMethodRecompilationCutoff=" + Simd.recompilationCutoff());
        assertEquals("on, " + String.join(" ", Simd.OPTIONS), Simd.describe());
    }

    @Test
    void aLowTrapLimitIsNamed() {
        assertEquals("off", Simd.describe(false, 100, 400));
        String low = Simd.describe(true, 100, 100_000);
        assertTrue(low.startsWith("on, -XX:PerMethodTrapLimit=100 -XX:PerMethodRecompilationCutoff=100000 (below"),
                low);
        assertTrue(Simd.describe(true, 100_000, 400).contains("(below"), "the JVM's default cutoff is named too");
        assertEquals("on", Simd.describe(true, -1, -1), "not HotSpot: nothing to say");
    }
}
