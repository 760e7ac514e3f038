package org.selectivbench.spark;

import java.io.File;
import java.util.List;
import java.util.concurrent.Callable;
import org.selectivbench.models.train.ModelBench;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import org.selectivbench.models.ops.Threads;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code selectivbench bench}: ms per training step and per evaluation step of every model at one shape. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time one training step and one evaluation step per model; prints figures and writes --out.")
final class BenchCommand implements Callable<Integer> {
    @CommandLine.Mixin
    SelectivBench.ConfigOptions options = new SelectivBench.ConfigOptions();

    @Option(names = "--models", split = ",", description = "models to time (default: all)")
    List<String> models = ModelConfig.MODELS;

    @Option(names = "--batch", description = "default: ${DEFAULT-VALUE}")
    int batch = ModelBench.Shape.defaults().batch();

    @Option(names = "--steps", description = "time steps per example (default: ${DEFAULT-VALUE})")
    int steps = ModelBench.Shape.defaults().steps();

    @Option(names = "--width", description = "default: ${DEFAULT-VALUE}")
    int width = ModelBench.Shape.defaults().width();

    @Option(names = "--layers", description = "default: ${DEFAULT-VALUE}")
    int layers = ModelBench.Shape.defaults().layers();

    @Option(names = "--vocab", description = "default: ${DEFAULT-VALUE}")
    int vocab = ModelBench.Shape.defaults().vocab();

    @Option(names = "--classes", description = "default: ${DEFAULT-VALUE}")
    int classes = ModelBench.Shape.defaults().classes();

    @Option(names = "--warmup", description = "untimed steps first: graphs, workspaces and the JIT (default: ${DEFAULT-VALUE})")
    int warmup = ModelBench.Shape.defaults().warmup();

    @Option(names = "--reps", description = "timed repetitions; the median is reported (default: ${DEFAULT-VALUE})")
    int reps = ModelBench.Shape.defaults().reps();

    @Option(names = "--micro-batch", description = "examples per piece of a training step's gradient and of an"
            + " evaluation; 0 = the whole batch (default: ${DEFAULT-VALUE})")
    int microBatch = ModelBench.Shape.defaults().microBatch();

    @Option(names = "--eval-only", description = "time evaluation steps only, e.g. task 4's test length:"
            + " --eval-only --batch 1 --steps 20200 --width 256")
    boolean evalOnly;

    @Option(names = "--eval-rows", description = "the most rows (examples x steps) per evaluation graph run, for"
            + " every model; default: train.eval-rows of the config (0 = no bound)")
    Long evalRows;

    @Option(names = "--engines", split = ",", description = "fused (the training engine), graph (the SameDiff"
            + " reference), or both side by side (default: ${DEFAULT-VALUE})")
    List<String> engines = ModelBench.Shape.defaults().engines();

    @Option(names = "--threads", description = "cores for ND4J, BLAS and the kernels (default: every core)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--out", description = "file for the figures (default: ${DEFAULT-VALUE})")
    File out = new File("out/bench-models.txt");

    @Override
    public Integer call() throws Exception {
        com.typesafe.config.Config conf = options.load();
        ModelConfig base = ModelConfig.fromConfig(conf.getConfig("model"));
        java.util.Map<String, Long> rows = evalRows != null ? java.util.Map.of("default", evalRows)
                : TrainConfig.evalRows(conf.getConfig("train"));
        Threads.use(threads);
        ModelBench.run(models, base, new ModelBench.Shape(batch, steps, width, layers, vocab, classes, warmup, reps, microBatch,
                evalOnly, rows, engines), out.toPath());
        System.out.println("figures written to " + out);
        return 0;
    }
}
