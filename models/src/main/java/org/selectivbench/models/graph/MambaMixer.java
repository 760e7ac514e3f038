package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * Mamba (SPEC 6), parametrized as the PyTorch peer's Mamba: inner width di = model.expand * d, state
 * N = model.d-state, dt rank R = ceil(d / 16). in_proj d -> (x, z); short conv with bias (and SiLU) on
 * x; x_proj di -> (dt_low, B, C); dt = softplus(dt_proj(dt_low)), dt_proj's bias inverse-softplus
 * initialised; A = -exp(A_log), A_log[c, n] = ln(n + 1); per channel c and state n:
 * S[c,n] = exp(dt[c] A[c,n]) S[c,n] + dt[c] x[c] B[n], y[c] = sum_n S[c,n] C[n] + D[c] x[c];
 * out = out_proj(y * SiLU(z)). model.forget-floor > 0 keeps exp(dt A) >= floor as
 * floor + (1 - floor) exp(dt A). The recurrence with its readout is a {@link SelectiveScan}, in chunks
 * of at most 16 steps.
 */
final class MambaMixer implements Mixer {
    private static final int SCAN_CHUNK = 16;
    private final ModelConfig c;

    MambaMixer(ModelConfig c) {
        this.c = c;
    }

    @Override
    public SDVariable apply(GraphBuilder g, String p, SDVariable u) {
        SameDiff sd = g.sd();
        int d = c.width(), t = g.steps(), n = c.dState(), di = c.expand() * d, r = (d + 15) / 16;
        SDVariable proj = g.linear(p + ".in", u, d, 2 * di, false);
        SDVariable x = Blocks.shortConv(g, p + ".conv", Mamba2Mixer.cols(proj, 0, di), di, c.convSize(), true);
        SDVariable z = Mamba2Mixer.cols(proj, di, 2 * di);
        SDVariable xp = g.linear(p + ".x_proj", x, di, r + 2 * n, false);
        SDVariable bm = Mamba2Mixer.cols(xp, r, r + n);
        SDVariable cm = Mamba2Mixer.cols(xp, r + n, r + 2 * n);
        SDVariable dtW = g.param(p + ".dt_proj.w", ParamStore.Init.uniform(1.0 / Math.sqrt(r)), r, di);
        SDVariable dtB = g.param(p + ".dt_proj.b", ParamStore.Init.inverseSoftplusDt(), di);
        SDVariable dt = sd.nn().softplus(Mamba2Mixer.cols(xp, 0, r).mmul(dtW).add(dtB)); // [B*T, di]
        SDVariable aLog = g.param(p + ".A_log", (rng, i) -> Math.log(i % n + 1), di, n);
        SDVariable negA = sd.math().exp(aLog).neg(); // [di, N]
        int chunk = Math.min(SCAN_CHUNK, c.chunkSize());
        Scans.Result scan = SelectiveScan.scanReadout(sd, dt, negA, dt.mul(x), bm, cm, t, di, n, chunk,
                c.forgetFloor(), g.carriedIn(p + ".ssm", di, n));
        g.carryOut(p + ".ssm", scan.end());
        SDVariable y = scan.out().add(x.mul(g.param(p + ".D", ParamStore.Init.constant(1.0), di)));
        return g.linear(p + ".out", y.mul(Blocks.silu(sd, z)), di, d, false);
    }

    /** The conv's last inputs and the SSM state [di, N]. */
    @Override
    public boolean carriesState() {
        return true;
    }
}
