package org.selectivbench.models;

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
                .retFullSequence(true).retLastH(false).retLastC(false).build();
        SDVariable[] out = g.sd().rnn().lstmLayer(x.reshape(-1, t, d), w, cfg);
        return out[0].reshape(-1, d);
    }
}
