package org.selectivbench.spark;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * A stand-in for training in the fault-injection tests: it appends "start RUN" and "done RUN" to a
 * log shared by every process (driver and executors, across restarts), and "dup RUN" when it is
 * asked to execute a run that is already recorded as ok, which a sweep must never do. Its accuracy
 * is FakeExecutor's, so a row can be checked against the run it claims to be.
 */
final class CountingExecutor implements RunExecutor {
    private final String log;
    private final long sleepMillis;

    CountingExecutor(Path log, long sleepMillis) {
        this.log = log.toString();
        this.sleepMillis = sleepMillis;
    }

    @Override
    public Outcome execute(RunSpec run, Context context) throws Exception {
        if (context.store().read(run.runId()).map(ResultStore.Recorded::ok).orElse(false)) {
            append("dup " + run.runId());
        }
        append("start " + run.runId());
        Thread.sleep(sleepMillis);
        double acc = FakeExecutor.accuracy(run);
        append("done " + run.runId());
        return new Outcome(1000 + run.width(), acc, acc, 10, 1.0, 10.0, 4000.0, "fake", "fake",
                List.of(new RunResult.CurvePoint(10, 0.0, 1.0, acc, 1.0)));
    }

    private void append(String line) throws java.io.IOException {
        // one write call per line with O_APPEND: lines from several processes do not interleave
        Files.write(Path.of(log), (line + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    static List<String> lines(Path log) throws java.io.IOException {
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }
}
