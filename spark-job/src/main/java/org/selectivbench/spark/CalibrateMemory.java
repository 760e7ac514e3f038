package org.selectivbench.spark;

import java.io.File;
import java.util.concurrent.Callable;
import org.selectivbench.models.train.MemoryCalibration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code selectivbench calibrate-memory}: refits the weights of the per-run memory estimate. */
@Command(name = "calibrate-memory", mixinStandardHelpOptions = true,
        description = "Measure the step workspace of every model at random shapes, fit the memory estimate's"
                + " weights, print the fit and write them (rerun after changing what a step allocates;"
                + " docs/models.md).")
final class CalibrateMemory implements Callable<Integer> {
    @Option(names = "--out", description = "file for the weights (default: ${DEFAULT-VALUE})")
    File out = new File(MemoryCalibration.SOURCE);

    @Option(names = "--samples", description = "random shapes per model, form and phase (default: ${DEFAULT-VALUE})")
    int samples = 40;

    @Option(names = "--seed", description = "seed of the shapes (default: ${DEFAULT-VALUE})")
    long seed = 11;

    @Override
    public Integer call() throws Exception {
        int weights = org.selectivbench.models.train.MemoryEstimate.Term.values().length;
        if (samples <= weights) {
            throw new IllegalArgumentException("--samples = " + samples + ": the fit has " + weights
                    + " weights per model; give more shapes than that");
        }
        MemoryCalibration.run(out.toPath(), samples, seed);
        return 0;
    }
}
