package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Builds the graph of the SPEC 6 wrapper around a mixer for one sequence length: x = Linear(V -> d)(input);
 * L times x = LayerNorm(x + Dropout(mixer(x))) (post-norm), optionally followed by
 * x = LayerNorm(x + Dropout(MLP(x))) when mlp-expansion > 0; then Linear(d -> classes) per step, the
 * softmax "probs" and the loss "loss". A training graph also gets its gradient function; a segment
 * graph (evaluation of a long sequence in segments) gets the mixers' carried states instead.
 */
final class WrapperGraph {
    private WrapperGraph() {
    }

    static GraphModel.Graph build(ModelConfig config, Mixer mixer, ParamStore params, int vocab, int classes, int t,
                                     boolean segment) {
        SameDiff sd = SameDiff.create();
        GraphBuilder g = new GraphBuilder(sd, params, t, config.dropout(), segment);
        DataType dt = params.dtype();
        int d = config.width();
        SDVariable input = sd.placeHolder("input", dt, -1, t, vocab);
        SDVariable x = g.linear("enc", input.reshape(-1, vocab), vocab, d, true);
        for (int i = 0; i < config.layers(); i++) {
            String p = "l" + i;
            SDVariable m = mixer.apply(g, p + "." + config.name(), x);
            x = layerNorm(g, p + ".ln", x.add(g.dropout(p + ".mixer", m, d)), d);
            if (config.mlpExpansion() > 0) {
                int hid = config.mlpExpansion() * d;
                SDVariable mlp = g.linear(p + ".mlp2", sd.nn().gelu(g.linear(p + ".mlp1", x, d, hid, true)), hid, d, true);
                x = layerNorm(g, p + ".mlp_ln", x.add(g.dropout(p + ".mlp", mlp, d)), d);
            }
        }
        // Decoder with its bias folded into the matmul ([x, 1] times [W; b]): the [B*T, classes]
        // logits are the largest arrays of the step, and a separate bias add costs one more of them
        // forward and another in backprop. Parameters stay dec.w [d, classes] and dec.b [classes].
        double bound = 1.0 / Math.sqrt(d);
        SDVariable decW = g.param("dec.w", ParamStore.Init.uniform(bound), d, classes);
        SDVariable decB = g.param("dec.b", ParamStore.Init.uniform(bound), classes);
        SDVariable ones = sd.placeHolder("ones", dt, -1, 1);
        SDVariable logits = sd.concat(1, x, ones).mmul(sd.concat(0, decW, decB.reshape(1, classes)));
        logits.rename("logits");
        SDVariable targets = sd.placeHolder("targets", DataType.INT32, -1);
        SDVariable weights = sd.placeHolder("weights", dt, -1);
        crossEntropy(sd, logits, targets, weights, classes, dt);
        if (segment) { // evaluation only: no gradients
            if (g.carried().isEmpty()) {
                throw new IllegalStateException("model " + config.name() + " carries no state: no segment graphs");
            }
            for (String n : g.carried().keySet()) {
                if (!sd.hasVariable(GraphBuilder.carryOutName(n))) {
                    throw new IllegalStateException("model " + config.name() + ": carried state " + n
                            + " enters a segment but is never handed on (carryOut)");
                }
            }
            return new GraphModel.Graph(sd, t, List.copyOf(g.paramNames()),
                    Collections.unmodifiableMap(new LinkedHashMap<>(g.dropoutMasks())),
                    Collections.unmodifiableMap(new LinkedHashMap<>(g.carried())));
        }
        sd.setLossVariables("loss");
        QuietGradients.create(sd);
        // In build order: Map.copyOf iterates in an order salted per JVM, which drew the dropout masks
        // in a different order in every process (the same run trained differently across processes).
        return new GraphModel.Graph(sd, t, List.copyOf(g.paramNames()),
                Collections.unmodifiableMap(new LinkedHashMap<>(g.dropoutMasks())), Map.of());
    }

    /**
     * Adds "probs" (softmax of the logits) and "loss" = sum_rows weight * (logsumexp(logits) -
     * logit[target]). The [B*T, classes] arrays are the largest of a step, so the form keeps them
     * few and uses only plain elementwise ops and reductions over them: M2.1's logSoftmax and its
     * backprop took about 0.9 s each at the bench shape, its fused softmax_cross_entropy_loss 1.1 s
     * forward and 1.8 s back, where an elementwise op on such an array takes a few tens of ms.
     * The row maximum that keeps exp from overflowing is passed through an integer cast: it is a
     * constant shift (logsumexp does not depend on it), so no gradient needs to flow through it,
     * and an integer-typed variable is not differentiated (no [B*T, classes] reduce_max backprop).
     */
    static void crossEntropy(SameDiff sd, SDVariable logits, SDVariable targets, SDVariable weights, int classes,
                             DataType dt) {
        SDVariable shift = logits.max(true, 1).castTo(DataType.INT32).castTo(dt); // floor(max) per row, [R, 1]
        SDVariable e = sd.math().exp(logits.sub(shift)); // <= e
        SDVariable sum = e.sum(true, 1); // [R, 1]
        e.div("probs", sum);
        SDVariable lse = sd.math().log(sum).add(shift).reshape(-1);
        SDVariable onehot = sd.oneHot(targets, classes, -1, 1.0, 0.0, dt);
        SDVariable picked = logits.mul(onehot).sum(1);
        lse.sub(picked).mul(weights).sum().rename("loss");
    }

    /**
     * LayerNorm as PyTorch's (SPEC 6): (x - mean) / sqrt(var + 1e-5) * g + b. Written out because M2.1's
     * layerNorm op has no epsilon: it divides by the standard deviation itself, so rows of tiny spread
     * came out as +-1 instead of being damped.
     */
    static SDVariable layerNorm(GraphBuilder g, String name, SDVariable x, int d) {
        SDVariable gain = g.param(name + ".g", ParamStore.Init.constant(1.0), d);
        SDVariable bias = g.param(name + ".b", ParamStore.Init.constant(0.0), d);
        SameDiff sd = g.sd();
        SDVariable xc = x.sub(x.mean(true, 1));
        SDVariable var = sd.math().square(xc).mean(true, 1);
        return xc.mul(sd.math().rsqrt(var.add(LAYER_NORM_EPS))).mul(gain).add(bias);
    }

    static final double LAYER_NORM_EPS = 1e-5;
}
