package org.selectivbench.spark;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code selectivbench sweep}: plan, validate, generate, train, evaluate, summarize, compare, alarm.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Run the grid's training runs on Spark and write runs, curves and a summary; exit 3 when"
                + " runs failed, 4 on a regression against the previous sweep, 5 when a required baseline is missing,"
                + " 6 when another sweep holds the output root.")
final class SweepCommand implements Callable<Integer> {
    @CommandLine.Mixin
    SelectivBench.ConfigOptions options = new SelectivBench.ConfigOptions();

    @Override
    public Integer call() throws Exception {
        Config sb = options.load();
        SweepPlan plan = validate(sb);
        SparkSession spark = Spark.session(sb);
        try {
            sb = Spark.outputRoot(spark, sb);
            SweepJob job = new SweepJob(spark, sb, new TrainingExecutor());
            SweepJob.Summary s = job.run(plan);
            Verdict v = summarize(spark, sb, job, s);
            return v.report(sb, job.store());
        } finally {
            spark.stop();
        }
    }

    /**
     * Plans the sweep and checks every run's model and training settings, and that its memory fits,
     * before any work starts.
     */
    static SweepPlan validate(Config sb) {
        return validate(sb, Set.of());
    }

    /**
     * As {@link #validate(Config)}; {@code userDecides} are keys the grid owns that this command still
     * takes from the user (train's {@code model=NAME}).
     */
    static SweepPlan validate(Config sb, Set<String> userDecides) {
        Keys.checkOwnedBySweep(sb, userDecides);
        SweepPlan plan = new SweepPlan(sb);
        Set<String> seen = new HashSet<>();
        for (RunSpec r : plan.trainingRuns()) {
            if (seen.add(r.modelConf() + r.trainConf())) {
                ModelConfig.fromConfig(ConfigFactory.parseString(r.modelConf()));
                TrainConfig.fromConfig(ConfigFactory.parseString(r.trainConf()));
            }
        }
        RunMemory.check(plan, sb, new org.apache.spark.SparkConf()).ifPresent(l -> System.out.println("memory: " + l));
        // The sweep checks this again with the job's Hadoop configuration; here, only where this
        // process can read the root by itself (not an hdfs:/// root whose namenode Spark supplies).
        Optional<String> previous;
        try {
            previous = SweepJob.previousConfigHash(sb, new Configuration());
        } catch (IOException | RuntimeException e) {
            previous = Optional.empty();
        }
        if (previous.isPresent()) {
            try {
                SweepJob.checkSweepIdFree(sb, new Configuration());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return plan;
    }

    /** Prints the findings the results support (after the summary) and writes them to findings.txt. */
    static List<String> writeFindings(Aggregator agg, ResultStore store, Dataset<Row> summary) throws java.io.IOException {
        List<Findings.SeedResult> results = new ArrayList<>();
        for (Row r : agg.bestPerSeed(agg.runs(store)).collectAsList()) {
            results.add(new Findings.SeedResult(r.getAs("model"), r.getAs("task"), r.getAs("grammar"),
                    r.<Integer>getAs("width"), r.<Integer>getAs("layers"), r.getAs("test_split"),
                    r.<Integer>getAs("test_gap_steps"), r.<Long>getAs("seed"), r.<Double>getAs("final_accuracy")));
        }
        Map<String, Findings.Reference> refs = new HashMap<>();
        for (Row r : summary.where("seeds > 0").collectAsList()) {
            refs.putIfAbsent(r.getAs("grammar") + "/" + r.getAs("task") + "/" + r.getAs("test_split"), new Findings.Reference(
                    r.<Double>getAs("chance"), r.<Double>getAs("symbol_only"), r.<Double>getAs("oracle")));
        }
        List<String> lines = Findings.of(results, refs);
        System.out.println("findings (computed from these results; a difference is clear beyond twice its standard"
                + " error over seeds):");
        lines.forEach(l -> System.out.println("  " + l));
        Aggregator.writeText(String.join("\n", lines) + "\n", new Path(store.dir(), "findings.txt"),
                store.hadoopConf());
        return lines;
    }

    /** How a sweep ended, for its exit status, its last lines and the notification. */
    record Verdict(String sweepId, int ok, int failed, Optional<String> baseline, long regressions, long cells,
                   List<String> lines, boolean baselineRequired) {
        int exitStatus() {
            if (regressions > 0) {
                return SelectivBench.REGRESSION_EXIT;
            }
            if (baseline.isEmpty() && baselineRequired) {
                return SelectivBench.NO_BASELINE_EXIT;
            }
            return failed > 0 ? SelectivBench.FAILED_RUNS_EXIT : 0;
        }

        String status() {
            return switch (exitStatus()) {
                case SelectivBench.REGRESSION_EXIT -> "regression";
                case SelectivBench.NO_BASELINE_EXIT -> "no-baseline";
                case SelectivBench.FAILED_RUNS_EXIT -> "failed-runs";
                default -> "ok";
            };
        }

        /** The closing lines, each starting with "alarm:" so a cron wrapper can pick them out of the log. */
        String text() {
            StringBuilder out = new StringBuilder();
            out.append(String.format(Locale.ROOT, "alarm: sweep %s ended %s (exit %d): %d runs ok, %d failed%n",
                    sweepId, status(), exitStatus(), ok, failed));
            if (baseline.isEmpty()) {
                out.append("alarm: no earlier sweep of this config to compare with").append(baselineRequired
                        ? " (report.require-baseline is on)" : "").append('\n');
            } else {
                out.append(String.format(Locale.ROOT, "alarm: against sweep %s, %d of %d cells regressed or were lost%n",
                        baseline.get(), regressions, cells));
            }
            lines.forEach(l -> out.append("alarm:   ").append(l).append('\n'));
            return out.toString();
        }

        /** Prints the closing lines, writes them beside the results, runs report.notify when not ok. */
        int report(Config sb, ResultStore store) throws IOException {
            String text = text();
            System.out.print(text);
            Path file = new Path(store.dir(), "alarm.txt");
            FileSystem fs = file.getFileSystem(store.hadoopConf());
            try (OutputStream o = fs.create(file, true)) {
                o.write(text.getBytes(StandardCharsets.UTF_8));
            }
            String command = Keys.NOTIFY.read(sb.getConfig("report"), "report");
            if (exitStatus() != 0 && !command.isBlank()) {
                notify(command, text, file);
            }
            return exitStatus();
        }

        private void notify(String command, String text, Path file) {
            try {
                ProcessBuilder pb = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.INHERIT);
                pb.environment().put("SELECTIVBENCH_STATUS", status());
                pb.environment().put("SELECTIVBENCH_EXIT", String.valueOf(exitStatus()));
                pb.environment().put("SELECTIVBENCH_SWEEP", sweepId);
                pb.environment().put("SELECTIVBENCH_REPORT", file.toString());
                Process p = pb.start();
                try (OutputStream in = p.getOutputStream()) {
                    in.write(text.getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // the command need not read its input
                }
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    System.out.println("alarm: report.notify did not finish in 120 s; stopped it");
                } else if (p.exitValue() != 0) {
                    System.out.println("alarm: report.notify exited with " + p.exitValue());
                }
            } catch (IOException e) {
                System.out.println("alarm: report.notify could not run: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Writes and prints the summary, then compares the sweep with the previous sweep of the same
     * config ({@link Alarm}), writing {@code comparison/} and {@code comparison.csv}.
     */
    static Verdict summarize(SparkSession spark, Config sb, SweepJob job, SweepJob.Summary s) throws IOException {
        Aggregator agg = new Aggregator(spark);
        writeFindings(agg, job.store(), agg.writeSummary(job.store()));
        String root = sb.getString("output-root");
        boolean required = Keys.REQUIRE_BASELINE.read(sb.getConfig("report"), "report");
        Optional<String> previous = agg.previousSweep(root, job.sweepId(), SweepJob.configHash(sb),
                spark.sparkContext().hadoopConfiguration());
        if (previous.isEmpty()) {
            return new Verdict(job.sweepId(), s.succeeded() + s.skipped(), s.failed(), previous, 0, 0, List.of(),
                    required);
        }
        Alarm.Params params = Alarm.Params.of(sb);
        double tolerance = params.tolerance();
        String source = "report.tolerance";
        if (Double.isNaN(tolerance)) {
            OptionalDouble reruns = Aggregator.rerunTolerance(spark, root, SweepJob.configHash(sb));
            tolerance = reruns.orElse(0.0);
            source = reruns.isPresent() ? "the largest difference between reruns of one run at one code version"
                    : "no run was rerun at one code version yet: every difference counts";
        }
        ResultStore before = new ResultStore(root, previous.get(), spark.sparkContext().hadoopConfiguration());
        Aggregator.Comparison cmp = agg.compare(agg.runs(job.store()), agg.runs(before), params, tolerance);
        cmp.table().coalesce(1).write().mode(SaveMode.Overwrite).parquet(new Path(job.store().dir(), "comparison")
                .toString());
        Aggregator.writeCsv(cmp.table(), new Path(job.store().dir(), "comparison.csv"));
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "tolerance %.4g (%s); %s correction at alpha %.3g; minimum effect %.3g",
                tolerance, source, params.correction(), params.alpha(), params.minEffect()));
        for (Alarm.CellResult c : cmp.cells()) {
            if (!c.status().equals(Alarm.UNCHANGED)) {
                lines.add(String.format(Locale.ROOT, "%-10s %s: %s -> %s (change %s over %d paired seed(s), p %s,"
                                + " corrected %s)", c.status(), c.cell(), num(c.previousAccuracy()), num(c.meanAccuracy()),
                        num(c.change()), c.pairedSeeds(), num(c.pValue()), num(c.pAdjusted())));
            }
        }
        return new Verdict(job.sweepId(), s.succeeded() + s.skipped(), s.failed(), previous, cmp.flagged(),
                cmp.cells().size(), lines, required);
    }

    private static String num(double d) {
        return Double.isNaN(d) ? "-" : String.format(Locale.ROOT, "%.4f", d);
    }
}
