package org.selectivbench.spark;

import com.typesafe.config.Config;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code selectivbench report}: the static HTML report of a sweep, next to its results. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write a static HTML report with PNG plots of a sweep (SWEEP_DIR/report/index.html).")
final class ReportCommand implements Callable<Integer> {
    @CommandLine.Mixin
    SelectivBench.ConfigOptions options = new SelectivBench.ConfigOptions();

    @Option(names = "--sweep", paramLabel = "ID",
            description = "sweep id (default: sweep.id, else the latest sweep of this config under output-root)")
    String sweep;

    @Override
    public Integer call() throws Exception {
        Config loaded = options.load();
        SparkSession spark = Spark.session(loaded);
        try {
            Config sb = Spark.outputRoot(spark, loaded);
            String root = sb.getString("output-root");
            String id = sweep != null ? sweep : !sb.getString("sweep.id").isEmpty() ? sb.getString("sweep.id")
                    : Aggregator.latestSweep(root, SweepJob.configHash(sb), spark.sparkContext().hadoopConfiguration())
                    .orElseThrow(() -> new IllegalArgumentException("no finished sweep of this config under " + root
                            + "; run 'sweep' first or give --sweep ID"));
            ResultStore store = new ResultStore(root, id, spark.sparkContext().hadoopConfiguration());
            if (!store.runsDir().getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(store.runsDir())) {
                throw new IllegalArgumentException("sweep " + id + " has no runs under " + store.dir());
            }
            System.out.println("report written to " + new Report(spark, store).write());
        } finally {
            spark.stop();
        }
        return 0;
    }
}
