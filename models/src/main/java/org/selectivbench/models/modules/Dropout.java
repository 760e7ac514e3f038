package org.selectivbench.models.modules;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Inverted dropout on rows [R, n]: a mask from the pass's {@link DropoutMasks} when it has them
 * (training), nothing otherwise. Masks are drawn in the order the layers run, which is the order the
 * SameDiff reference graph declares them.
 */
public final class Dropout {
    private final String site;
    private final double p;
    private INDArray mask;

    /** Dropout with probability {@code p} at {@code site} (the reference graph's name for it). */
    public Dropout(String site, double p) {
        this.site = site;
        this.p = p;
    }

    public INDArray forward(Pass pass, INDArray x) {
        if (p == 0 || pass.dropoutMasks() == null) {
            mask = null;
            return x;
        }
        mask = pass.dropoutMasks().mask(site, pass.batch(), pass.steps(), (int) x.size(1), p, x.dataType());
        return x.mul(mask);
    }

    public INDArray backward(INDArray dy) {
        INDArray dx = mask == null ? dy : dy.mul(mask);
        mask = null;
        return dx;
    }
}
