package org.selectivbench.spark;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.SparkSession;
import org.selectivbench.data.DatasetStore;
import org.selectivbench.data.HadoopFiles;

/**
 * {@code selectivbench sweep}: the whole benchmark as one Spark application. Datasets first (made or
 * found), then every training run as its own Spark job of one task, then the evaluation-only runs
 * (task 4) of the training runs that succeeded, then the summary.
 *
 * <p>One job per run keeps failures apart: a run whose task dies (a lost executor, an out-of-memory
 * kill) fails its own job, is recorded as failed, and the others go on. Runs already recorded as
 * ok in this sweep are skipped, so a rerun after a kill completes what is missing.
 *
 * <p>Nothing lost, nothing counted twice: the sweep holds the output root's {@link OutputLock}; it
 * refuses a sweep id already used for another config, and Spark speculation (two attempts of one
 * run at once). A run's row is written by its task; the driver records a failure only when no row
 * appeared since it submitted the run, and never over an ok row. When the application is stopped
 * (Ctrl-C, SIGTERM) runs that had not finished get no row at all: {@code _STATUS.json} lists those
 * that were running and those that never started, and a rerun does them.
 */
public final class SweepJob {
    /** What a sweep did. */
    public record Summary(String sweepId, int planned, int skipped, int succeeded, int failed, double seconds,
                          int quarantined) {
    }

    /** Runs after the sweep's own work but before Spark's shutdown hook stops the context. */
    static final int SHUTDOWN_PRIORITY = 100;
    static final String STATUS = "_STATUS.json";

    private final SparkSession spark;
    private final Config sb;
    private final RunExecutor executor;
    private final String sweepId;
    private final ResultStore store;
    /** The resources each run's task asks for (stage-level scheduling); null in local mode. */
    private final org.apache.spark.resource.ResourceProfile runResources;
    private final Set<String> unfinished = ConcurrentHashMap.newKeySet();
    private final RunStarts starts = new RunStarts();
    private volatile boolean stopping;
    private volatile Tally tally;

    public SweepJob(SparkSession spark, Config sb, RunExecutor executor) {
        this.spark = spark;
        this.sb = sb;
        this.executor = executor;
        this.sweepId = sweepId(sb);
        this.store = new ResultStore(sb.getString("output-root"), sweepId, spark.sparkContext().hadoopConfiguration());
        this.runResources = ClusterResources.run(spark.sparkContext().getConf(), sb).orElse(null);
    }

    /** {@code sweep.id}, or the date and a hash of every setting that affects results. */
    static String sweepId(Config sb) {
        String id = Keys.SWEEP_ID.read(sb.getConfig("sweep"), "sweep");
        return id.isEmpty() ? LocalDate.now(ZoneOffset.UTC) + "-" + configHash(sb) : id;
    }

    /** Hash of the settings that define a sweep's results (not where they go or how they are scheduled). */
    static String configHash(Config sb) {
        StringBuilder s = new StringBuilder();
        for (String block : List.of("grid", "grammar", "data", "tasks", "model", "train")) {
            s.append(block).append(SweepPlan.canonical(sb.getConfig(block)));
        }
        return org.selectivbench.data.DatasetSpec.sha256(s.toString()).substring(0, 10);
    }

    /** Refuses a sweep id whose folder holds a sweep of another config: their runs would mix. */
    static void checkSweepIdFree(Config sb, Configuration hadoop) throws IOException {
        previousConfigHash(sb, hadoop).ifPresent(previous -> {
            if (!previous.equals(configHash(sb))) {
                throw new IllegalArgumentException("sweep.id = " + sweepId(sb) + " was used for another config (hash "
                        + previous + ", this one " + configHash(sb) + "): its runs would mix with these; choose another"
                        + " sweep.id, or leave it empty for the date and the config hash");
            }
        });
    }

    /** The config hash of the sweep already under this sweep's id, if there is one. */
    static Optional<String> previousConfigHash(Config sb, Configuration hadoop) throws IOException {
        ResultStore store = new ResultStore(sb.getString("output-root"), sweepId(sb), hadoop);
        Path manifest = new Path(store.dir(), DatasetStore.MANIFEST);
        if (!manifest.getFileSystem(hadoop).exists(manifest)) {
            return Optional.empty();
        }
        return Optional.of(new DatasetStore(sb.getString("output-root"), hadoop).readManifest(store.dir())
                .getString("config-hash"));
    }

    /** Speculation would run a run twice at once; a sweep refuses it rather than turning it off unasked. */
    static void checkSpeculation(org.apache.spark.SparkConf conf) {
        if (conf.getBoolean("spark.speculation", false)) {
            throw new IllegalArgumentException("spark.speculation = true: a sweep runs each run once; turn"
                    + " speculation off (drop --conf spark.speculation=true)");
        }
    }

    public String sweepId() {
        return sweepId;
    }

    public ResultStore store() {
        return store;
    }

    public Summary run(SweepPlan plan) throws IOException {
        long started = System.nanoTime();
        checkSpeculation(spark.sparkContext().getConf());
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        try (OutputLock lock = OutputLock.acquire(sb.getString("output-root"), hadoop, "sweep " + sweepId)) {
            checkSweepIdFree(sb, hadoop);
            plan.trainingRuns().forEach(r -> unfinished.add(r.runId()));
            plan.evaluationRuns().forEach(r -> unfinished.add(r.runId()));
            Runnable onStop = () -> stopped(lock);
            org.apache.hadoop.util.ShutdownHookManager.get().addShutdownHook(onStop, SHUTDOWN_PRIORITY);
            spark.sparkContext().addSparkListener(starts);
            try {
                return runLocked(plan, started);
            } finally {
                spark.sparkContext().removeSparkListener(starts);
                if (!stopping) {
                    org.apache.hadoop.util.ShutdownHookManager.get().removeShutdownHook(onStop);
                }
            }
        }
    }

    private Summary runLocked(SweepPlan plan, long started) throws IOException {
        new GenerateJob(spark, sb).run(plan.datasets());
        writeSweepManifest(plan);
        store.deleteTemporaries();
        Map<String, ResultStore.Recorded> rows = store.scan();
        Set<String> done = new HashSet<>();
        rows.values().stream().filter(ResultStore.Recorded::ok).forEach(r -> done.add(r.runId()));
        unfinished.removeAll(done);
        List<RunSpec> training = pending(plan.trainingRuns(), done);
        int skipped = plan.size() - training.size() - (int) plan.evaluationRuns().stream()
                .filter(r -> !done.contains(r.runId())).count();
        System.out.printf("sweep %s: %d runs planned (%d training, %d evaluation-only), %d already done%n", sweepId,
                plan.size(), plan.trainingRuns().size(), plan.evaluationRuns().size(), skipped);
        tally = new Tally(plan.size() - skipped);
        execute("train", training, tally);
        // Task 4: evaluate the checkpoints of training runs that succeeded.
        Set<String> trained = new HashSet<>(store.completedRunIds());
        List<RunSpec> evaluations = new ArrayList<>();
        for (RunSpec r : pending(plan.evaluationRuns(), done)) {
            if (stopping) {
                break;
            }
            if (trained.contains(r.trainsRun())) {
                evaluations.add(r);
            } else {
                recordFailure(r, "training run " + r.trainsRun() + " did not succeed", "cpu", 0);
            }
        }
        execute("evaluate", evaluations, tally);
        double seconds = (System.nanoTime() - started) / 1e9;
        int quarantined = store.quarantined().size();
        if (!stopping) {
            writeStatus("complete");
            System.out.printf("sweep %s: %d ok, %d failed, %d skipped in %s; results under %s%n", sweepId,
                    tally.ok, tally.failed, skipped, Progress.duration(seconds), store.dir());
        }
        return new Summary(sweepId, plan.size(), skipped, tally.ok, tally.failed, seconds, quarantined);
    }

    private static List<RunSpec> pending(List<RunSpec> runs, Set<String> done) {
        return runs.stream().filter(r -> !done.contains(r.runId())).toList();
    }

    /** Submits every run as its own job and reports each as it finishes. */
    private void execute(String stage, List<RunSpec> runs, Tally tally) throws IOException {
        if (runs.isEmpty() || stopping) {
            return;
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        String root = sb.getString("output-root");
        String configJson = Settings.render(sb);
        String id = sweepId;
        RunExecutor ex = executor;
        HadoopConf hadoop = HadoopConf.of(spark);
        Map<RunSpec, JavaFutureAction<List<String>>> jobs = new LinkedHashMap<>();
        long submitted = System.currentTimeMillis();
        for (RunSpec run : runs) {
            jsc.setJobGroup("sweep-" + stage, run.runId(), false);
            JavaRDD<RunSpec> task = jsc.parallelize(List.of(run), 1);
            jobs.put(run, (runResources == null ? task : task.withResources(runResources))
                    .map(r -> RunTask.execute(r, id, root, configJson, hadoop, ex)).collectAsync());
        }
        while (!jobs.isEmpty()) {
            var it = jobs.entrySet().iterator();
            boolean any = false;
            while (it.hasNext()) {
                var e = it.next();
                if (!e.getValue().isDone()) {
                    continue;
                }
                any = true;
                it.remove();
                if (stopping) {
                    continue; // its job ended because the application is stopping: no row, it runs again
                }
                String line;
                try {
                    line = e.getValue().get().get(0);
                } catch (Exception failure) {
                    // The task itself died (lost executor, killed JVM, unwritable result).
                    recordFailure(e.getKey(), "Spark task failed: " + RunTask.reason(failure), "unknown", submitted);
                    continue;
                }
                unfinished.remove(e.getKey().runId());
                tally.finished(line, !line.contains(" FAILED: "));
                if (line.contains(Nd4jDevice.UnsupportedGpuException.class.getSimpleName())) {
                    // Every run would fail the same way: stop now, with the reason.
                    jsc.cancelJobGroup("sweep-" + stage);
                    String why = line.substring(line.indexOf(Nd4jDevice.UnsupportedGpuException.class.getSimpleName()));
                    throw new IllegalArgumentException(why.substring(why.indexOf(": ") + 2).replaceAll(" at \\S+$", ""));
                }
            }
            if (!any) {
                sleep();
            }
        }
        jsc.clearJobGroup(); // later jobs (aggregation) are not this stage's
    }

    /**
     * Records that a run failed, unless its own attempt recorded it since {@code since} (a row that
     * names the real reason) or it is recorded as ok. A row that cannot be written leaves the run
     * without one: a rerun does it again.
     */
    private void recordFailure(RunSpec run, String reason, String device, long since) {
        if (stopping) {
            return;
        }
        try {
            Optional<ResultStore.Recorded> row = store.read(run.runId());
            ResultStore.Recorded r = row.isPresent() && (row.get().ok() || row.get().finishedAtMillis() >= since)
                    ? row.get() : store.write(RunTask.failed(sweepId, run, reason, device, Settings.render(sb)));
            unfinished.remove(run.runId());
            tally.finished(RunTask.summary(r, 0), r.ok());
        } catch (IOException | RuntimeException e) {
            unfinished.remove(run.runId());
            tally.finished(run.runId() + " FAILED: " + reason + "; and its row could not be written ("
                    + e.getMessage() + "), so a rerun does it again", false);
        }
    }

    /** The shutdown hook: before Spark stops, note what is unfinished and give the root back. */
    private void stopped(OutputLock lock) {
        stopping = true;
        try {
            spark.sparkContext().cancelAllJobs(); // no run starts while the application stops
        } catch (RuntimeException e) {
            // already stopping
        }
        try {
            unfinished.removeAll(store.scan().keySet()); // finished, but the driver had not heard yet
            Set<String> running = new HashSet<>(unfinished);
            running.retainAll(starts.started());
            Tally t = tally;
            System.out.printf("sweep %s stopped: %d ok and %d failed so far; %d run(s) were running and %d never"
                            + " started: none of them has a row, and rerunning the same command does them%n", sweepId,
                    t == null ? 0 : t.ok, t == null ? 0 : t.failed, running.size(), unfinished.size() - running.size());
            writeStatus("interrupted");
        } catch (IOException | RuntimeException e) {
            System.out.println("sweep " + sweepId + " stopped; could not write " + STATUS + ": " + e.getMessage());
        } finally {
            lock.close();
        }
    }

    /**
     * {@code SWEEP_DIR/_STATUS.json}: how the last invocation ended ({@code complete} or
     * {@code interrupted}), its counts, and the runs without a row: those running when it stopped
     * and those that never started.
     */
    private void writeStatus(String state) throws IOException {
        Set<String> running = new HashSet<>(unfinished);
        running.retainAll(starts.started());
        List<String> neverStarted = unfinished.stream().filter(r -> !running.contains(r)).sorted().toList();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", state);
        m.put("sweep-id", sweepId);
        m.put("ok", tally == null ? 0 : tally.ok);
        m.put("failed", tally == null ? 0 : tally.failed);
        m.put("running-when-stopped", running.stream().sorted().toList());
        m.put("never-started", neverStarted);
        m.put("quarantined", store.quarantined().keySet().stream().map(Path::toString).toList());
        m.put("at", java.time.Instant.now().toString());
        Path file = new Path(store.dir(), STATUS);
        FileSystem fs = file.getFileSystem(spark.sparkContext().hadoopConfiguration());
        Path tmp = HadoopFiles.temporary(file);
        try (OutputStream out = fs.create(tmp, true)) {
            out.write(ConfigFactory.parseMap(m).root().render(ConfigRenderOptions.concise().setFormatted(true))
                    .getBytes(StandardCharsets.UTF_8));
        }
        HadoopFiles.replace(fs, tmp, file);
    }

    private static void sleep() {
        try {
            TimeUnit.MILLISECONDS.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("sweep interrupted", e);
        }
    }

    private void writeSweepManifest(SweepPlan plan) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sweep-id", sweepId);
        m.put("config-hash", configHash(sb));
        m.put("runs", plan.size());
        m.put("code-version", org.selectivbench.data.CodeVersion.get());
        m.put("config", ConfigFactory.parseString(Settings.render(sb)).root().unwrapped());
        new DatasetStore(sb.getString("output-root"), spark.sparkContext().hadoopConfiguration())
                .writeManifest(store.dir(), m);
    }

    /** Which runs had a task start, from Spark's events: a run's job carries its id as description. */
    static final class RunStarts extends SparkListener {
        private final Map<Integer, String> runOfStage = new ConcurrentHashMap<>();
        private final Set<String> started = ConcurrentHashMap.newKeySet();

        @Override
        public void onJobStart(SparkListenerJobStart jobStart) {
            String run = jobStart.properties() == null ? null : jobStart.properties().getProperty("spark.job.description");
            if (run != null) {
                scala.collection.Iterator<Object> stages = jobStart.stageIds().iterator();
                while (stages.hasNext()) {
                    runOfStage.put((Integer) stages.next(), run);
                }
            }
        }

        @Override
        public void onTaskStart(SparkListenerTaskStart taskStart) {
            String run = runOfStage.get(taskStart.stageId());
            if (run != null) {
                started.add(run);
            }
        }

        Set<String> started() {
            return new HashSet<>(started);
        }
    }

    /** Counts and the progress line printed per finished run. */
    private static final class Tally {
        private final long started = System.nanoTime();
        private final int total;
        private int ok;
        private int failed;

        Tally(int total) {
            this.total = total;
        }

        synchronized void finished(String line, boolean success) {
            if (success) {
                ok++;
            } else {
                failed++;
            }
            int finished = ok + failed;
            double elapsed = (System.nanoTime() - started) / 1e9;
            String eta = Progress.duration(elapsed / finished * (total - finished));
            System.out.printf("[%d/%d done, %d failed, %d left, about %s left] %s%n", finished, total, failed,
                    total - finished, eta, line);
        }
    }
}
