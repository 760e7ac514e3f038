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
            Files.writeString(Path.of(log), run.runId() + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        }
        Thread.sleep(sleepMillis);
        if (failingModels.contains(run.model())) {
            throw new IllegalStateException("loss became NaN at update 3 (fake)");
        }
        if (run.model().equals(KILLS_ITS_EXECUTOR)) {
            Runtime.getRuntime().halt(137); // as the OOM killer would: no exception, no cleanup
        }
        double acc = accuracy(run) + offset;
        return new Outcome(1000 + run.width(), acc, acc + 0.01, 10, 1.0, 10.0, 4000.0, "fake",
                List.of(new RunResult.CurvePoint(5, 1e-3, 2.0, acc / 2, 0.5),
                        new RunResult.CurvePoint(10, 0.0, 1.0, acc, 1.0)));
    }

    /** Deterministic in the coordinates; a higher learning rate scores higher, seeds differ slightly. */
    static double accuracy(RunSpec run) {
        return 0.5 + run.lr() * 10 + run.seed() * 0.01 + (run.task().equals("task4") ? -0.1 : 0);
    }

    static List<String> executions(Path log) throws java.io.IOException {
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }
}
