package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/nightly, the documented cron line's wrapper: a clean night is silent, any other says what happened. */
class NightlyScriptTest {
    @TempDir
    Path tmp;

    private record Ran(int exit, String out) {
    }

    private Ran nightly(String script) throws Exception {
        Process p = new ProcessBuilder(List.of("../bin/nightly", tmp.toString(), "--", "sh", "-c", script))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Ran(p.waitFor(), out);
    }

    @Test
    void cronMailSaysWhatHappened() throws Exception {
        Ran regression = nightly("echo 'lots of Spark output'; echo 'alarm: sweep n ended regression (exit 4)';"
                + " echo 'alarm:   regression [gla, task1]: 0.8 -> 0.7'; exit 4");
        assertEquals(4, regression.exit());
        assertTrue(regression.out().contains("REGRESSION against the previous night (exit 4)"), regression.out());
        assertTrue(regression.out().contains("alarm:   regression [gla, task1]"), regression.out());
        assertFalse(regression.out().contains("lots of Spark output"), "the log stays in the log file");
        try (var logs = Files.list(tmp)) {
            assertTrue(Files.readString(logs.findFirst().orElseThrow()).contains("lots of Spark output"));
        }
        Ran clean = nightly("echo 'all good'; exit 0");
        assertEquals(0, clean.exit());
        assertEquals("", clean.out(), "a clean night sends no mail");
        Ran noBaseline = nightly("exit 5");
        assertTrue(noBaseline.out().contains("no earlier night of this config"), noBaseline.out());
    }
}
