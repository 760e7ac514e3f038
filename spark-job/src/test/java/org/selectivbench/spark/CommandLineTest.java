package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The commands as a user runs them (minus the JVM launch): exit codes and what they print. */
class CommandLineTest {
    @TempDir
    Path tmp;

    private record Ran(int exit, String out, String err) {
    }

    private static Ran run(String... args) {
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cli = new CommandLine(new SelectivBench());
        cli.setErr(new java.io.PrintWriter(err, true));
        cli.setExecutionExceptionHandler(SelectivBench.BAD_INPUT);
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            int exit = cli.execute(args);
            return new Ran(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
        }
    }

    private String[] tiny(String command, String... extra) {
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of(command,
                "--set", "output-root=\"" + tmp.toUri() + "\"",
                "--set", "grammar={vocab=6, ambiguities=5, depth=2}",
                "--set", "data={elements=12, train-examples=32, test-examples=8, examples-per-file=100}",
                "--set", "grid={widths=[8], layers=[1], warmups=[1]}",
                "--set", "train={batch-size=16, eval-every=1, eval-batch-size=8}"));
        a.addAll(java.util.List.of(extra));
        return a.toArray(new String[0]);
    }

    @Test
    void trainPrintsItsCurveAndFinalAccuracy() {
        Ran r = run(tiny("train", "--set", "model=linear_attention", "--set", "task=task1"));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("final accuracy"), r.out());
        assertTrue(r.out().lines().filter(l -> l.matches("\\s+[12]\\s+.*")).count() == 2, "two curve points: " + r.out());
        assertTrue(Files.isDirectory(tmp.resolve("sweeps/train/runs")), "the run is recorded");
    }

    @Test
    void trainRefusesAGridOfSeveralRuns() {
        Ran r = run(tiny("train", "--set", "grid.tasks=[task1, task2]"));
        assertEquals(2, r.exit(), r.err() + r.out());
        assertTrue(r.err().contains("train runs one training run"), r.err());
    }

    @Test
    void planCountsRunsAndNamesBadKeys() {
        Ran ok = run("plan", "--conf", "../conf/task4.conf", "--set", "sweep.memory-per-run=1t");
        assertEquals(0, ok.exit(), ok.err());
        assertTrue(ok.out().contains("224 training run(s), 896 evaluation-only run(s)"), ok.out());
        assertTrue(ok.out().contains("memory: largest run: task2 "), ok.out());
        // a paper preset on this machine's memory: refused as bad input, naming what does not fit
        Ran big = run("plan", "--conf", "../conf/task4.conf");
        assertEquals(2, big.exit(), big.err());
        assertTrue(big.err().contains("error: sweep.memory-per-run: ") && big.err().contains("task2 mamba (setting"),
                big.err());
        Ran bad = run("plan", "--set", "model.widht=3");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("widht"), bad.err());
    }

    @Test
    void benchWritesFigures() throws Exception {
        Path out = tmp.resolve("bench.txt");
        Ran r = run("bench", "--models", "linear_attention", "--batch", "2", "--steps", "16", "--width", "8",
                "--layers", "1", "--classes", "11", "--vocab", "6", "--reps", "2", "--warmup-seconds", "1", "--engines", "fused,graph",
                "--threads", "1", "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        String text = Files.readString(out);
        assertTrue(text.contains("threads: ND4J ops 1, BLAS 1, Java kernels 1; OMP_NUM_THREADS="), text);
        assertTrue(text.contains("median of 2 timed steps after 3 untimed (and 1 s at least)"), text);
        for (String engine : new String[] {"fused", "graph"}) { // both engines side by side, with figures
            String line = text.lines().filter(l -> l.startsWith("linear_attention") && l.contains(" " + engine + " "))
                    .findFirst().orElseThrow(() -> new AssertionError(engine + " missing: " + text));
            String[] f = line.trim().split("\\s+");
            assertTrue(Double.parseDouble(f[2]) > 0 && Double.parseDouble(f[4]) > 0, line);
        }
    }
}
