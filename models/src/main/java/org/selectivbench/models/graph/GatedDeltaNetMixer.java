package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import org.nd4j.autodiff.samediff.SDVariable;

/**
 * Gated DeltaNet (SPEC 6): S = alpha (I - beta k k^T) S + beta k v^T per head, log alpha = -exp(A_log)
 * softplus(a_proj(x) + dt_bias), A init U(0, 16), inverse-softplus dt_bias; gated RMSNorm output; head dim
 * d / H, expand_v = model.expand (2); beta = sigmoid, or 2 sigmoid with model.allow-negative-eigenvalues;
 * model.forget-floor honoured. See {@link DeltaFamily} and {@link DeltaRuleScan}.
 */
final class GatedDeltaNetMixer implements Mixer {
    private final ModelConfig c;

    GatedDeltaNetMixer(ModelConfig c) {
        this.c = c;
    }

    @Override
    public SDVariable apply(GraphBuilder g, String prefix, SDVariable x) {
        return DeltaFamily.apply(c, g, prefix, x, true, 1, c.allowNegativeEigenvalues());
    }

    /** The short convs' last inputs and the delta-rule state per head. */
    @Override
    public boolean carriesState() {
        return true;
    }
}
