package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.selectivbench.data.DatasetSpec;
import org.selectivbench.data.DatasetStore;

/** Run records and the output root: idempotent rows, the lock, sweep ids, speculation, sound dataset commits. */
class RunRecordsTest {
    @TempDir
    Path tmp;

    private Config tiny(Path out, String... extra) {
        List<String> s = new java.util.ArrayList<>(SweepJobTest.tiny(out, "grid.tasks=[task1]", "grid.seeds=[1]",
                "grid.learning-rates=[1e-3]"));
        s.addAll(List.of(extra));
        return Settings.load(null, s);
    }

    @Test
    void anAttemptThatFindsItsRunOkReturnsItAndNothingReplacesAnOkRow() throws Exception {
        Config sb = tiny(tmp.resolve("out"));
        RunSpec run = new SweepPlan(sb).trainingRuns().get(0);
        String root = sb.getString("output-root");
        ResultStore store = new ResultStore(root, "test", new Configuration());
        RunExecutor.Outcome o = new RunExecutor.Outcome(10, 0.9, 0.95, 4, 1, 4, 100, "fake", "fake", List.of());
        store.write(RunTask.succeeded("test", run, o, new double[] {0.1, 0.2, 1.0}, "cpu", "{}"));

        Path log = tmp.resolve("log");
        String line = RunTask.execute(run, "test", root, "{}", new HadoopConf(new Configuration()),
                new FakeExecutor(log, Set.of(), 0));
        assertTrue(line.contains("ok: accuracy 0.9000") && line.contains("recorded by an earlier attempt"), line);
        assertEquals(List.of(), FakeExecutor.executions(log), "not trained again");

        ResultStore.Recorded kept = store.write(RunTask.failed("test", run, "executor lost", "unknown", "{}"));
        assertTrue(kept.ok(), "a failure does not replace an ok row");
        assertTrue(store.read(run.runId()).orElseThrow().ok());
        store.replace(RunTask.failed("test", run, "retrained on purpose", "cpu", "{}"));
        assertEquals("retrained on purpose", store.read(run.runId()).orElseThrow().failure(), "train replaces");
        try (var files = Files.list(tmp.resolve("out/sweeps/test/runs"))) {
            assertEquals(List.of(run.runId() + ".parquet"), files.map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith(".")).toList(), "no temporary file left in place of the row");
        }
    }

    @Test
    void aSecondWriterIsRefusedNamingTheHolderAndADeadHoldersLockIsTakenOver() throws Exception {
        Path out = tmp.resolve("out");
        Config sb = tiny(out);
        try (OutputLock held = OutputLock.acquire(sb.getString("output-root"), new Configuration(), "sweep other")) {
            OutputLock.Held e = assertThrows(OutputLock.Held.class, () -> new SweepJob(LocalSpark.get(), sb,
                    new FakeExecutor(tmp.resolve("l"), Set.of(), 0)).run(new SweepPlan(sb)));
            assertTrue(e.getMessage().contains("is in use by sweep other (pid " + ProcessHandle.current().pid()),
                    e.getMessage());
            assertFalse(Files.exists(out.resolve("sweeps/test/runs")), "refused before any work");
        }
        assertFalse(Files.exists(out.resolve(OutputLock.FILE)), "released");
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Files.writeString(out.resolve(OutputLock.FILE), "{holder = \"sweep killed\", host = \""
                + java.net.InetAddress.getLocalHost().getHostName() + "\", pid = " + gone.pid()
                + ", process-start = \"\", since = \"2026-01-01T00:00:00Z\", token = x}");
        SweepJob.Summary s = new SweepJob(LocalSpark.get(), sb, new FakeExecutor(tmp.resolve("l"), Set.of(), 0))
                .run(new SweepPlan(sb));
        assertEquals(2, s.succeeded(), "a dead holder's lock is taken over");
        assertFalse(Files.exists(out.resolve(OutputLock.FILE)));
    }

    @Test
    void aSweepIdUsedForAnotherConfigIsRefused() throws Exception {
        Path out = tmp.resolve("out");
        Config first = tiny(out);
        new SweepJob(LocalSpark.get(), first, new FakeExecutor(tmp.resolve("l"), Set.of(), 0)).run(new SweepPlan(first));
        Config other = tiny(out, "train.clip=0.5");
        SettingsTest.assertError("sweep.id = test was used for another config", () -> SweepCommand.validate(other));
        SettingsTest.assertError("sweep.id = test was used for another config", () -> {
            try {
                new SweepJob(LocalSpark.get(), other, new FakeExecutor(tmp.resolve("l"), Set.of(), 0))
                        .run(new SweepPlan(other));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        SweepCommand.validate(tiny(out, "sweep.cores-per-run=2")); // scheduling is not part of the config
    }

    @Test
    void speculationIsRefusedForSweeps() {
        SettingsTest.assertError("spark.speculation = true", () -> SweepJob.checkSpeculation(
                new SparkConf().set("spark.speculation", "true")));
        SweepJob.checkSpeculation(new SparkConf());
    }

    /** A split commits only with the rows its manifest will state; a damaged complete split is set aside and redone. */
    @Test
    void datasetSplitsCommitOnlyWholeAndDamagedOnesAreRedone() throws Exception {
        Config sb = tiny(tmp.resolve("data"));
        DatasetPlan plan = new DatasetPlan(sb);
        DatasetSpec ds = plan.datasets().values().iterator().next();
        DatasetSpec.SplitSpec train = ds.splits().get(0);
        DatasetStore store = new DatasetStore(sb.getString("output-root"), new Configuration());
        org.selectivbench.data.ExampleGenerator gen = new org.selectivbench.data.ExampleGenerator(
                GenerateJob.grammar(ds), ds.task(), ds.data());
        store.writePart(gen, ds, train, 0, 0, ds.data().trainExamples() - 1); // one example short
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> store.commit(ds, train, 1,
                java.util.Map.of()));
        assertTrue(e.getMessage().contains("hold " + (ds.data().trainExamples() - 1) + " rows"), e.getMessage());
        assertFalse(store.isComplete(store.splitDir(ds, "train")));

        new GenerateJob(LocalSpark.get(), sb).run(plan);
        Path part = Path.of(store.splitDir(ds, "train").toUri()).resolve(DatasetStore.partName(0));
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(part.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        assertNotNull(store.damage(store.splitDir(ds, "train")));
        GenerateJob.Summary again = new GenerateJob(LocalSpark.get(), sb).run(plan);
        assertEquals(1, again.splitsWritten(), "the damaged split is written again");
        assertNull(store.damage(store.splitDir(ds, "train")));
        assertTrue(Files.isDirectory(Path.of(store.datasetDir(ds).toUri()).resolve("_quarantine")));
    }
}
