package org.selectivbench.models.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.models.modules.Pass;
import org.selectivbench.models.ops.Host;

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
     * The float32 Java path's forward pass, on rows as a Java array [B*T, d] that the caller leaves
     * unchanged (the layer may keep it for backward). A layer that computes in Java arrays takes them as
     * they are, with no copies to and from ND4J; by default the pass goes through ND4J arrays.
     */
    default float[] forwardFloats(Pass p, float[] x) {
        long rows = p.rows();
        return Host.readFloats(forward(p, Host.array(x, rows, x.length / rows)));
    }

    /** The backward pass after {@link #forwardFloats}; it does not write into dy. */
    default float[] backwardFloats(Pass p, float[] dy) {
        long rows = p.rows();
        return Host.readFloats(backward(p, Host.array(dy, rows, dy.length / rows)));
    }

    /**
     * Whether the layer hands its recurrent state from one segment of a long evaluation to the next
     * ({@link Pass#carried}, {@link Pass#carry}); the others evaluate whole sequences.
     */
    boolean carriesState();
}
