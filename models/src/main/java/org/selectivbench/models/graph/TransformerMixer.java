package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Transformer layer of the reference (SPEC 6): causal softmax attention over the whole sequence
 * (quadratic form; in query blocks beyond 1,024 steps), RoPE base 1000, per-head RMS norm on q and k, q/k/v/out linear with bias, branch
 * RMSNorm, then a SwiGLU FFN of width 4d with a trainable swish beta and dropout. As in the reference
 * the layer's output already contains its residual (x + attn, then + ffn); the wrapper adds x again.
 */
final class TransformerMixer implements Mixer {
    private static final double ROPE_BASE = 1000.0;
    /** Longer sequences attend in blocks of this many queries (see {@link #attention}). */
    static final int QUERY_BLOCK = 1024;
    private final ModelConfig c;

    TransformerMixer(ModelConfig c) {
        this.c = c;
    }

    @Override
    public SDVariable apply(GraphBuilder g, String p, SDVariable x) {
        SameDiff sd = g.sd();
        int d = c.width(), h = c.heads(), hd = c.headDim(), t = g.steps();
        // One matmul for q, k, v (same init as three separate Linear(d, d) layers).
        SDVariable qkv = g.linear(p + ".qkv", x, d, 3 * d, true);
        SDVariable q = Blocks.toHeads(Mamba2Mixer.cols(qkv, 0, d), t, h, hd);
        SDVariable k = Blocks.toHeads(Mamba2Mixer.cols(qkv, d, 2 * d), t, h, hd);
        SDVariable v = Blocks.toHeads(Mamba2Mixer.cols(qkv, 2 * d, 3 * d), t, h, hd);
        SDVariable[] rope = ropeTables(g, p, t, hd);
        q = rope(qkNorm(g, p + ".qn", q, hd), rope, hd);
        k = rope(qkNorm(g, p + ".kn", k, hd), rope, hd);
        SDVariable a = Blocks.fromHeads(attention(g, p, q, k, v, t, hd, QUERY_BLOCK), t, h, hd);
        SDVariable y = x.add(Blocks.rmsNorm(g, p + ".bn", g.linear(p + ".o", a, d, d, true), d));
        SDVariable hid = g.linear(p + ".l1", y, d, 8 * d, true);
        SDVariable x1 = Mamba2Mixer.cols(hid, 0, 4 * d);
        SDVariable x2 = Mamba2Mixer.cols(hid, 4 * d, 8 * d);
        SDVariable beta = g.param(p + ".swish_beta", ParamStore.Init.constant(1.0), 1);
        SDVariable ffn = g.linear(p + ".l2", x1.mul(sd.nn().sigmoid(x1.mul(beta))).mul(x2), 4 * d, d, true);
        return y.add(g.dropout(p + ".ffn", ffn, d));
    }

    /**
     * Causal softmax attention on [B*H, T, hd]. Up to {@code block} steps: one [T, T] score matrix per
     * sequence. Longer (task-4 evaluations: 4,040 steps in conf/local.conf, 20,200 at paper scale,
     * where the [T, T] scores alone would be 26 billion numbers at batch 16 and 4 heads): queries in
     * blocks of {@code block} rows, each against the keys before its block (no mask) and its own
     * block (a [block, block] causal mask), so memory is one block's [block, T] scores at a time
     * and no constant grows with T. The op count grows with T / block, acceptable for evaluation.
     */
    static SDVariable attention(GraphBuilder g, String p, SDVariable q, SDVariable k, SDVariable v, int t, int hd,
                                int block) {
        SameDiff sd = g.sd();
        double scale = Math.pow(hd, -0.5);
        if (t <= block) {
            SDVariable scores = sd.mmul(q, k, false, true, false).mul(scale)
                    .add(g.constant(p + ".causal", Blocks.matrix(t, (i, j) -> j <= i, 0, Blocks.MASKED)));
            return sd.mmul(sd.nn().softmax(scores, 2), v);
        }
        SDVariable mask = g.constant(p + ".causal", Blocks.matrix(block, (i, j) -> j <= i, 0, Blocks.MASKED));
        int blocks = (t + block - 1) / block;
        SDVariable[] out = new SDVariable[blocks];
        for (int b = 0; b < blocks; b++) {
            int from = b * block, to = Math.min(t, from + block), rows = to - from;
            SDVariable qb = steps(q, from, to);
            SDVariable own = sd.mmul(qb, steps(k, from, to), false, true, false).mul(scale)
                    .add(rows == block ? mask : g.constant(p + ".causal_last",
                            Blocks.matrix(rows, (i, j) -> j <= i, 0, Blocks.MASKED)));
            if (b == 0) {
                out[b] = sd.mmul(sd.nn().softmax(own, 2), steps(v, from, to));
                continue;
            }
            SDVariable earlier = sd.mmul(qb, steps(k, 0, from), false, true, false).mul(scale);
            SDVariable att = sd.nn().softmax(sd.concat(2, earlier, own), 2); // [G, rows, to]
            out[b] = sd.mmul(att, steps(v, 0, to));
        }
        return sd.concat(1, out);
    }

    /** Steps [from, to) of [G, T, X]. */
    private static SDVariable steps(SDVariable x, int from, int to) {
        return x.get(SDIndex.all(), SDIndex.interval(from, to), SDIndex.all());
    }

    /** t / (sqrt(mean t^2) + 1e-8) * w over each head vector, as the reference. */
    private static SDVariable qkNorm(GraphBuilder g, String name, SDVariable x, int hd) {
        SameDiff sd = g.sd();
        SDVariable w = g.param(name, ParamStore.Init.constant(1.0), hd);
        return x.div(sd.math().sqrt(sd.math().square(x).mean(true, 2)).add(1e-8)).mul(w);
    }

    /** cos and sin of t * base^(-2i/hd), [T, hd/2]. */
    private static SDVariable[] ropeTables(GraphBuilder g, String p, int t, int hd) {
        int half = hd / 2;
        double[][] cos = new double[t][half];
        double[][] sin = new double[t][half];
        for (int s = 0; s < t; s++) {
            for (int i = 0; i < half; i++) {
                double ang = s * Math.pow(ROPE_BASE, -2.0 * i / hd);
                cos[s][i] = Math.cos(ang);
                sin[s][i] = Math.sin(ang);
            }
        }
        INDArray cs = Nd4j.createFromArray(cos).castTo(DataType.DOUBLE);
        INDArray sn = Nd4j.createFromArray(sin).castTo(DataType.DOUBLE);
        return new SDVariable[] {g.constant(p + ".rope_cos", cs), g.constant(p + ".rope_sin", sn)};
    }

    /**
     * Rotates halves: [x1 cos + x2 sin, -x1 sin + x2 cos] on [B*H, T, hd] over the first 2 floor(hd/2)
     * dimensions; an odd last one passes unrotated (as the engine's TransformerLayer).
     */
    private static SDVariable rope(SDVariable x, SDVariable[] tables, int hd) {
        int half = hd / 2;
        SDVariable x1 = x.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(0, half));
        SDVariable x2 = x.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(half, 2 * half));
        SDVariable cos = tables[0];
        SDVariable sin = tables[1];
        SDVariable rotated = x.getSameDiff().concat(2, x1.mul(cos).add(x2.mul(sin)), x2.mul(cos).sub(x1.mul(sin)));
        return hd % 2 == 0 ? rotated
                : x.getSameDiff().concat(2, rotated, x.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(hd - 1, hd)));
    }
}
