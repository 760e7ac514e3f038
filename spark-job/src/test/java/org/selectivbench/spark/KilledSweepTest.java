package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a sweep's JVM (SIGKILL) midway, then reruns the sweep: completed runs are kept and not
 * repeated, the rest complete, and no run has two rows. HdfsTest does the same on HDFS.
 */
class KilledSweepTest {
    @TempDir
    Path tmp;

    /** The sweep the child JVM runs under output root args[0]: slow runs, so that the kill lands midway. */
    public static void main(String[] args) throws Exception {
        Config sb = Settings.load(null, SweepJobTest.tiny(args[0], "grid.tasks=[task1]"));
        new SweepJob(LocalSpark.get(), sb, new FakeExecutor(Path.of(args[1]), Set.of(), 1500)).run(new SweepPlan(sb));
    }

    @Test
    void rerunAfterKillCompletesWhatIsMissing() throws Exception {
        ResultStore store = killMidwayAndRerun(tmp.resolve("out").toUri().toString(), tmp, new Configuration());
        File[] rows = Path.of(java.net.URI.create(store.runsDir().toString())).toFile()
                .listFiles((d, n) -> n.endsWith(".parquet") && !n.startsWith("."));
        assertEquals(new SweepPlan(Settings.load(null, SweepJobTest.tiny(tmp, "grid.tasks=[task1]"))).size(),
                rows.length);
    }

    /** Starts the sweep in a child JVM, kills it after three runs, reruns it here and checks the result. */
    static ResultStore killMidwayAndRerun(String root, Path tmp, Configuration hadoop) throws Exception {
        Path log = tmp.resolve("first.log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path")));
        cmd.addAll(List.of("--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
                "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED", KilledSweepTest.class.getName(),
                root, log.toString()));
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("child.out").toFile()).start();
        Config sb = Settings.load(null, SweepJobTest.tiny(root, "grid.tasks=[task1]"));
        SweepPlan plan = new SweepPlan(sb);
        ResultStore store = new ResultStore(root, "test", hadoop);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (store.completedRunIds().size() < 3) {
                assertTrue(child.isAlive(), "the sweep ended before it could be killed: "
                        + Files.readString(tmp.resolve("child.out")));
                assertTrue(System.nanoTime() < deadline, "no runs recorded in time");
                Thread.sleep(100);
            }
        } finally {
            child.destroyForcibly().waitFor();
        }
        List<String> kept = store.completedRunIds();
        assertTrue(kept.size() >= 3 && kept.size() < plan.size(), "killed midway: " + kept.size());

        Path rerunLog = tmp.resolve("rerun.log");
        SweepJob.Summary s = new SweepJob(LocalSpark.get(), sb, new FakeExecutor(rerunLog, Set.of(), 0)).run(plan);
        assertEquals(kept.size(), s.skipped());
        List<String> rerun = FakeExecutor.executions(rerunLog);
        assertEquals(plan.size() - kept.size(), rerun.size());
        assertTrue(rerun.stream().noneMatch(kept::contains), "completed runs are not repeated");
        assertEquals(plan.size(), new Aggregator(LocalSpark.get()).runs(store).count(), "one row per run");
        return store;
    }

    /**
     * Whether this process ignores SIGINT, as a child it starts will (a shell runs background jobs so):
     * bit 2 of SigIgn in /proc/self/status on Linux; elsewhere assumed not.
     */
    private static boolean sigintIgnored() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("SigIgn:")) {
                    return (Long.parseLong(line.substring("SigIgn:".length()).trim(), 16) & 2) != 0;
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            return false;
        }
        return false;
    }

    /** Starts the sweep of {@link #main} in a child JVM under {@code root}. */
    private static Process startChild(String root, Path log, Path out) throws java.io.IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path")));
        cmd.addAll(List.of("--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
                "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED", KilledSweepTest.class.getName(), root,
                log.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    }

    /**
     * Ctrl-C (SIGINT) midway: the runs that had not finished get no row (not failed ones), the
     * status file lists them as running or never started, the output root's lock is given back,
     * and a rerun does exactly those runs.
     */
    @Test
    void ctrlCLeavesTheSweepResumable() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(sigintIgnored(),
                "SIGINT is ignored here (the tests run as a background job), so the child would ignore it too");
        Path out = tmp.resolve("out");
        Process child = startChild(out.toUri().toString(), tmp.resolve("first.log"), tmp.resolve("child.out"));
        Config sb = Settings.load(null, SweepJobTest.tiny(out, "grid.tasks=[task1]"));
        SweepPlan plan = new SweepPlan(sb);
        ResultStore store = new ResultStore(out.toUri().toString(), "test", new org.apache.hadoop.conf.Configuration());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (store.completedRunIds().size() < 2) {
            assertTrue(child.isAlive(), "the sweep ended before it could be interrupted: "
                    + Files.readString(tmp.resolve("child.out")));
            assertTrue(System.nanoTime() < deadline, "no runs recorded in time");
            Thread.sleep(100);
        }
        new ProcessBuilder("kill", "-INT", String.valueOf(child.pid())).start().waitFor();
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the sweep did not stop on SIGINT");
        String printed = Files.readString(tmp.resolve("child.out"));
        assertTrue(printed.contains("sweep test stopped"), printed);

        java.util.Map<String, ResultStore.Recorded> rows = store.scan();
        assertTrue(rows.values().stream().allMatch(ResultStore.Recorded::ok), "no run is recorded as failed: " + rows);
        assertTrue(rows.size() < plan.size(), "stopped midway: " + rows.size());
        Config status = com.typesafe.config.ConfigFactory.parseFile(out.resolve("sweeps/test/" + SweepJob.STATUS)
                .toFile());
        assertEquals("interrupted", status.getString("state"));
        java.util.Set<String> unfinished = new java.util.HashSet<>(status.getStringList("never-started"));
        unfinished.addAll(status.getStringList("running-when-stopped"));
        java.util.Set<String> missing = new java.util.HashSet<>();
        plan.trainingRuns().forEach(r -> missing.add(r.runId()));
        missing.removeAll(rows.keySet());
        assertTrue(unfinished.containsAll(missing), "the status names every run without a row: " + unfinished);
        for (String r : unfinished) { // a run may finish while the application stops: it keeps its row
            assertTrue(!rows.containsKey(r) || rows.get(r).ok(), r);
        }
        assertFalse(status.getStringList("never-started").isEmpty(), "some runs never started");
        assertFalse(out.resolve(OutputLock.FILE).toFile().exists(), "the lock is given back");

        Path rerunLog = tmp.resolve("rerun.log");
        SweepJob.Summary s = new SweepJob(LocalSpark.get(), sb, new FakeExecutor(rerunLog, Set.of(), 0)).run(plan);
        assertEquals(missing.size(), s.succeeded());
        assertEquals(missing, new java.util.HashSet<>(FakeExecutor.executions(rerunLog)));
    }
}
