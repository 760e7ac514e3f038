package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import org.nd4j.autodiff.samediff.SDVariable;

/**
 * Ungated linear attention (SPEC 6 baseline): S = S + k v^T per head, o = S^T q, q scaled by
 * K^-1/2, identity feature map, per-head RMSNorm on the output, as the reference.
 */
final class LinearAttentionMixer implements Mixer {
    private final ModelConfig c;

    LinearAttentionMixer(ModelConfig c) {
        this.c = c;
    }

    @Override
    public SDVariable apply(GraphBuilder g, String p, SDVariable x) {
        int d = c.width(), h = c.heads(), k = c.headDim(), t = g.steps();
        SDVariable q = Blocks.toHeads(g.linear(p + ".q", x, d, d, false).mul(Math.pow(k, -0.5)), t, h, k);
        SDVariable kk = Blocks.toHeads(g.linear(p + ".k", x, d, d, false), t, h, k);
        SDVariable v = Blocks.toHeads(g.linear(p + ".v", x, d, d, false), t, h, k);
        SDVariable start = g.carriedIn(p + ".state", h, k, k); // [B, H, K, V] in a segment graph, else null
        Scans.Result scan = Scans.scalarDecay(g, p + ".scan", q, kk, v, null, k, k, c.chunkSize(),
                start == null ? null : start.reshape(-1, k, k));
        if (start != null) {
            g.carryOut(p + ".state", scan.end().reshape(-1, h, k, k));
        }
        SDVariable o = scan.out();
        SDVariable normed = Blocks.rmsNorm(g, p + ".norm", o.reshape(-1, k), k); // per head
        return g.linear(p + ".o", Blocks.fromHeads(normed.reshape(-1, t, k), t, h, k), d, d, false);
    }

    /** The state per head. */
    @Override
    public boolean carriesState() {
        return true;
    }
}
