package org.selectivbench.spark;

import java.io.Serializable;

/**
 * Carries out one run on an executor: trains (or, for an evaluation-only run, loads and evaluates)
 * and returns what it measured. Thrown exceptions are recorded as the run's failure reason.
 */
public interface RunExecutor extends Serializable {

    /** Where a run executes: the device it was given and its files. */
    record Context(String sweepId, String outputRoot, String device, int cores, ResultStore store) {
    }

    /**
     * What a run measured; the sweep adds the coordinates, references and provenance.
     * {@code nd4jDevice} is the device ND4J reports it ran on ({@code cpu}, {@code cuda:0 NAME (sm_86)}).
     */
    record Outcome(long params, double finalAccuracy, double bestAccuracy, long updates, double trainSeconds,
                   double updatesPerSecond, double stepsPerSecond, String backend, String nd4jDevice,
                   java.util.List<RunResult.CurvePoint> curve) {
    }

    Outcome execute(RunSpec run, Context context) throws Exception;
}
