package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import org.nd4j.autodiff.samediff.SDVariable;

/**
 * Gated DeltaProduct (SPEC 6): S = alpha S, then for j = 1..n_h: S = S + beta_j k_j (v_j - S^T k_j)^T, read out
 * after the last sub-step; n_h = model.householder-steps key/value/beta sets per token, otherwise as Gated
 * DeltaNet. beta is always 2 sigmoid, in (0, 2): the SPEC 6 table fixes it for this model (as the reference
 * and the PyTorch peer), so model.allow-negative-eigenvalues does not switch it off here. The scan runs the
 * delta rule on the n_h-times-longer interleaved sequence ({@link DeltaRuleScan#product}).
 */
final class GatedDeltaProductMixer implements Mixer {
    private final ModelConfig c;

    GatedDeltaProductMixer(ModelConfig c) {
        this.c = c;
    }

    @Override
    public SDVariable apply(GraphBuilder g, String prefix, SDVariable x) {
        return DeltaFamily.apply(c, g, prefix, x, true, c.householderSteps(), true);
    }

    /** The short convs' last inputs and the delta-rule state per head. */
    @Override
    public boolean carriesState() {
        return true;
    }
}
