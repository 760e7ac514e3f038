package org.selectivbench.models.modules;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.models.ops.Host;

/**
 * Where dropout masks come from: one mask per dropout site and pass, entries 0 or 1 / (1 - p), rows
 * [batch*steps] ordered (b, t). Training draws them from a seeded generator in the order the sites run;
 * a test may give both the reference graph and the engine the same masks whatever their padding.
 */
@FunctionalInterface
public interface DropoutMasks {
    INDArray mask(String site, int batch, int steps, int width, double p, DataType dt);

    /** The float32 mask as a Java array (the Java path's), the same entries as {@link #mask}'s. */
    default float[] floats(String site, int batch, int steps, int width, double p) {
        return Host.readFloats(mask(site, batch, steps, width, p, DataType.FLOAT));
    }

    /** Masks from {@link SeededMasks}' generator: the same for a seed on every backend. */
    static DropoutMasks seeded(long seed) {
        return new SeededMasks(seed);
    }
}
