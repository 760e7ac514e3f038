package org.selectivbench.models;

import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;

/**
 * Classic GRU baseline (hidden size d) with SameDiff's fused gru op (time-major); init as torch.
 * NOT SELECTABLE: in M2.1 the op's backprop disagrees with finite differences (GradientCheckTest),
 * so {@link Mixers} refuses "gru". Kept so the check can be rerun on a newer SameDiff.
 */
final class GruMixer implements Mixer {
    private final ModelConfig c;

    GruMixer(ModelConfig c) {
        this.c = c;
    }

    @Override
    public SDVariable apply(GraphBuilder g, String p, SDVariable x) {
        int d = c.width(), t = g.steps();
        ParamStore.Init init = ParamStore.Init.uniform(1.0 / Math.sqrt(d));
        SDVariable seq = x.reshape(-1, t, d).permute(1, 0, 2); // [T, B, d]
        SDVariable h0 = seq.get(SDIndex.point(0), SDIndex.all(), SDIndex.all()).mul(0.0); // zeros [B, d]
        SDVariable h = g.sd().rnn().gru(seq, h0, g.param(p + ".wx", init, d, 3L * d),
                g.param(p + ".wh", init, d, 3L * d), g.param(p + ".b", init, 3L * d));
        return h.permute(1, 0, 2).reshape(-1, d);
    }
}
