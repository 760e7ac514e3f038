package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * Gated Linear Attention (SPEC 6), parametrized as the PyTorch peer's GLA: H heads, key dim K = d / H,
 * value dim V = model.expand * K; q, k, v bias-free projections, each through the short conv (with
 * SiLU); q scaled by K^-1/2; per key channel log alpha = logsigmoid(W2 (W1 x) + b2) / 16 with a rank-16
 * bottleneck; output per-head RMSNorm (weight of size V shared by the heads) times SiLU(W_g x), then
 * W_o. model.forget-floor > 0 keeps alpha >= floor as floor + (1 - floor) alpha. The scan is
 * {@link ChannelDecayScan} with chunks of at most {@link #MAX_CHUNK}.
 */
final class GlaMixer implements Mixer {
    /** The gate's low-rank bottleneck (SPEC 6: rank 16) and its temperature (logsigmoid / 16). */
    static final int GATE_RANK = 16;
    static final double GATE_TEMPERATURE = 16;
    /**
     * Chunk cap: the intra-chunk tensor is [G*n, K, C, C], C times a scalar-decay scan's, so GLA uses
     * short chunks (16, as the peer). 16 divides every graph length (GraphModel pads to multiples
     * of 16, and beyond one chunk to multiples of model.chunk-size).
     */
    static final int MAX_CHUNK = 16;

    private final ModelConfig c;

    GlaMixer(ModelConfig c) {
        this.c = c;
    }

    @Override
    public SDVariable apply(GraphBuilder g, String p, SDVariable x) {
        SameDiff sd = g.sd();
        int d = c.width(), h = c.heads(), kd = c.headDim(), vd = c.expand() * kd, t = g.steps();
        SDVariable q = Blocks.shortConv(g, p + ".q_conv", g.linear(p + ".q", x, d, h * kd, false), h * kd,
                c.convSize(), false).mul(Math.pow(kd, -0.5));
        SDVariable k = Blocks.shortConv(g, p + ".k_conv", g.linear(p + ".k", x, d, h * kd, false), h * kd,
                c.convSize(), false);
        SDVariable v = Blocks.shortConv(g, p + ".v_conv", g.linear(p + ".v", x, d, h * vd, false), h * vd,
                c.convSize(), false);
        SDVariable gate = g.linear(p + ".gk2", g.linear(p + ".gk1", x, d, GATE_RANK, false), GATE_RANK, h * kd, true);
        // logsigmoid(z) = -softplus(-z)
        SDVariable a = sd.nn().softplus(gate.neg()).div(-GATE_TEMPERATURE);
        if (c.forgetFloor() > 0) {
            a = sd.math().log(sd.math().exp(a).mul(1 - c.forgetFloor()).add(c.forgetFloor()));
        }
        SDVariable start = g.carriedIn(p + ".state", h, kd, vd); // [B, H, K, V] in a segment graph, else null
        Scans.Result scan = ChannelDecayScan.scan(g, p + ".scan", Blocks.toHeads(q, t, h, kd),
                Blocks.toHeads(k, t, h, kd), Blocks.toHeads(a, t, h, kd), Blocks.toHeads(v, t, h, vd), kd, vd,
                Math.min(MAX_CHUNK, c.chunkSize()), start == null ? null : start.reshape(-1, kd, vd));
        if (start != null) {
            g.carryOut(p + ".state", scan.end().reshape(-1, h, kd, vd));
        }
        SDVariable o = scan.out();
        o = Blocks.rmsNorm(g, p + ".norm", Blocks.fromHeads(o, t, h, vd).reshape(-1, vd), vd)
                .mul(Blocks.silu(sd, g.linear(p + ".g", x, d, h * vd, false).reshape(-1, vd)));
        return g.linear(p + ".o", o.reshape(-1, h * vd), h * vd, d, false);
    }

    /** The short convs' last inputs and the state per head. */
    @Override
    public boolean carriesState() {
        return true;
    }
}
