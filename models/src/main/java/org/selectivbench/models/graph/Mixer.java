package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import org.nd4j.autodiff.samediff.SDVariable;

/**
 * One sequence-mixing layer. It adds its ops and parameters (named under {@code prefix}) to the
 * graph and maps x to an output of the same shape. Both are rank 2, [B*T, width], rows ordered
 * (b, t), see {@link GraphBuilder}; the time axis is {@link GraphBuilder#steps()}.
 */
public interface Mixer {
    SDVariable apply(GraphBuilder g, String prefix, SDVariable x);

    /**
     * Whether the mixer hands its recurrent state from one segment graph to the next
     * ({@link GraphBuilder#carriedIn}, {@link GraphBuilder#carryOut}), so that a long evaluation can
     * run in segments with the memory of one; the others evaluate whole sequences.
     */
    default boolean carriesState() {
        return false;
    }
}
