package org.selectivbench.models.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.modules.Linear;
import org.selectivbench.models.modules.Nd;
import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.modules.Pass;
import org.selectivbench.models.modules.ShortConv;
import org.selectivbench.models.ops.SelectiveScan;
import org.selectivbench.models.ops.SelectiveScanRecurrent;

/**
 * Mamba (SPEC 6), as the PyTorch peer's Mamba: inner width di = expand * d, state N = d-state, dt rank
 * R = ceil(d / 16). in_proj d -> (x, z); short conv with bias (and SiLU) on x; x_proj di -> (dt_low, B, C);
 * dt = softplus(dt_proj(dt_low)), dt_proj's bias inverse-softplus initialised; A = -exp(A_log),
 * A_log[c, n] = ln(n + 1); y = selective_scan(dt, A, dt x, B, C) + D x; out = out_proj(y * SiLU(z)).
 * The forget floor keeps exp(dt A) >= floor as floor + (1 - floor) exp(dt A).
 */
final class MambaLayer implements Mixer {
    private final String name;
    private final int di;
    private final int n;
    private final int rank;
    private final double floor;
    private final int chunk;
    private final Linear in;
    private final ShortConv conv;
    private final Linear xProj;
    private final Linear dtProj;
    private final ParamStore.Param aLog;
    private final ParamStore.Param dSkip;
    private final Linear out;
    private final SelectiveScan scan = new SelectiveScan();
    private INDArray z;
    private INDArray x;
    private INDArray dtPre;
    private INDArray dt;
    private INDArray y;

    MambaLayer(ModelConfig c, ParamStore ps, String p) {
        int d = c.width();
        this.name = p;
        this.n = c.dState();
        this.di = c.expand() * d;
        this.rank = (d + 15) / 16;
        this.floor = c.forgetFloor();
        this.chunk = c.chunkSize();
        this.in = new Linear(ps, p + ".in", d, 2 * di, false);
        this.conv = new ShortConv(ps, p + ".conv", di, c.convSize(), true);
        this.xProj = new Linear(ps, p + ".x_proj", di, rank + 2 * n, false);
        this.dtProj = new Linear(ps.param(p + ".dt_proj.w", ParamStore.Init.uniform(1.0 / Math.sqrt(rank)), rank, di),
                ps.param(p + ".dt_proj.b", ParamStore.Init.inverseSoftplusDt(), di));
        int states = n;
        this.aLog = ps.param(p + ".A_log", (rng, i) -> Math.log(i % states + 1), di, n);
        this.dSkip = ps.param(p + ".D", ParamStore.Init.constant(1.0), di);
        this.out = new Linear(ps, p + ".out", di, d, false);
    }

    /** The scalars the constructor creates. */
    static long parameters(ModelConfig c) {
        int d = c.width(), n = c.dState(), di = c.expand() * d, rank = (d + 15) / 16; // dt rank ceil(d / 16)
        return Linear.parameters(d, 2 * di, false)
                + ShortConv.parameters(di, c.convSize(), true)
                + Linear.parameters(di, rank + 2 * n, false)
                + Linear.parameters(rank, di, true) // dt_proj
                + (long) di * n + di // A_log, D
                + Linear.parameters(di, d, false);
    }

    @Override
    public INDArray forward(Pass p, INDArray u) {
        INDArray proj = in.forward(p, u);
        INDArray xs = conv.forward(p, Nd.cols(proj, 0, di));
        INDArray zz = Nd.cols(proj, di, 2L * di);
        INDArray xp = xProj.forward(p, xs);
        INDArray pre = dtProj.forward(p, Nd.cols(xp, 0, rank));
        INDArray step = Nd.softplus(pre);
        INDArray negA = Nd.exp(aLog.value()).negi();
        SelectiveScanRecurrent.Dims dims = new SelectiveScanRecurrent.Dims(p.batch(), p.steps(), di, n, floor);
        INDArray end = States.end(p, u.dataType(), di, n);
        INDArray yy = scan.forward(dims, chunk, step, negA, step.mul(xs), Nd.cols(xp, rank, rank + n),
                Nd.cols(xp, rank + n, rank + 2L * n), p.carried(name + ".ssm"), end, p.keep());
        States.carry(p, name + ".ssm", end);
        yy.addi(xs.mulRowVector(dSkip.value()));
        if (p.keep()) {
            z = zz;
            x = xs;
            dtPre = pre;
            dt = step;
            y = yy;
        }
        return out.forward(p, yy.mul(Nd.silu(zz)));
    }

    @Override
    public INDArray backward(Pass p, INDArray dOut) {
        INDArray dg = out.backward(dOut, null);
        INDArray dz = Nd.siluBackward(z, dg.mul(y));
        INDArray dy = dg.muli(Nd.silu(z));
        dSkip.grad().addi(Nd.sumRows(dy.mul(x)));
        INDArray dx = dy.mulRowVector(dSkip.value());
        SelectiveScan.Grads g = scan.backward(dy);
        // u = dt x
        dx.addi(g.du().mul(dt));
        INDArray ddt = g.ddt().addi(g.du().mul(x));
        // A = -exp(A_log): dA_log = dA * A
        aLog.grad().addi(g.dA().mul(Nd.exp(aLog.value()).negi()));
        INDArray dpre = ddt.muli(Nd.sigmoid(dtPre));
        INDArray dxp = Nd.concatCols(dtProj.backward(dpre, null), g.dB(), g.dC());
        xProj.backward(dxp, dx);
        INDArray dproj = Nd.concatCols(conv.backward(p, dx), dz);
        z = null;
        x = null;
        dtPre = null;
        dt = null;
        y = null;
        return in.backward(dproj, null);
    }

    @Override
    public boolean carriesState() {
        return true;
    }
}
