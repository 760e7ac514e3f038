package org.selectivbench.spark;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.selectivbench.data.CodeVersion;
import org.selectivbench.data.DatasetStore;

/**
 * The body of one Spark task of a sweep: find the device Spark gave the task, execute the run,
 * and record the result whatever happens. An exception becomes a failed row with its reason; only
 * a failure to write the row itself escapes (the driver then records the run as failed, unless a row
 * appeared meanwhile). An attempt that finds the run recorded as ok (an earlier attempt wrote it and
 * then lost its executor) returns that row instead of training again.
 */
final class RunTask {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RunTask.class);
    /** Stack frames a failed run's row keeps. */
    static final int FRAMES = 8;

    private RunTask() {
    }

    /** Returns a one-line summary for the driver's progress output. */
    static String execute(RunSpec run, String sweepId, String outputRoot, String configJson, HadoopConf hadoopConf,
                          RunExecutor executor) throws IOException {
        Configuration hadoop = hadoopConf.get();
        ResultStore store = new ResultStore(outputRoot, sweepId, hadoop);
        java.util.Optional<ResultStore.Recorded> done = store.read(run.runId());
        if (done.isPresent() && done.get().ok()) {
            return summary(done.get(), 0) + " (recorded by an earlier attempt)";
        }
        String device = device();
        int cores = TaskContext.get() == null ? 1 : TaskContext.get().cpus();
        long started = System.currentTimeMillis();
        RunResult result;
        try {
            RunExecutor.Outcome o = executor.execute(run, new RunExecutor.Context(sweepId, outputRoot, device, cores,
                    store));
            result = succeeded(sweepId, run, o, references(outputRoot, run, hadoop), device, configJson);
        } catch (Throwable t) {
            if (TaskContext.get() != null && TaskContext.get().isInterrupted()) {
                // Spark killed this task (the application is stopping, or its job was cancelled):
                // not a failure of the run, so no row; the driver decides what to record
                throw new IllegalStateException("task killed: " + reason(t), t);
            }
            LOG.error("run " + run.runId() + " failed", t); // the whole trace; the row keeps its first lines
            result = failed(sweepId, run, reason(t), device, configJson);
        }
        return summary(store.write(result), (System.currentTimeMillis() - started) / 1000.0);
    }

    /** The row of a run that finished; refs are chance, symbol-only and oracle. */
    static RunResult succeeded(String sweepId, RunSpec run, RunExecutor.Outcome o, double[] refs, String device,
                               String configJson) {
        return new RunResult(sweepId, run, RunResult.OK, "", o.params(), o.finalAccuracy(), o.bestAccuracy(),
                refs[0], refs[1], refs[2], o.updates(), o.trainSeconds(), o.updatesPerSecond(), o.stepsPerSecond(),
                o.backend(), device, o.nd4jDevice(), CodeVersion.get(), configJson, System.currentTimeMillis(), o.curve());
    }

    static RunResult failed(String sweepId, RunSpec run, String reason, String device, String configJson) {
        return new RunResult(sweepId, run, RunResult.FAILED, reason, 0, Double.NaN, Double.NaN, Double.NaN,
                Double.NaN, Double.NaN, 0, 0, 0, 0, "", device, "", CodeVersion.get(), configJson,
                System.currentTimeMillis(), List.of());
    }

    static String summary(ResultStore.Recorded r, double seconds) {
        // The reason's first two lines (what and where) keep the progress output one line per run.
        return r.ok() ? String.format("%s ok: accuracy %.4f (best %.4f), %.0f s", r.runId(), r.finalAccuracy(),
                r.bestAccuracy(), seconds)
                : r.runId() + " FAILED: " + String.join(" ", r.failure().lines().limit(2).toList());
    }

    /** The GPU address Spark assigned to this task, or "cpu". */
    static String device() {
        TaskContext tc = TaskContext.get();
        if (tc != null) {
            Map<String, ResourceInformation> res = tc.resourcesJMap();
            ResourceInformation gpu = res.get("gpu");
            if (gpu != null && gpu.addresses().length > 0) {
                return "gpu:" + gpu.addresses()[0];
            }
        }
        return "cpu";
    }

    /** Chance, symbol-only and oracle accuracies from the test split's manifest. */
    static double[] references(String outputRoot, RunSpec run, Configuration hadoop) {
        DatasetStore data = new DatasetStore(outputRoot, hadoop);
        var m = data.readManifest(data.splitDir(run.dataset(), run.testSplit()));
        return new double[] {m.getDouble("references.chance"), m.getDouble("references.symbol-only"),
                m.getDouble("references.oracle")};
    }

    /**
     * The exception's class and message, its root cause, and the first stack frames: enough to act
     * on from the runs table (the whole trace is in the executor's log).
     */
    static String reason(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = t.getClass().getSimpleName() + ": " + t.getMessage();
        if (root != t) {
            msg += " (cause: " + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
        }
        StringWriter trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        List<String> frames = trace.toString().lines().skip(1).map(String::strip).filter(l -> l.startsWith("at "))
                .limit(FRAMES).toList();
        return frames.isEmpty() ? msg : msg + "\n" + String.join("\n", frames);
    }
}
