package org.selectivbench.models.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.models.modules.Pass;

/**
 * One sequence-mixing layer with an explicit backward pass: maps rows x [B*T, d] (ordered (b, t)) to
 * rows of the same shape. A training forward keeps what backward needs; backward adds the parameter
 * gradients and returns the gradient of x. A layer holds only its parametrization; the sequence math is
 * one op of {@code models.ops}.
 */
public interface Mixer {
    INDArray forward(Pass p, INDArray x);

    INDArray backward(Pass p, INDArray dy);

    /**
     * Whether the layer hands its recurrent state from one segment of a long evaluation to the next
     * ({@link Pass#carried}, {@link Pass#carry}); the others evaluate whole sequences.
     */
    boolean carriesState();
}
