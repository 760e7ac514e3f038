package org.selectivbench.spark;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code selectivbench train --set model=NAME --set task=NAME}: one training run on this machine,
 * its learning curve printed as it goes. The datasets are generated (or found) first; the run is
 * recorded like a sweep's, under {@code output-root/sweeps/train/}.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train one model on one task locally and print its learning curve and final accuracy.")
final class TrainCommand implements Callable<Integer> {
    @CommandLine.Mixin
    SelectivBench.ConfigOptions options = new SelectivBench.ConfigOptions();

    @CommandLine.Option(names = "--threads", description = "cores for ND4J's ops and the Java kernels (default: every"
            + " core)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Override
    public Integer call() throws Exception {
        Config sb = single(options.load());
        SweepPlan plan = SweepCommand.validate(sb, java.util.Set.of("model.name"));
        if (plan.trainingRuns().size() != 1 || !plan.evaluationRuns().isEmpty()) {
            throw new IllegalArgumentException("train runs one training run; grid.tasks = "
                    + sb.getStringList("grid.tasks") + " is " + plan.trainingRuns().size() + " training and "
                    + plan.evaluationRuns().size() + " evaluation runs (use task=task1, task2 or task3, or sweep)");
        }
        RunSpec run = plan.trainingRuns().get(0);
        try (OutputLock lock = OutputLock.acquire(sb.getString("output-root"), new Configuration(), "train")) {
            return train(sb, plan, run);
        }
    }

    private int train(Config sb, SweepPlan plan, RunSpec run) throws Exception {
        SparkSession spark = Spark.session(sb);
        Configuration hadoop;
        try {
            sb = Spark.outputRoot(spark, sb);
            hadoop = spark.sparkContext().hadoopConfiguration();
            new GenerateJob(spark, sb).run(plan.datasets());
        } finally {
            spark.stop();
        }
        System.out.println("run " + run.runId() + ": " + run.coordinates());
        System.out.println("   update        lr    train loss  test accuracy   elapsed");
        TrainingExecutor executor = new TrainingExecutor(p -> System.out.printf(Locale.ROOT,
                "%9d  %9.3g  %12.4f  %13.4f  %7.1f s%n", p.step(), p.lr(), p.loss(), p.accuracy(), p.elapsedSeconds()));
        String root = sb.getString("output-root");
        ResultStore store = new ResultStore(root, "train", hadoop);
        RunExecutor.Outcome o = executor.execute(run, new RunExecutor.Context("train", root, "cpu", threads, store));
        double[] refs = RunTask.references(root, run, hadoop);
        store.replace(RunTask.succeeded("train", run, o, refs, "cpu", Settings.render(sb)));
        System.out.printf(Locale.ROOT, "final accuracy %.4f (best %.4f) on %s; chance %.4f, symbol-only %.4f,"
                        + " oracle %.4f%n%,d parameters, %d updates, %.2f updates/s, %,.0f time steps/s (%s)%n",
                o.finalAccuracy(), o.bestAccuracy(), run.testSplit(), refs[0], refs[1], refs[2], o.params(),
                o.updates(), o.updatesPerSecond(), o.stepsPerSecond(), o.backend());
        return 0;
    }

    /**
     * The grid reduced to one run: the model of {@code model.name} (the {@code model=} shorthand) and
     * the first width, layer count, learning rate, warmup, seed and grammar of the grid, and the task's
     * own gap setting, so
     * that {@code train --conf X} trains what the sweep of X would train first for that model.
     */
    static Config single(Config sb) {
        return ConfigFactory.parseMap(java.util.Map.of(
                "grid.models", List.of(sb.getString("model.name")),
                "grid.widths", List.of(sb.getIntList("grid.widths").get(0)),
                "grid.layers", List.of(sb.getIntList("grid.layers").get(0)),
                "grid.learning-rates", List.of(sb.getDoubleList("grid.learning-rates").get(0)),
                "grid.warmups", List.of(sb.getIntList("grid.warmups").get(0)),
                "grid.seeds", List.of(sb.getLongList("grid.seeds").get(0)),
                "grid.grammars", List.of(sb.getObjectList("grid.grammars").get(0).unwrapped()),
                "grid.settings", java.util.Map.of())).withFallback(sb);
    }
}
