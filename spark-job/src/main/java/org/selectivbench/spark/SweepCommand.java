package org.selectivbench.spark;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
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
 * {@code selectivbench sweep}: plan, validate, generate, train, evaluate, summarize, compare.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Run the grid's training runs on Spark and write runs, curves and a summary.")
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
            summarize(spark, sb, job);
            return s.failed() == 0 ? 0 : 3;
        } finally {
            spark.stop();
        }
    }

    /** Plans the sweep and checks every run's model and training settings before any work starts. */
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
            refs.putIfAbsent(r.getAs("task") + "/" + r.getAs("test_split"), new Findings.Reference(
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

    /** Writes and prints the summary, then the comparison with the previous sweep of the same config. */
    static void summarize(SparkSession spark, Config sb, SweepJob job) throws java.io.IOException {
        Aggregator agg = new Aggregator(spark);
        Dataset<Row> summary = agg.writeSummary(job.store());
        writeFindings(agg, job.store(), summary);
        Optional<String> previous = agg.previousSweep(sb.getString("output-root"), job.sweepId(),
                SweepJob.configHash(sb), spark.sparkContext().hadoopConfiguration());
        if (previous.isEmpty()) {
            System.out.println("no earlier sweep of this config to compare with");
            return;
        }
        Path prevDir = new ResultStore(sb.getString("output-root"), previous.get(),
                spark.sparkContext().hadoopConfiguration()).dir();
        Dataset<Row> cmp = agg.compare(summary, spark.read().parquet(new Path(prevDir, "summary").toString())).cache();
        cmp.coalesce(1).write().mode(SaveMode.Overwrite).parquet(new Path(job.store().dir(), "comparison").toString());
        Aggregator.writeCsv(cmp, new Path(job.store().dir(), "comparison.csv"));
        long flagged = cmp.where("flagged").count();
        System.out.printf("compared with sweep %s: %d of %d cells changed beyond their spread over seeds%n",
                previous.get(), flagged, cmp.count());
        if (flagged > 0) {
            cmp.where("flagged").show(1000, false);
        }
    }
}
