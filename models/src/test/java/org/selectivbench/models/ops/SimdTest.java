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
        assertEquals("on, -XX:PerMethodTrapLimit=" + Simd.trapLimit(), Simd.describe());
    }

    @Test
    void aLowTrapLimitIsNamed() {
        assertEquals("off", Simd.describe(false, 100));
        String low = Simd.describe(true, 100);
        assertTrue(low.startsWith("on, -XX:PerMethodTrapLimit=100 (below 100000:"), low);
        assertEquals("on", Simd.describe(true, -1), "not HotSpot: nothing to say");
    }
}
