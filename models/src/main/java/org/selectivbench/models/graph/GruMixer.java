package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * Classic GRU baseline (hidden size d), torch's formulation and init (+-1/sqrt(d)):
 * r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z = sigmoid(W_iz x + b_iz + W_hz h + b_hz),
 * n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) n + z h.
 *
 * <p>Written from primitive ops and stepped over time: SameDiff M2.1's fused gru op has wrong
 * gradients (off by up to 100% in a gradient check), and a GRU has no parallel form. The input
 * projections of all steps are one matmul; each step is about a dozen small ops, so graphs grow
 * with T and training is slow (a baseline, not a model under study).
 */
final class GruMixer implements Mixer {
    private final ModelConfig c;

    GruMixer(ModelConfig c) {
        this.c = c;
    }

    @Override
    public SDVariable apply(GraphBuilder g, String p, SDVariable x) {
        SameDiff sd = g.sd();
        int d = c.width(), t = g.steps();
        ParamStore.Init init = ParamStore.Init.uniform(1.0 / Math.sqrt(d));
        SDVariable wh = g.param(p + ".wh", init, d, 3L * d);
        SDVariable bh = g.param(p + ".bh", init, 3L * d);
        // b_hr and b_hz simply add to the input projection; b_hn stays inside r * (W_hn h + b_hn)
        SDVariable bias = g.param(p + ".bx", init, 3L * d).add(sd.concat(0, bh.get(SDIndex.interval(0, 2 * d)),
                sd.zerosLike(bh.get(SDIndex.interval(2 * d, 3 * d)))));
        SDVariable bn = bh.get(SDIndex.interval(2 * d, 3 * d));
        SDVariable xg = x.mmul(g.param(p + ".wx", init, d, 3L * d)).add(bias);
        SDVariable[] steps = sd.unstack(xg.reshape(-1, t, 3 * d), 1, t); // [B, 3d] per step
        SDVariable[] hs = new SDVariable[t];
        SDVariable h = g.carriedIn(p + ".h", d); // h_0: the previous segment's last h, or null for 0
        for (int s = 0; s < t; s++) {
            SDVariable hg = h == null ? null : h.mmul(wh);
            SDVariable rzIn = cols(steps[s], 0, 2 * d);
            SDVariable rz = sd.nn().sigmoid(hg == null ? rzIn : rzIn.add(cols(hg, 0, 2 * d)));
            SDVariable r = cols(rz, 0, d), z = cols(rz, d, 2 * d);
            SDVariable hn = hg == null ? bn : cols(hg, 2 * d, 3 * d).add(bn);
            SDVariable n = sd.math().tanh(cols(steps[s], 2 * d, 3 * d).add(r.mul(hn)));
            h = h == null ? n.sub(z.mul(n)) : n.add(z.mul(h.sub(n)));
            hs[s] = h;
        }
        g.carryOut(p + ".h", h);
        return sd.stack(1, hs).reshape(-1, d);
    }

    /** The hidden state. */
    @Override
    public boolean carriesState() {
        return true;
    }

    private static SDVariable cols(SDVariable x, int from, int to) {
        return Mamba2Mixer.cols(x, from, to);
    }
}
