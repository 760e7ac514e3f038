package org.selectivbench.spark;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;

/**
 * A stand-in for training in tests of the sweep machinery: it logs each execution to a file (so
 * tests can count executions, also across processes), optionally sleeps, fails for the models it is
 * told to, and reports an accuracy derived from the run's coordinates.
 */
final class FakeExecutor implements RunExecutor {
    /** A run of this model kills the JVM it runs in: a lost executor, in local-cluster mode. */
    static final String KILLS_ITS_EXECUTOR = "s4d";
    /** A run of this model finds a GPU the CUDA build cannot run on. */
    static final String UNSUPPORTED_GPU = "lstm";

    private final String log;
    private final Set<String> failingModels;
    private final long sleepMillis;
    private final double offset;

    FakeExecutor(Path log, Set<String> failingModels, long sleepMillis) {
        this(log, failingModels, sleepMillis, 0);
    }

    /** {@code offset} is added to every accuracy: two sweeps with different offsets differ everywhere. */
    FakeExecutor(Path log, Set<String> failingModels, long sleepMillis, double offset) {
        this.log = log.toString();
        this.failingModels = Set.copyOf(failingModels);
        this.sleepMillis = sleepMillis;
        this.offset = offset;
    }

    @Override
    public Outcome execute(RunSpec run, Context context) throws Exception {
        synchronized (FakeExecutor.class) {
            // The run, its device and the GPU environment native code (CUDA) would see in this JVM.
            Files.writeString(Path.of(log), String.join(" ", run.runId(), context.device(),
                    GpuSelection.VISIBLE + "=" + GpuSelection.nativeEnv(GpuSelection.VISIBLE),
                    GpuSelection.ORDER + "=" + GpuSelection.nativeEnv(GpuSelection.ORDER),
                    "cuda-index=" + GpuSelection.cudaIndex(context.device().replaceFirst("^gpu:", ""))) + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        Thread.sleep(sleepMillis);
        if (failingModels.contains(run.model())) {
            throw new IllegalStateException("loss became NaN at update 3 (fake)");
        }
        if (run.model().equals(UNSUPPORTED_GPU)) {
            throw new Nd4jDevice.UnsupportedGpuException(Nd4jDevice.unsupported("NVIDIA H100", 9, 0));
        }
        if (run.model().equals(KILLS_ITS_EXECUTOR)) {
            Runtime.getRuntime().halt(137); // as the OOM killer would: no exception, no cleanup
        }
        double acc = accuracy(run) + offset;
        return new Outcome(1000 + run.width(), acc, acc + 0.01, 10, 1.0, 10.0, 4000.0, "fake", "fake",
                List.of(new RunResult.CurvePoint(5, 1e-3, 2.0, acc / 2, 0.5),
                        new RunResult.CurvePoint(10, 0.0, 1.0, acc, 1.0)));
    }

    /** Deterministic in the coordinates; a higher learning rate scores higher, seeds differ slightly. */
    static double accuracy(RunSpec run) {
        return 0.5 + run.lr() * 10 + run.seed() * 0.01 + (run.task().equals("task4") ? -0.1 : 0);
    }

    /** Ids of the runs executed, in order. */
    static List<String> executions(Path log) throws java.io.IOException {
        return details(log).stream().map(l -> l.split(" ")[0]).toList();
    }

    /** One line per execution: run id, device, and the native CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER. */
    static List<String> details(Path log) throws java.io.IOException {
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }
}
