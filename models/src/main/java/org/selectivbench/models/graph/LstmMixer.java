package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ops.impl.layers.recurrent.config.LSTMActivations;
import org.nd4j.linalg.api.ops.impl.layers.recurrent.config.LSTMDataFormat;
import org.nd4j.linalg.api.ops.impl.layers.recurrent.config.LSTMDirectionMode;
import org.nd4j.linalg.api.ops.impl.layers.recurrent.config.LSTMLayerConfig;
import org.nd4j.linalg.api.ops.impl.layers.recurrent.weights.LSTMLayerWeights;

/** Classic LSTM baseline (hidden size d) with SameDiff's fused lstmLayer op; init as torch (+-1/sqrt(d)). */
final class LstmMixer implements Mixer {
    private final ModelConfig c;

    LstmMixer(ModelConfig c) {
        this.c = c;
    }

    @Override
    public SDVariable apply(GraphBuilder g, String p, SDVariable x) {
        int d = c.width(), t = g.steps();
        ParamStore.Init init = ParamStore.Init.uniform(1.0 / Math.sqrt(d));
        LSTMLayerWeights w = LSTMLayerWeights.builder()
                .weights(g.param(p + ".wx", init, d, 4L * d))
                .rWeights(g.param(p + ".wh", init, d, 4L * d))
                .bias(g.param(p + ".b", init, 4L * d))
                .build();
        LSTMLayerConfig cfg = LSTMLayerConfig.builder()
                .lstmdataformat(LSTMDataFormat.NTS).directionMode(LSTMDirectionMode.FWD)
                .gateAct(LSTMActivations.SIGMOID).cellAct(LSTMActivations.TANH).outAct(LSTMActivations.TANH)
                .retFullSequence(true).retLastH(g.segment()).retLastC(g.segment()).build();
        SDVariable h0 = g.carriedIn(p + ".h", d), c0 = g.carriedIn(p + ".c", d); // [B, d] in a segment graph
        if (h0 == null) {
            return g.sd().rnn().lstmLayer(x.reshape(-1, t, d), w, cfg)[0].reshape(-1, d);
        }
        // M2.1's SameDiff lstmLayer hands its cLast and yLast arguments to the op in swapped order (the op
        // takes the initial h first): h0 goes in the cLast slot. Outputs: sequence, last h, last c.
        SDVariable[] out = g.sd().rnn().lstmLayer(x.reshape(-1, t, d), h0, c0, null, w, cfg);
        g.carryOut(p + ".h", out[1]);
        g.carryOut(p + ".c", out[2]);
        return out[0].reshape(-1, d);
    }

    /** The hidden and cell states. */
    @Override
    public boolean carriesState() {
        return true;
    }
}
