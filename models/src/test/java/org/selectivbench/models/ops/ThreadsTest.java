package org.selectivbench.models.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The processor named in benchmark figures. */
class ThreadsTest {
    @Test
    void modelNameIsTheFirstProcessorsOrTheArchitecture() {
        List<String> cpuinfo = List.of("processor\t: 0", "vendor_id\t: GenuineIntel", "model\t\t: 167",
                "model name\t: Intel(R) Xeon(R) Processor", "processor\t: 1", "model name\t: Other");
        assertEquals("Intel(R) Xeon(R) Processor", Threads.modelName(cpuinfo));
        assertEquals(System.getProperty("os.arch") + " processor", Threads.modelName(List.of("model\t\t: 167")));
    }

    @Test
    void settingsNameTheProcessor() {
        assertTrue(Threads.describe().endsWith("cores visible (" + Threads.processor() + ")"), Threads.describe());
    }
}
