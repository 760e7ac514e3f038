package org.selectivbench.models.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.modules.Linear;
import org.selectivbench.models.modules.Nd;
import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.modules.Pass;
import org.selectivbench.models.modules.ShortConv;
import org.selectivbench.models.ops.Arena;
import org.selectivbench.models.ops.Host;
import org.selectivbench.models.ops.Kernels;
import org.selectivbench.models.ops.PointwiseFloat;
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
    /** The float path's z, silu(z), x, dt's pre-activation, dt and y (before the gate); null otherwise. */
    private float[][] kept;

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
        if (Kernels.current() == Kernels.JAVA && u.dataType() == DataType.FLOAT) {
            return Host.array(forwardFloats(p, Host.readFloats(u)), p.rows(), u.size(1));
        }
        kept = null;
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

    /** The projections, conv, gates, scan and skip from kernel to kernel as Java arrays. */
    @Override
    public float[] forwardFloats(Pass p, float[] u) {
        int rows = (int) p.rows();
        // the projections in column blocks, each its own array: x and z; dt's rank, B and C
        float[][] proj = in.forwardFloatsCols(p, u, rows, di, di);
        float[] xs = conv.forwardFloats(p, proj[0]), zz = proj[1];
        float[][] xp = xProj.forwardFloatsCols(p, xs, rows, rank, n, n);
        float[] pre = dtProj.forwardFloats(p, xp[0], rows), step = PointwiseFloat.softplus(pre);
        float[] dtx = Arena.uninitialized(xs.length);
        for (int i = 0; i < dtx.length; i++) {
            dtx[i] = step[i] * xs[i];
        }
        SelectiveScanRecurrent.Dims dims = new SelectiveScanRecurrent.Dims(p.batch(), p.steps(), di, n, floor);
        INDArray end = States.end(p, DataType.FLOAT, di, n);
        float[] yy = scan.forwardFloats(dims, step, Host.readFloats(Nd.exp(aLog.value()).negi()), dtx, xp[1], xp[2],
                p.carried(name + ".ssm"), end, p.keep());
        States.carry(p, name + ".ssm", end);
        float[] dd = Host.readFloats(dSkip.value()), sz = PointwiseFloat.silu(zz), g = Arena.uninitialized(yy.length);
        for (int i = 0; i < yy.length; ) { // index i: row, channel
            for (int c = 0; c < di; c++, i++) {
                yy[i] += xs[i] * dd[c];
                g[i] = yy[i] * sz[i];
            }
        }
        kept = p.keep() ? new float[][] {zz, sz, xs, pre, step, yy} : null;
        return out.forwardFloats(p, g, rows);
    }

    @Override
    public float[] backwardFloats(Pass p, float[] dOut) {
        if (kept == null) { // the forward pass took ND4J arrays
            return Mixer.super.backwardFloats(p, dOut);
        }
        int rows = (int) p.rows();
        float[] zz = kept[0], sz = kept[1], xs = kept[2], pre = kept[3], step = kept[4], yy = kept[5];
        kept = null;
        float[] dg = out.backwardFloats(dOut, rows, null);
        float[] dgy = Arena.uninitialized(dg.length), dy = Arena.uninitialized(dg.length);
        for (int i = 0; i < dg.length; i++) {
            dgy[i] = dg[i] * yy[i];
            dy[i] = dg[i] * sz[i];
        }
        float[] dz = PointwiseFloat.siluBackward(zz, dgy);
        // skip D x: dD = sum over rows, dx = dy D
        double[] dD = new double[di];
        float[] dd = Host.readFloats(dSkip.value()), dx = Arena.uninitialized(dy.length);
        for (int i = 0; i < dy.length; ) {
            for (int c = 0; c < di; c++, i++) {
                dD[c] += dy[i] * xs[i];
                dx[i] = dy[i] * dd[c];
            }
        }
        dSkip.grad().addi(Host.array(dD, DataType.FLOAT, di));
        SelectiveScan.FloatGrads g = scan.backwardFloats(dy);
        // u = dt x
        float[] du = g.du(), ddt = g.ddt(), sig = PointwiseFloat.sigmoid(pre);
        for (int i = 0; i < dx.length; i++) {
            dx[i] += du[i] * step[i];
            ddt[i] = (ddt[i] + du[i] * xs[i]) * sig[i]; // d/d pre: softplus' = sigmoid
        }
        // A = -exp(A_log): dA_log = dA * A
        aLog.grad().addi(Host.array(g.dA(), di, n).muli(Nd.exp(aLog.value()).negi()));
        xProj.backwardFloatsCols(new float[][] {dtProj.backwardFloats(ddt, rows, null), g.dB(), g.dC()}, rows, dx);
        return in.backwardFloatsCols(new float[][] {conv.backwardFloats(p, dx), dz}, rows, null);
    }

    @Override
    public INDArray backward(Pass p, INDArray dOut) {
        if (kept != null) {
            return Host.array(backwardFloats(p, Host.readFloats(dOut)), p.rows(), dOut.size(1));
        }
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
