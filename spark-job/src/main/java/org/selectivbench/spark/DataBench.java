package org.selectivbench.spark;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.selectivbench.data.DatasetSpec;
import org.selectivbench.data.DatasetStore;
import org.selectivbench.data.ExampleGenerator;
import org.selectivbench.data.Grammar;
import org.selectivbench.data.Split;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code selectivbench bench-data}: how fast datasets are made. Measures, in one process and side
 * by side: the generator alone on one thread, generator plus Parquet on one thread, and the Spark
 * generate job on the paper-size workload (the grid's first task setting, 200,000 examples by
 * default) with 1 and with all cores.
 */
@Command(name = "bench-data", mixinStandardHelpOptions = true,
        description = "Benchmark dataset generation; prints figures and writes them to --out.")
final class DataBench implements Callable<Integer> {
    @CommandLine.Mixin
    SelectivBench.ConfigOptions options = new SelectivBench.ConfigOptions();

    @Option(names = "--out", description = "file for the figures (default: ${DEFAULT-VALUE})")
    File out = new File("out/bench-data.txt");

    @Option(names = "--single-thread-examples", description = "examples for the one-thread figures")
    long singleThreadExamples = 20000;

    @Option(names = "--task", description = "task whose paper setting is generated (default: ${DEFAULT-VALUE})")
    String task = "task2";

    @Override
    public Integer call() throws Exception {
        Config sb = options.load();
        String scratch = sb.getString("output-root") + "/bench-data-scratch";
        Config benchConf = ConfigFactory.parseString("output-root = \"" + scratch + "\"\ngrid.tasks = [" + task
                + "]\ngrid.seeds = [1]\ngrid.settings = {}").withFallback(sb);
        DatasetPlan plan = new DatasetPlan(benchConf);
        DatasetSpec ds = plan.datasets().values().iterator().next();
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "workload: %s %s, %,d train + %,d test examples of %d elements",
                task, ds.grammar().label(), ds.data().trainExamples(), ds.data().testExamples(), ds.data().elements()));
        lines.add("cores: " + Runtime.getRuntime().availableProcessors());

        Grammar g = Grammar.generate(ds.grammar());
        ExampleGenerator gen = new ExampleGenerator(g, ds.task(), ds.data());
        long steps = 0;
        for (long i = 0; i < 2000; i++) { // warm-up
            steps += gen.example(Split.TRAIN, i, 0).steps();
        }
        long t0 = System.nanoTime();
        for (long i = 0; i < singleThreadExamples; i++) {
            steps += gen.example(Split.TRAIN, i, 0).steps();
        }
        double genRate = singleThreadExamples / ((System.nanoTime() - t0) / 1e9);
        lines.add(String.format(Locale.ROOT, "generator alone, 1 thread: %,.0f examples/s", genRate));

        DatasetStore store = new DatasetStore(scratch + "/single", new Configuration());
        store.writePart(gen, ds, ds.splits().get(0), 0, 0, singleThreadExamples / 4); // warm-up
        t0 = System.nanoTime();
        store.writePart(gen, ds, ds.splits().get(0), 0, 0, singleThreadExamples);
        double writeRate = singleThreadExamples / ((System.nanoTime() - t0) / 1e9);
        lines.add(String.format(Locale.ROOT, "generator + Parquet, 1 thread: %,.0f examples/s (%.0fx the released"
                + " Python generator's ~100 examples/s per core)", writeRate, writeRate / 100));

        int cores = Runtime.getRuntime().availableProcessors();
        double[] seconds = new double[2];
        int[] threads = {1, cores};
        for (int k = 0; k < 2; k++) {
            delete(scratch, store);
            SparkSession spark = Spark.session(ConfigFactory.parseString("spark.master = \"local[" + threads[k]
                    + "]\"").withFallback(benchConf));
            try {
                seconds[k] = new GenerateJob(spark, benchConf).run(plan).seconds();
            } finally {
                spark.stop();
            }
            long total = ds.data().trainExamples() + ds.data().testExamples();
            lines.add(String.format(Locale.ROOT, "spark generate, local[%d]: %.1f s, %,.0f examples/s",
                    threads[k], seconds[k], total / seconds[k]));
        }
        lines.add(String.format(Locale.ROOT, "speed-up local[%d] over local[1]: %.2fx", cores, seconds[0] / seconds[1]));
        delete(scratch, store);

        String text = String.join("\n", lines) + "\n";
        System.out.print(text);
        File parent = out.getAbsoluteFile().getParentFile();
        parent.mkdirs();
        Files.writeString(out.toPath(), text, StandardCharsets.UTF_8);
        System.out.println("figures written to " + out);
        return steps > 0 ? 0 : 1;
    }

    private static void delete(String dir, DatasetStore store) throws java.io.IOException {
        Path p = new Path(dir);
        p.getFileSystem(store.hadoopConf()).delete(p, true);
    }
}
