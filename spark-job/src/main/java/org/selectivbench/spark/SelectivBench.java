package org.selectivbench.spark;

import com.typesafe.config.Config;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The command line: {@code selectivbench COMMAND [--conf FILE] [--set key=value ...]}. The same main
 * class runs locally (bin/selectivbench, Spark local[*]) and under spark-submit.
 */
@Command(name = "selectivbench", mixinStandardHelpOptions = true, version = "selectivbench 0.1",
        description = "SelectivBench on Spark: datasets, training sweeps and reports.",
        subcommands = {SelectivBench.Generate.class, SelectivBench.Plan.class, TrainCommand.class,
                SweepCommand.class, ReportCommand.class, BenchCommand.class, DataBench.class, KeysCommand.class,
                CalibrateMemory.class})
public final class SelectivBench implements Runnable {

    /** Options every command takes. */
    static class ConfigOptions {
        @Option(names = "--conf", paramLabel = "FILE", description = "HOCON preset, e.g. conf/local.conf")
        File conf;

        @Option(names = "--set", paramLabel = "KEY=VALUE",
                description = "override a setting (keys relative to 'selectivbench', values in HOCON)")
        List<String> overrides = new ArrayList<>();

        Config load() {
            return Settings.load(conf, overrides);
        }
    }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = "Write the grammars and datasets of the grid as Parquet under output-root.")
    static final class Generate implements Callable<Integer> {
        @CommandLine.Mixin
        ConfigOptions options = new ConfigOptions();

        @Override
        public Integer call() throws Exception {
            Config sb = options.load();
            DatasetPlan plan = new DatasetPlan(sb);
            SparkSession spark = Spark.session(sb);
            try {
                Config rooted = Spark.outputRoot(spark, sb);
                try (OutputLock lock = OutputLock.acquire(rooted.getString("output-root"),
                        spark.sparkContext().hadoopConfiguration(), "generate")) {
                    new GenerateJob(spark, rooted).run(plan);
                }
            } finally {
                spark.stop();
            }
            return 0;
        }
    }

    @Command(name = "plan", mixinStandardHelpOptions = true,
            description = "Validate a config and print the datasets and runs a sweep of it would make.")
    static final class Plan implements Callable<Integer> {
        @CommandLine.Mixin
        ConfigOptions options = new ConfigOptions();

        @Override
        public Integer call() {
            Config sb = options.load();
            SweepPlan plan = SweepCommand.validate(sb);
            System.out.printf("%d dataset(s), %d training run(s), %d evaluation-only run(s); sweep id %s%n",
                    plan.datasets().datasets().size(), plan.trainingRuns().size(), plan.evaluationRuns().size(),
                    SweepJob.sweepId(sb));
            plan.trainingRuns().stream().limit(5).forEach(r -> System.out.println("  " + r.runId() + " "
                    + r.coordinates()));
            if (plan.size() > 5) {
                System.out.println("  ...");
            }
            return 0;
        }
    }

    /** Exit statuses besides 0 (done) and 1 (a crash, with its stack trace); docs/cluster.md lists them. */
    static final int BAD_INPUT_EXIT = 2;
    static final int FAILED_RUNS_EXIT = 3;
    static final int REGRESSION_EXIT = 4;
    static final int NO_BASELINE_EXIT = 5;
    static final int ROOT_IN_USE_EXIT = 6;

    /**
     * Bad input (a wrong key, value or file) ends with one clear line and exit status 2, no stack
     * trace; an output root in use by another sweep with its own status, so a scheduler can tell.
     */
    static final CommandLine.IExecutionExceptionHandler BAD_INPUT = (e, cmd, parsed) -> {
        if (e instanceof IllegalArgumentException || e instanceof com.typesafe.config.ConfigException) {
            cmd.getErr().println("error: " + e.getMessage());
            return BAD_INPUT_EXIT;
        }
        if (e instanceof OutputLock.Held) {
            cmd.getErr().println("error: " + e.getMessage());
            return ROOT_IN_USE_EXIT;
        }
        throw e;
    };

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new SelectivBench());
        cli.setExecutionExceptionHandler(BAD_INPUT);
        System.exit(cli.execute(args));
    }
}
