package org.selectivbench.spark;

import com.typesafe.config.Config;
import java.io.File;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import org.selectivbench.models.ops.Kernels;
import org.selectivbench.models.ops.Threads;
import org.selectivbench.models.train.ModelBench;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code selectivbench bench}: ms per training step and per evaluation step of every model at one
 * shape. The shape is the {@code bench} block (declared in {@link Keys}); each option overrides its key.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time one training step and one evaluation step per model; prints figures and writes --out.")
final class BenchCommand implements Callable<Integer> {
    @CommandLine.Mixin
    SelectivBench.ConfigOptions options = new SelectivBench.ConfigOptions();

    @Option(names = "--models", split = ",", description = "models to time (default: bench.models, all)")
    List<String> models;

    @Option(names = "--batch", description = "default: bench.batch (64)")
    Integer batch;

    @Option(names = "--steps", description = "time steps per example (default: bench.steps, 400)")
    Integer steps;

    @Option(names = "--width", description = "default: bench.width (64)")
    Integer width;

    @Option(names = "--layers", description = "default: bench.layers (2)")
    Integer layers;

    @Option(names = "--vocab", description = "default: bench.vocab (41)")
    Integer vocab;

    @Option(names = "--classes", description = "default: bench.classes (1601)")
    Integer classes;

    @Option(names = "--warmup", description = "untimed steps first: graphs, workspaces and the JIT (default:"
            + " bench.warmup, 3)")
    Integer warmup;

    @Option(names = "--warmup-seconds", description = "untimed steps go on for at least this long: the JIT compiles"
            + " for seconds, whatever a step takes (default: bench.warmup-seconds, 0)")
    Integer warmupSeconds;

    @Option(names = "--reps", description = "timed repetitions; the median is reported (default: bench.reps, 3)")
    Integer reps;

    @Option(names = "--micro-batch", description = "examples per piece of a training step's gradient and of an"
            + " evaluation; 0 = the whole batch (default: bench.micro-batch, 0)")
    Integer microBatch;

    @Option(names = "--eval-only", description = "time evaluation steps only, e.g. task 4's test length:"
            + " --eval-only --batch 1 --steps 20200 --width 256")
    boolean evalOnly;

    @Option(names = "--eval-rows", description = "the most rows (examples x steps) per evaluation graph run, for"
            + " every model; default: train.eval-rows of the config (0 = no bound)")
    Long evalRows;

    @Option(names = "--engines", split = ",", description = "fused (the training engine), graph (the SameDiff"
            + " reference), or both side by side (default: bench.engines, fused)")
    List<String> engines;

    @Option(names = "--threads", description = "cores for ND4J's ops and the Java kernels; BLAS runs one"
            + " thread (default: every core)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--out", description = "file for the figures (default: bench.out, out/bench-models.txt)")
    File out;

    @Override
    public Integer call() throws Exception {
        Config conf = options.load();
        Keys.checkOwned(conf, Keys.BENCH.owners(), "bench", Set.of());
        Config b = conf.getConfig("bench");
        ModelConfig base = ModelConfig.fromConfig(conf.getConfig("model"));
        java.util.Map<String, Long> rows = evalRows != null ? java.util.Map.of("default", evalRows)
                : TrainConfig.evalRows(conf.getConfig("train"));
        File file = out != null ? out : new File(Keys.BENCH_OUT.read(b, "bench"));
        List<String> engineNames = engines != null ? Keys.BENCH_ENGINES.check(engines, "bench")
                : Keys.BENCH_ENGINES.read(b, "bench");
        ModelBench.Shape shape = new ModelBench.Shape(
                option(batch, Keys.BENCH_BATCH, b), option(steps, Keys.BENCH_STEPS, b),
                option(width, Keys.BENCH_WIDTH, b), option(layers, Keys.BENCH_LAYERS, b),
                option(vocab, Keys.BENCH_VOCAB, b), option(classes, Keys.BENCH_CLASSES, b),
                option(warmup, Keys.BENCH_WARMUP, b), option(warmupSeconds, Keys.BENCH_WARMUP_SECONDS, b),
                option(reps, Keys.BENCH_REPS, b),
                option(microBatch, Keys.BENCH_MICRO_BATCH, b), evalOnly, rows,
                engineNames);
        List<String> names = models != null ? Keys.BENCH_MODELS.check(models, "bench")
                : Keys.BENCH_MODELS.read(b, "bench");
        Threads.use(threads);
        Kernels.use(Kernels.parse("train.kernels", TrainConfig.fromConfig(conf.getConfig("train")).kernels()));
        ModelBench.run(names, base, shape, file.toPath());
        System.out.println("figures written to " + file);
        return 0;
    }

    /** The option when given (checked against its key's bounds), else the key. */
    private static int option(Integer given, org.selectivbench.settings.Setting<Integer> key, Config bench) {
        return given != null ? key.check(given, "bench") : key.read(bench, "bench");
    }
}
