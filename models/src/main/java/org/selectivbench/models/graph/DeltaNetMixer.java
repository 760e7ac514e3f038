package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import org.nd4j.autodiff.samediff.SDVariable;

/**
 * DeltaNet (SPEC 6): S = (I - beta k k^T) S + beta k v^T per head, o = S^T q; beta = sigmoid (2 sigmoid with
 * model.allow-negative-eigenvalues); q, k SiLU-conv then L2-normed, q scaled by K^-1/2; plain RMSNorm output,
 * no gate; expand_v = model.expand (2). See {@link DeltaFamily} and {@link DeltaRuleScan}.
 */
final class DeltaNetMixer implements Mixer {
    private final ModelConfig c;

    DeltaNetMixer(ModelConfig c) {
        this.c = c;
    }

    @Override
    public SDVariable apply(GraphBuilder g, String prefix, SDVariable x) {
        return DeltaFamily.apply(c, g, prefix, x, false, 1, c.allowNegativeEigenvalues());
    }

    /** The short convs' last inputs and the delta-rule state per head. */
    @Override
    public boolean carriesState() {
        return true;
    }
}
