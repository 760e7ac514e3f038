package org.selectivbench.spark;

import com.typesafe.config.Config;
import java.io.IOException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * {@code selectivbench sweep}: the whole benchmark as one Spark application. Datasets first (made or
 * found), then every training run as its own Spark job of one task, then the evaluation-only runs
 * (task 4) of the training runs that succeeded, then the summary.
 *
 * <p>One job per run keeps failures apart: a run whose task dies (a lost executor, an out-of-memory
 * kill) fails its own job, is recorded as failed, and the others go on. Runs already recorded as
 * ok in this sweep are skipped, so a rerun after a kill completes what is missing.
 */
public final class SweepJob {
    /** What a sweep did. */
    public record Summary(String sweepId, int planned, int skipped, int succeeded, int failed, double seconds) {
    }

    private final SparkSession spark;
    private final Config sb;
    private final RunExecutor executor;
    private final String sweepId;
    private final ResultStore store;
    /** The resources each run's task asks for (stage-level scheduling); null in local mode. */
    private final org.apache.spark.resource.ResourceProfile runResources;

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
        String id = sb.getString("sweep.id");
        if (!id.isEmpty()) {
            if (!id.matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException("sweep.id = " + id + ": use letters, digits, '.', '_' and '-'");
            }
            return id;
        }
        return LocalDate.now(ZoneOffset.UTC) + "-" + configHash(sb);
    }

    /** Hash of the settings that define a sweep's results (not where they go or how they are scheduled). */
    static String configHash(Config sb) {
        StringBuilder s = new StringBuilder();
        for (String block : List.of("grid", "grammar", "data", "tasks", "model", "train")) {
            s.append(block).append(SweepPlan.canonical(sb.getConfig(block)));
        }
        return org.selectivbench.data.DatasetSpec.sha256(s.toString()).substring(0, 10);
    }

    public String sweepId() {
        return sweepId;
    }

    public ResultStore store() {
        return store;
    }

    public Summary run(SweepPlan plan) throws IOException {
        long started = System.nanoTime();
        new GenerateJob(spark, sb).run(plan.datasets());
        writeSweepManifest(plan);
        Set<String> done = new HashSet<>(store.completedRunIds());
        List<RunSpec> training = pending(plan.trainingRuns(), done);
        int skipped = plan.size() - training.size() - (int) plan.evaluationRuns().stream()
                .filter(r -> !done.contains(r.runId())).count();
        System.out.printf("sweep %s: %d runs planned (%d training, %d evaluation-only), %d already done%n", sweepId,
                plan.size(), plan.trainingRuns().size(), plan.evaluationRuns().size(), skipped);
        Tally tally = new Tally(plan.size() - skipped);
        execute("train", training, tally);
        // Task 4: evaluate the checkpoints of training runs that succeeded.
        Set<String> trained = new HashSet<>(store.completedRunIds());
        List<RunSpec> evaluations = new ArrayList<>();
        for (RunSpec r : pending(plan.evaluationRuns(), done)) {
            if (trained.contains(r.trainsRun())) {
                evaluations.add(r);
            } else {
                store.write(RunTask.failed(sweepId, r, "training run " + r.trainsRun() + " did not succeed",
                        "cpu", Settings.render(sb)));
                tally.finished(r.runId() + " FAILED: its training run did not succeed", false);
            }
        }
        execute("evaluate", evaluations, tally);
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("sweep %s: %d ok, %d failed, %d skipped in %s; results under %s%n", sweepId,
                tally.ok, tally.failed, skipped, Progress.duration(seconds), store.dir());
        return new Summary(sweepId, plan.size(), skipped, tally.ok, tally.failed, seconds);
    }

    private static List<RunSpec> pending(List<RunSpec> runs, Set<String> done) {
        return runs.stream().filter(r -> !done.contains(r.runId())).toList();
    }

    /** Submits every run as its own job and reports each as it finishes. */
    private void execute(String stage, List<RunSpec> runs, Tally tally) throws IOException {
        if (runs.isEmpty()) {
            return;
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        String root = sb.getString("output-root");
        String configJson = Settings.render(sb);
        String id = sweepId;
        RunExecutor ex = executor;
        HadoopConf hadoop = HadoopConf.of(spark);
        Map<RunSpec, JavaFutureAction<List<String>>> jobs = new LinkedHashMap<>();
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
                String line;
                try {
                    line = e.getValue().get().get(0);
                } catch (Exception failure) {
                    // The task itself died (lost executor, killed JVM, unwritable result): record it here.
                    String reason = "Spark task failed: " + RunTask.reason(failure);
                    store.write(RunTask.failed(id, e.getKey(), reason, "unknown", configJson));
                    tally.finished(e.getKey().runId() + " FAILED: " + reason, false);
                    continue;
                }
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
        m.put("config", com.typesafe.config.ConfigFactory.parseString(Settings.render(sb)).root().unwrapped());
        new org.selectivbench.data.DatasetStore(sb.getString("output-root"), spark.sparkContext().hadoopConfiguration())
                .writeManifest(store.dir(), m);
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
