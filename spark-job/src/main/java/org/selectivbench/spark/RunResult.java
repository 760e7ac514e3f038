package org.selectivbench.spark;

import java.io.Serializable;
import java.util.List;

/**
 * One row of a sweep's runs table: the run's coordinates, what happened, and what it measured.
 * Accuracies are NaN for a failed run; references come from the test split's manifest.
 */
public record RunResult(String sweepId, RunSpec run, String status, String failure, long params,
                        double finalAccuracy, double bestAccuracy, double chance, double symbolOnly, double oracle,
                        long updates, double trainSeconds, double updatesPerSecond, double stepsPerSecond,
                        String backend, String device, String nd4jDevice, String codeVersion, String config, long finishedAtMillis,
                        List<CurvePoint> curve) implements Serializable {

    public static final String OK = "ok";
    public static final String FAILED = "failed";

    /** One evaluation of a run's learning curve. */
    public record CurvePoint(long step, double lr, double loss, double accuracy, double elapsedSeconds)
            implements Serializable {
    }

    public boolean ok() {
        return OK.equals(status);
    }
}
