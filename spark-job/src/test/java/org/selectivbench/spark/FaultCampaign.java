package org.selectivbench.spark;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Drives a tiny sweep (task 1 and task 4 with its task-2 training runs, FakeExecutor-like runs)
 * through faults and counts what a sweep must never do: runs lost (recorded ok, then not; or not
 * done after a clean resume), duplicated (executed again after being recorded ok, or two rows) and
 * mislabelled (a row that is not its run's result, or a failure that is not the run's own). Each
 * round uses a fresh output root, injects its fault, then resumes cleanly and checks.
 *
 * <p>Faults: the driver killed at a random point (SIGKILL or SIGINT, as Ctrl-C) and resumed;
 * executor JVMs killed while runs execute (Spark local-cluster mode); a file system whose writes
 * fail at random ({@link FaultyFileSystem}); Parquet files damaged between runs; two sweeps started
 * on one root at once.
 */
final class FaultCampaign {
    /** What a campaign found; the three counts must be 0. */
    static final class Figures {
        final Map<String, Integer> faults = new LinkedHashMap<>();
        int lost;
        int duplicated;
        int mislabelled;
        int rounds;
        int quarantined;
        final List<String> problems = new ArrayList<>();

        int faultsTried() {
            return faults.values().stream().mapToInt(Integer::intValue).sum();
        }

        void fault(String kind, int n) {
            faults.merge(kind, n, Integer::sum);
        }

        String text() {
            return String.format("fault-injection campaign: %d rounds, %d faults tried %s; runs lost %d, duplicated %d,"
                            + " mislabelled %d; %d damaged files quarantined%s", rounds, faultsTried(), faults, lost,
                    duplicated, mislabelled, quarantined, problems.isEmpty() ? "" : "\n  " + String.join("\n  ",
                            problems));
        }
    }

    private final Path dir;
    private final Random random;
    final Figures figures = new Figures();
    private int roundNo;

    FaultCampaign(Path dir, long seed) {
        this.dir = dir;
        this.random = new Random(seed);
    }

    /** The tiny sweep: 4 task-1 runs, 4 task-2 runs and 4 task-4 evaluations of them. */
    static List<String> settings(String root, String... extra) {
        List<String> s = new ArrayList<>(SweepJobTest.tiny(Path.of("/unused"), "grid.tasks=[task1, task4]",
                "grid.learning-rates=[1e-3]", "tasks.task4.test-delays=[1.0]"));
        s.set(0, "output-root=\"" + root + "\"");
        s.addAll(List.of(extra));
        return s;
    }

    /** One round's output root and log. */
    private record Round(String kind, String root, Path log, Config sb, SweepPlan plan, Set<String> destroyed,
                         Set<String> everOk) {
    }

    private Round round(String kind, String scheme) throws IOException {
        Path d = dir.resolve(kind + "-" + (roundNo++));
        Files.createDirectories(d);
        String root = scheme + "://" + d.resolve("out").toAbsolutePath();
        Config sb = Settings.load(null, settings(root));
        figures.rounds++;
        return new Round(kind, root, d.resolve("executions.log"), sb, new SweepPlan(sb), new HashSet<>(), new HashSet<>());
    }

    // ---------------------------------------------------------------- faults

    /** Kills a sweep's driver at a random point, {@code kills} times, then resumes. */
    void driverKills(int kills) throws Exception {
        Round r = round("driver", "file");
        for (int k = 0; k < kills; k++) {
            // runs of 0.8 s: the child's sweep takes about 10 s, so a kill within that lands anywhere
            // from Spark's start through generation and the runs to the end
            Process child = childSweep(r, 800);
            long at = 500 + random.nextInt(9_500);
            boolean interrupt = random.nextBoolean();
            if (!child.waitFor(at, TimeUnit.MILLISECONDS)) {
                if (interrupt) {
                    new ProcessBuilder("kill", "-INT", String.valueOf(child.pid())).start().waitFor();
                    if (!child.waitFor(60, TimeUnit.SECONDS)) {
                        figures.problems.add("driver did not stop within 60 s of SIGINT");
                    }
                }
                child.destroyForcibly().waitFor();
                figures.fault(interrupt ? "driver SIGINT" : "driver SIGKILL", 1);
            }
            check(r, Set.of());
        }
        finish(r);
    }

    /** Kills executor JVMs while runs execute (local-cluster mode: a standalone worker with two executors). */
    void executorKills(int kills) throws Exception {
        Round r = round("executor", "file");
        LocalSpark.stop();
        SparkSession cluster = LocalClusterSessions.start(dir, "spark.task.maxFailures", "4");
        try {
            Throwable[] failure = new Throwable[1];
            Thread sweep = new Thread(() -> {
                try {
                    new SweepJob(cluster, r.sb(), new CountingExecutor(r.log(), 1000)).run(r.plan());
                } catch (Throwable t) {
                    failure[0] = t;
                }
            });
            sweep.start();
            int done = 0;
            while (sweep.isAlive() && done < kills) {
                Thread.sleep(300 + random.nextInt(1500));
                if (CountingExecutor.lines(r.log()).isEmpty()) {
                    continue; // runs have not started: datasets are being written
                }
                List<ProcessHandle> executors = ProcessHandle.current().descendants()
                        .filter(p -> commandLine(p).contains("CoarseGrainedExecutorBackend"))
                        .filter(ProcessHandle::isAlive).toList();
                if (executors.isEmpty()) {
                    figures.problems.add("no executor JVM to kill among " + ProcessHandle.current().descendants()
                            .count() + " child processes");
                    break;
                }
                if (sweep.isAlive()) {
                    executors.get(random.nextInt(executors.size())).destroyForcibly();
                    done++;
                }
            }
            sweep.join(TimeUnit.MINUTES.toMillis(5));
            figures.fault("executor killed", done);
            if (failure[0] != null) {
                figures.problems.add("the sweep with killed executors crashed: " + failure[0]);
            }
        } finally {
            cluster.stop();
        }
        check(r, Set.of("Spark task failed"));
        finish(r);
    }

    /** Writes fail at random ({@code rate} per create, rename and mkdirs) until a sweep gets through. */
    void failingWrites(double rate) throws Exception {
        Round r = round("filesystem", "faulty");
        long before = FaultyFileSystem.INJECTED.get();
        FaultyFileSystem.failureRate = rate;
        try {
            for (int attempt = 0; attempt < 8; attempt++) {
                try {
                    new SweepJob(LocalSpark.get(), r.sb(), new CountingExecutor(r.log(), 0)).run(r.plan());
                    break;
                } catch (Exception e) {
                    // a write the sweep could not do without: it stops, and the next attempt resumes
                } finally {
                    FaultyFileSystem.failureRate = rate;
                }
                check(r, Set.of("injected fault"));
            }
        } finally {
            FaultyFileSystem.failureRate = 0;
        }
        figures.fault("write failed", (int) (FaultyFileSystem.INJECTED.get() - before));
        check(r, Set.of("injected fault"));
        finish(r);
    }

    /** Damages {@code files} Parquet files (run rows, curves, dataset parts) of a finished sweep, then resumes. */
    void corruptedFiles(int files) throws Exception {
        Round r = round("corrupt", "file");
        new SweepJob(LocalSpark.get(), r.sb(), new CountingExecutor(r.log(), 0)).run(r.plan());
        check(r, Set.of());
        Path out = Path.of(java.net.URI.create(r.root()));
        List<Path> candidates;
        try (Stream<Path> s = Files.walk(out)) {
            candidates = s.filter(p -> p.getFileName().toString().endsWith(".parquet")
                    && !p.getFileName().toString().startsWith(".") && !p.toString().contains("_quarantine")
                    && (p.toString().contains("/runs/") || p.toString().contains("/curves/")
                    || p.getFileName().toString().startsWith("part-"))).sorted().collect(Collectors.toList());
        }
        for (int i = 0; i < files && !candidates.isEmpty(); i++) {
            Path victim = candidates.remove(random.nextInt(candidates.size()));
            boolean dataset = victim.getFileName().toString().startsWith("part-");
            try (RandomAccessFile f = new RandomAccessFile(victim.toFile(), "rw")) {
                if (dataset || random.nextBoolean()) {
                    f.setLength(f.length() / 2); // a torn write: the footer is gone
                } else {
                    f.seek(f.length() / 3);
                    f.write(new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef});
                }
            }
            if (!dataset) {
                String name = victim.getFileName().toString();
                r.destroyed().add(name.substring(0, name.length() - ".parquet".length()));
            }
            figures.fault("file damaged", 1);
        }
        r.everOk().removeAll(r.destroyed());
        finish(r);
    }

    /** Starts two sweeps on one root at the same moment: one must be refused (or find the other's work done). */
    void twoSweeps() throws Exception {
        Round r = round("two-sweeps", "file");
        CountDownLatch go = new CountDownLatch(1);
        List<Throwable> outcomes = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> sweeps = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Thread t = new Thread(() -> {
                try {
                    go.await();
                    new SweepJob(LocalSpark.get(), r.sb(), new CountingExecutor(r.log(), 200)).run(r.plan());
                    outcomes.add(null);
                } catch (Throwable e) {
                    outcomes.add(e);
                }
            });
            t.start();
            sweeps.add(t);
        }
        go.countDown();
        for (Thread t : sweeps) {
            t.join(TimeUnit.MINUTES.toMillis(5));
        }
        figures.fault("second sweep on one root", 1);
        long refused = outcomes.stream().filter(e -> e instanceof OutputLock.Held).count();
        long other = outcomes.stream().filter(e -> e != null && !(e instanceof OutputLock.Held)).count();
        if (other > 0 || refused > 1) {
            figures.problems.add("two sweeps: " + outcomes);
        }
        check(r, Set.of());
        finish(r);
    }

    // ---------------------------------------------------------------- checks

    /**
     * After a faulty step: a run once recorded ok is still ok (unless the injector destroyed its
     * file), and every failed row names a fault of this round ({@code allowedFailures}).
     */
    private void check(Round r, Set<String> allowedFailures) throws IOException {
        if (r.root().startsWith("faulty")) {
            double rate = FaultyFileSystem.failureRate;
            FaultyFileSystem.failureRate = 0;
            try {
                checkRows(r, allowedFailures);
            } finally {
                FaultyFileSystem.failureRate = rate;
            }
        } else {
            checkRows(r, allowedFailures);
        }
    }

    private void checkRows(Round r, Set<String> allowedFailures) throws IOException {
        ResultStore store = new ResultStore(r.root(), "test", new Configuration());
        Map<String, ResultStore.Recorded> rows = store.scan();
        for (String id : r.everOk()) {
            if (!r.destroyed().contains(id) && !(rows.containsKey(id) && rows.get(id).ok())) {
                figures.lost++;
                figures.problems.add(r.kind() + ": " + id + " was recorded ok and is not any more");
            }
        }
        for (ResultStore.Recorded row : rows.values()) {
            if (row.ok()) {
                r.everOk().add(row.runId());
            } else if (!ownFault(row, rows, allowedFailures)) {
                figures.mislabelled++;
                figures.problems.add(r.kind() + ": " + row.runId() + " recorded as failed for no fault of its own: "
                        + row.failure());
            }
        }
    }

    /**
     * A failed row names a fault of the round, or it is a task-4 evaluation whose training run
     * failed (or has no row) when it was recorded: "training run T did not succeed" was then true
     * (T may have succeeded in a later attempt; the evaluation then runs again on the next resume).
     */
    private static boolean ownFault(ResultStore.Recorded row, Map<String, ResultStore.Recorded> rows,
                                    Set<String> allowedFailures) {
        if (allowedFailures.stream().anyMatch(row.failure()::contains)) {
            return true;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^training run (\\S+) did not succeed$")
                .matcher(row.failure());
        if (!m.matches() || allowedFailures.isEmpty()) {
            return false;
        }
        ResultStore.Recorded trainer = rows.get(m.group(1));
        return trainer == null || !trainer.ok() || trainer.finishedAtMillis() > row.finishedAtMillis();
    }

    /** Resumes without faults, then checks every planned run has one row that is its own result. */
    private void finish(Round r) throws Exception {
        new SweepJob(LocalSpark.get(), r.sb(), new CountingExecutor(r.log(), 0)).run(r.plan());
        checkRows(r, Set.of());
        figures.quarantined += quarantined(Path.of(java.net.URI.create(r.root().replace("faulty:", "file:"))));
        Map<String, RunSpec> planned = new HashMap<>();
        r.plan().trainingRuns().forEach(x -> planned.put(x.runId(), x));
        r.plan().evaluationRuns().forEach(x -> planned.put(x.runId(), x));
        ResultStore store = new ResultStore(r.root(), "test", new Configuration());
        List<Row> rows = LocalSpark.get().read().parquet(store.runsDir().toString())
                .select("run_id", "status", "final_accuracy", "task", "model", "seed").collectAsList();
        Map<String, Integer> count = new HashMap<>();
        for (Row row : rows) {
            String id = row.getString(0);
            count.merge(id, 1, Integer::sum);
            RunSpec run = planned.get(id);
            if (run == null || !"ok".equals(row.getString(1)) || row.getDouble(2) != FakeExecutor.accuracy(run)
                    || !run.task().equals(row.getString(3)) || !run.model().equals(row.getString(4))
                    || run.seed() != row.getLong(5)) {
                figures.mislabelled++;
                figures.problems.add(r.kind() + ": row " + row + " is not the result of its run");
            }
        }
        for (String id : planned.keySet()) {
            if (!count.containsKey(id)) {
                figures.lost++;
                figures.problems.add(r.kind() + ": " + id + " has no row after a clean resume");
            }
        }
        for (Map.Entry<String, Integer> e : count.entrySet()) {
            if (e.getValue() > 1) {
                figures.duplicated += e.getValue() - 1;
                figures.problems.add(r.kind() + ": " + e.getKey() + " has " + e.getValue() + " rows");
            }
        }
        List<String> log = CountingExecutor.lines(r.log());
        Set<String> completed = new HashSet<>();
        for (String line : log) {
            if (line.startsWith("dup ")) {
                figures.duplicated++;
                figures.problems.add(r.kind() + ": " + line.substring(4) + " was executed again after it was"
                        + " recorded ok");
            } else if (line.startsWith("done ")) {
                completed.add(line.substring(5));
            }
        }
        for (String id : count.keySet()) {
            if (!completed.contains(id)) {
                figures.mislabelled++;
                figures.problems.add(r.kind() + ": " + id + " has a row but never completed");
            }
        }
    }

    /** A process's whole command line (ProcessHandle's is cut at 4 KB, before a JVM's main class). */
    static String commandLine(ProcessHandle p) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", String.valueOf(p.pid()), "cmdline")),
                    java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            return p.info().commandLine().orElse("");
        }
    }

    /** Files set aside under {@code _quarantine} folders: run rows and curves, and dataset splits. */
    static int quarantined(Path out) throws IOException {
        try (Stream<Path> files = Files.walk(out)) {
            return (int) files.filter(p -> {
                String name = p.getFileName().toString();
                Path parent = p.getParent();
                boolean split = Files.isDirectory(p) && name.startsWith("split=")
                        && parent.getFileName().toString().equals("_quarantine");
                boolean row = Files.isRegularFile(p) && !name.startsWith(".") && parent.getParent() != null
                        && parent.getParent().getFileName().toString().equals("_quarantine");
                return split || row;
            }).count();
        }
    }

    // ---------------------------------------------------------------- the driver in its own JVM

    private Process childSweep(Round r, long sleepMillis) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path")));
        cmd.addAll(List.of("--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
                "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED", FaultCampaign.class.getName(), r.root(),
                r.log().toString(), String.valueOf(sleepMillis)));
        Path out = r.log().resolveSibling("driver-" + System.nanoTime() + ".out");
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    }

    /** The child driver: runs the round's sweep on local[2] until it ends or is killed. */
    public static void main(String[] args) throws Exception {
        Config sb = Settings.load(null, settings(args[0]));
        new SweepJob(LocalSpark.get(), sb, new CountingExecutor(Path.of(args[1]), Long.parseLong(args[2])))
                .run(new SweepPlan(sb));
    }

    static Set<String> ids(List<RunSpec> runs) {
        return runs.stream().map(RunSpec::runId).collect(Collectors.toCollection(HashSet::new));
    }
}
