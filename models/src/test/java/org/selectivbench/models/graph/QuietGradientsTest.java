package org.selectivbench.models.graph;

import org.selectivbench.models.*;
import org.selectivbench.models.modules.ParamStore;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Only SameDiff's per-op lines are dropped while a gradient function is created; other output passes. */
class QuietGradientsTest {
    @Test
    void dropsOnlyTheNoise() {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        PrintStream target = new PrintStream(sink, true, StandardCharsets.UTF_8);
        PrintStream filtered = new PrintStream(new QuietGradients.LineFilter(target), true, StandardCharsets.UTF_8);
        filtered.println("Added differentiated op multiply");
        filtered.printf("[6/49 done, 0 failed] run ok%n");
        filtered.println("Added differentiated op reshape_2");
        filtered.print("no newline yet");
        filtered.flush();
        assertEquals("[6/49 done, 0 failed] run ok" + System.lineSeparator() + "no newline yet",
                sink.toString(StandardCharsets.UTF_8));
    }
}
