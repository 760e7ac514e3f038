package org.selectivbench.models.modules;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.BernoulliDistribution;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where dropout masks come from: one mask per dropout site and pass, entries 0 or 1 / (1 - p), rows
 * [batch*steps] ordered (b, t). Training draws them from a seeded generator in the order the sites run;
 * a test may give both the reference graph and the engine the same masks whatever their padding.
 */
@FunctionalInterface
public interface DropoutMasks {
    INDArray mask(String site, int batch, int steps, int width, double p, DataType dt);

    /** Bernoulli(1 - p) / (1 - p) masks from {@code rng}, drawn in call order. */
    static DropoutMasks random(Random rng) {
        return (site, batch, steps, width, p, dt) -> {
            double keep = 1 - p;
            INDArray mask = Nd4j.createUninitialized(dt, (long) batch * steps, width);
            Nd4j.getExecutioner().exec(new BernoulliDistribution(mask, keep), rng);
            return mask.divi(keep);
        };
    }
}
