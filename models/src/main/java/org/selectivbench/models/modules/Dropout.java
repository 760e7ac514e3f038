package org.selectivbench.models.modules;

import org.nd4j.linalg.api.buffer.DataType;
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
    private float[] floats;

    /** Dropout with probability {@code p} at {@code site} (the reference graph's name for it). */
    public Dropout(String site, double p) {
        this.site = site;
        this.p = p;
    }

    public INDArray forward(Pass pass, INDArray x) {
        INDArray m = draw(pass, (int) x.size(1), x.dataType());
        return m == null ? x : x.mul(m);
    }

    public INDArray backward(INDArray dy) {
        INDArray m = taken();
        return m == null ? dy : dy.mul(m);
    }

    /** This pass's mask for rows of {@code width} (null: dropout off), kept for the backward pass. */
    INDArray draw(Pass pass, int width, DataType dt) {
        mask = p == 0 || pass.dropoutMasks() == null ? null
                : pass.dropoutMasks().mask(site, pass.batch(), pass.steps(), width, p, dt);
        INDArray m = mask;
        if (!pass.keep()) {
            mask = null;
        }
        return m;
    }

    /** The mask the forward pass drew (null when off), handed to the backward pass once. */
    INDArray taken() {
        INDArray m = mask;
        mask = null;
        return m;
    }

    /** {@link #draw} for a float32 Java path: the mask as a Java array. */
    public float[] drawFloats(Pass pass, int width) {
        floats = p == 0 || pass.dropoutMasks() == null ? null
                : pass.dropoutMasks().floats(site, pass.batch(), pass.steps(), width, p);
        float[] m = floats;
        if (!pass.keep()) {
            floats = null;
        }
        return m;
    }

    /** {@link #taken} of {@link #drawFloats}. */
    public float[] takenFloats() {
        float[] m = floats;
        floats = null;
        return m;
    }
}
