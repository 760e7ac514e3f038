package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.selectivbench.models.ops.Kernels;

/** Grid points that cannot fit a run's memory are refused at plan, naming them; the budget's sources. */
class RunMemoryTest {
    private static final long GIB = 1L << 30;

    private static Config load(String conf, String... sets) {
        return Settings.load(conf == null ? null : new File("../conf", conf), List.of(sets));
    }

    @Test
    void aWidthTooLargeIsRefusedBeforeAnyWorkNamingItsGridPoint(@TempDir Path dir) {
        Path root = dir.resolve("out");
        Config sb = load("local.conf", "output-root=" + root, "grid.widths=[32, 512]", "grid.layers=[4]",
                "sweep.memory-per-run=2g");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SweepCommand.validate(sb));
        String m = e.getMessage();
        assertTrue(m.startsWith("sweep.memory-per-run: "), m);
        assertTrue(m.contains("2.00 GiB (sweep.memory-per-run = 2g)"), m);
        // which models' workspaces pass 2 GiB at width 512 moves with the engine (the Transformer's went to
        // the Java heap with its float path); the message names each grid point it refuses
        assertTrue(m.contains("(setting paper, grammar V11-A10-D4, width 512, layers 4)"), m);
        assertFalse(m.contains("width 32,"), "width 32 fits: " + m);
        assertTrue(m.contains("train.micro-batch-size"), "says what to change: " + m);
        assertFalse(Files.exists(root), "nothing was written");
        // the same grid with room for it plans
        SweepCommand.validate(load("local.conf", "output-root=" + root, "grid.widths=[32, 512]", "grid.layers=[4]",
                "sweep.memory-per-run=1t"));
    }

    @Test
    void microBatchesAndEvaluationRowsBringARunUnderItsBudget() {
        String[] big = {"grid.tasks=[task2]", "grid.models=[gated_delta_net]", "grid.widths=[512]", "grid.layers=[8]",
                "sweep.memory-per-run=1500m"};
        SettingsTest.assertError("task2 gated_delta_net", () -> SweepCommand.validate(load("local.conf", big)));
        String[] pieces = java.util.Arrays.copyOf(big, big.length + 2);
        pieces[big.length] = "train.micro-batch-size=4";
        pieces[big.length + 1] = "train.eval-rows=1024";
        SweepCommand.validate(load("local.conf", pieces));
    }

    @Test
    void theClusterPresetsNeedMoreThanALaptopAtBatch64() {
        Config nightly = load("nightly.conf", "sweep.memory-per-run=3g");
        SettingsTest.assertError("task1 mamba (setting paper, grammar V41-A40-D40, width 256, layers 8)",
                () -> SweepCommand.validate(nightly));
        // the first 12 are listed and the rest counted (how many depends on the calibrated estimate)
        String m = assertThrows(IllegalArgumentException.class, () -> SweepCommand.validate(nightly)).getMessage();
        Matcher n = Pattern.compile("(\\d+) grid point\\(s\\) need more").matcher(m);
        assertTrue(n.find() && Integer.parseInt(n.group(1)) > 12, m);
        assertTrue(m.contains("\n  ... and " + (Integer.parseInt(n.group(1)) - 12) + " more\n"), m);
        assertEquals(12, m.lines().filter(l -> l.startsWith("  task")).count(), m);
    }

    @Test
    void theEmbeddedDefaultFitsItsOwnBudget() {
        Config local = load("local.conf");
        SweepPlan plan = SweepCommand.validate(local);
        RunSpec run = plan.trainingRuns().get(0);
        long need = RunMemory.estimate(run, Kernels.JAVA).totalBytes();
        assertTrue(need > 0 && need < RunMemory.budget(local, new SparkConf().setMaster("local[2]")).orElseThrow()
                .bytes(), "need " + need);
    }

    @Test
    void budgetComesFromTheSettingOrTheCapSharedByConcurrentRuns() {
        Config sb = load(null, "sweep.cores-per-run=2");
        assertEquals(4 * GIB, RunMemory.budget(load(null, "sweep.memory-per-run=4g"), new SparkConf()).orElseThrow()
                .bytes());
        // local: JavaCPP's cap (the test JVM's -D...maxbytes=3g, pom.xml) over local[4] / 2 cores per run
        String cap = System.getProperty(RunMemory.MAXBYTES);
        assertEquals("3g", cap, "the test JVM's cap (pom.xml test.jvm)");
        assertEquals(3 * GIB / 2, RunMemory.budget(sb, new SparkConf().setMaster("local[4]")).orElseThrow().bytes());
        assertEquals(3 * GIB, RunMemory.budget(sb, new SparkConf().setMaster("local[2]")).orElseThrow().bytes());
        // CPU executors: their cap over the runs an executor holds at once
        SparkConf cluster = new SparkConf().setMaster("spark://m:7077").set("spark.executor.cores", "8")
                .set("spark.executor.extraJavaOptions", "-Xss4m -D" + RunMemory.MAXBYTES + "=16g -Dx=y");
        RunMemory.Budget b = RunMemory.budget(sb, cluster).orElseThrow();
        assertEquals(4 * GIB, b.bytes());
        assertTrue(b.source().contains("4 concurrent run(s) per executor"), b.source());
        assertEquals(2 * GIB, RunMemory.budget(sb, new SparkConf().setMaster("yarn").set("spark.executor.memory", "4g")
                .set("spark.executor.cores", "4")).orElseThrow().bytes());
        // GPU executors: the driver cannot see their memory
        assertTrue(RunMemory.budget(sb, cluster.clone().set("spark.executor.resource.gpu.amount", "1")).isEmpty());
        assertEquals(Kernels.ND4J, RunMemory.form(SweepCommand.validate(load("local.conf")).trainingRuns().get(0),
                cluster.clone().set("spark.executor.resource.gpu.amount", "1")));
    }

    @Test
    void aBadBudgetNamesTheKey() {
        SettingsTest.assertError("sweep.memory-per-run", () -> SweepCommand.validate(load("local.conf",
                "sweep.memory-per-run=lots")));
        SettingsTest.assertError("sweep.memory-per-run", () -> SweepCommand.validate(load("local.conf",
                "sweep.memory-per-run=0")));
    }
}
