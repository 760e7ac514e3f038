package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * Mamba2 (SPEC 6): per head S = exp(dt A) S + dt x B^T (scalar decay per head), y = S C + D x,
 * out = Linear(RMSNorm(y * SiLU(z)) * w). Inner width di = expand * d, head dim P = d / H,
 * nH = di / P heads; one input projection to [z, x, B, C, dt]; short conv (with bias) over x, B, C.
 * The scan is {@link Scans#sharedKeyDecay} with q = C, k = B (shared by the heads), v = dt x, a = dt A.
 */
final class Mamba2Mixer implements Mixer {
    private final ModelConfig c;

    Mamba2Mixer(ModelConfig c) {
        this.c = c;
    }

    @Override
    public SDVariable apply(GraphBuilder g, String p, SDVariable u) {
        SameDiff sd = g.sd();
        int d = c.width(), t = g.steps(), n = c.dState();
        int pd = c.headDim(), di = c.expand() * d, nh = di / pd;
        SDVariable proj = g.linear(p + ".in", u, d, 2 * di + 2 * n + nh, false);
        SDVariable z = cols(proj, 0, di);
        SDVariable xbc = Blocks.shortConv(g, p + ".conv", cols(proj, di, 2 * di + 2 * n), di + 2 * n,
                c.convSize(), true);
        SDVariable dtRaw = cols(proj, 2 * di + 2 * n, 2 * di + 2 * n + nh);
        SDVariable x = cols(xbc, 0, di);
        SDVariable bm = cols(xbc, di, di + n);
        SDVariable cm = cols(xbc, di + n, di + 2 * n);
        SDVariable dt = sd.nn().softplus(dtRaw.add(g.param(p + ".dt_bias", ParamStore.Init.inverseSoftplusDt(), nh)));
        SDVariable aLog = g.param(p + ".A_log", ParamStore.Init.logUniform(1, 16), nh);
        SDVariable a = dt.mul(sd.math().exp(aLog)).neg(); // [B*T, nH], <= 0
        if (c.forgetFloor() > 0) {
            // transition exp(a) kept >= floor: exp(a') = floor + (1 - floor) exp(a)
            a = sd.math().log(sd.math().exp(a).mul(1 - c.forgetFloor()).add(c.forgetFloor()));
        }
        // B and C are shared by the heads: the scan contracts them once instead of tiling them to
        // [B*nH, T, N] (with d-state 128 that tiling made the largest tensors of the graph).
        SDVariable xh = x.reshape(-1, t, nh, pd);
        SDVariable v = xh.mul(dt.reshape(-1, t, nh, 1)).reshape(-1, di); // rows [B*T, nH*P]
        SDVariable start = g.carriedIn(p + ".state", nh, n, pd); // [B, nH, N, P] in a segment graph, else null
        Scans.Result ssd = Scans.sharedKeyDecay(g, p + ".ssd", cm.reshape(-1, t, n), bm.reshape(-1, t, n), v, a,
                nh, n, pd, c.chunkSize(), start == null ? null : start.reshape(-1, n, pd));
        if (start != null) {
            g.carryOut(p + ".state", ssd.end().reshape(-1, nh, n, pd));
        }
        SDVariable y = ssd.out();
        SDVariable skip = xh.mul(g.param(p + ".D", ParamStore.Init.constant(1.0), nh, 1)).reshape(-1, di);
        y = y.add(skip);
        SDVariable gated = y.mul(Blocks.silu(sd, z));
        return g.linear(p + ".out", Blocks.rmsNorm(g, p + ".norm", gated, di), di, d, false);
    }

    static SDVariable cols(SDVariable x, int from, int to) {
        return x.get(SDIndex.all(), SDIndex.interval(from, to));
    }

    /** The conv's last inputs and the SSM state per head. */
    @Override
    public boolean carriesState() {
        return true;
    }
}
