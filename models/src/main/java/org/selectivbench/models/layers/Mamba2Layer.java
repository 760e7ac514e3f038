package org.selectivbench.models.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.modules.DecayGate;
import org.selectivbench.models.modules.Linear;
import org.selectivbench.models.modules.Nd;
import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.modules.Pass;
import org.selectivbench.models.modules.RmsNorm;
import org.selectivbench.models.modules.ShortConv;
import org.selectivbench.models.ops.Arena;
import org.selectivbench.models.ops.ColumnSumsFloat;
import org.selectivbench.models.ops.DecayScan;
import org.selectivbench.models.ops.DecayScanRecurrent;
import org.selectivbench.models.ops.Host;
import org.selectivbench.models.ops.Kernels;
import org.selectivbench.models.ops.PointwiseFloat;

/**
 * Mamba2 (SPEC 6): per head S = exp(dt A) S + dt x B^T (scalar decay per head, B and C shared by the
 * heads), y = S^T C + D x, out = W_out RMSNorm(y * SiLU(z)). Inner width di = expand * d, head dim
 * P = d / H, nH = di / P heads; one input projection to [z, x, B, C, dt]; short conv (with bias) over
 * x, B, C; dt = softplus(dt_raw + dt_bias), A = exp(A_log) init U(1, 16).
 */
final class Mamba2Layer implements Mixer {
    private final String name;
    private final int di;
    private final int n;
    private final int nh;
    private final int pd;
    private final int chunk;
    private final Linear in;
    private final ShortConv conv;
    private final DecayGate decay;
    private final ParamStore.Param dSkip;
    private final RmsNorm norm;
    private final Linear out;
    private final DecayScan scan = new DecayScan();
    private INDArray z;
    private INDArray x;
    private INDArray dt;
    private INDArray y;
    /** The float path's z, silu(z), x, dt and y (before the gate); null on the ND4J-array path. */
    private float[][] kept;
    /** Whether the last forward pass took the float32 Java path. */
    private boolean floats;

    Mamba2Layer(ModelConfig c, ParamStore ps, String p) {
        int d = c.width();
        this.name = p;
        this.n = c.dState();
        this.pd = c.headDim();
        this.di = c.expand() * d;
        this.nh = di / pd;
        this.chunk = c.chunkSize();
        this.in = new Linear(ps, p + ".in", d, 2 * di + 2 * n + nh, false);
        this.conv = new ShortConv(ps, p + ".conv", di + 2 * n, c.convSize(), true);
        ParamStore.Param dtBias = ps.param(p + ".dt_bias", ParamStore.Init.inverseSoftplusDt(), nh);
        ParamStore.Param aLog = ps.param(p + ".A_log", ParamStore.Init.logUniform(1, 16), nh);
        this.decay = new DecayGate(aLog, dtBias, c.forgetFloor());
        this.dSkip = ps.param(p + ".D", ParamStore.Init.constant(1.0), nh, 1);
        this.norm = new RmsNorm(ps, p + ".norm", di);
        this.out = new Linear(ps, p + ".out", di, d, false);
    }

    /** The scalars the constructor creates. */
    static long parameters(ModelConfig c) {
        int d = c.width(), n = c.dState(), pd = c.headDim(), di = c.expand() * d, nh = di / pd;
        return Linear.parameters(d, 2 * di + 2 * n + nh, false)
                + ShortConv.parameters(di + 2 * n, c.convSize(), true)
                + nh + nh + nh // dt_bias, A_log, D
                + RmsNorm.parameters(di)
                + Linear.parameters(di, d, false);
    }

    @Override
    public INDArray forward(Pass p, INDArray u) {
        // on the float32 Java path the projections, the conv, the gate, the scan and the norm pass Java arrays
        // from kernel to kernel, as in GLA and the delta family
        if (Kernels.current() == Kernels.JAVA && u.dataType() == DataType.FLOAT) {
            return Host.array(forwardFloats(p, Host.readFloats(u)), p.rows(), u.size(1));
        }
        floats = false;
        INDArray proj = in.forward(p, u);
        INDArray zz = Nd.cols(proj, 0, di);
        INDArray xbc = conv.forward(p, Nd.cols(proj, di, 2L * di + 2L * n));
        DecayGate.Out gate = decay.forward(p, Nd.cols(proj, 2L * di + 2L * n, 2L * di + 2L * n + nh));
        INDArray step = gate.dt();
        INDArray xs = Nd.dense(Nd.cols(xbc, 0, di));
        INDArray v = perHead(xs, step, 0, 1);
        DecayScanRecurrent.Dims dims = new DecayScanRecurrent.Dims(p.batch(), p.steps(), nh, n, pd,
                DecayScanRecurrent.Decay.HEAD, true);
        INDArray end = States.end(p, u.dataType(), nh, n, pd);
        // C and B go in as column views: the scan's forms read views (a copy here cost a millisecond each)
        INDArray yy = scan.forward(dims, chunk, Nd.cols(xbc, di + n, di + 2L * n), Nd.cols(xbc, di, di + n), v,
                gate.logDecay(), p.carried(name + ".state"), end, p.keep());
        States.carry(p, name + ".state", end);
        yy.addi(perHead(xs, dSkip.value().reshape(nh), 1));
        if (p.keep()) {
            z = zz;
            x = xs;
            dt = step;
            y = yy;
        }
        return out.forward(p, norm.forward(p, yy.mul(Nd.silu(zz))));
    }

    @Override
    public float[] forwardFloats(Pass p, float[] u) {
        floats = true;
        int rows = (int) p.rows();
        // the projection and the conv in column blocks, each its own array: z, x, B, C, dt
        float[][] proj = in.forwardFloatsCols(p, u, rows, di, di, n, n, nh);
        float[] zz = proj[0];
        float[][] xbc = conv.forwardFloatsCols(p, proj[1], proj[2], proj[3]);
        DecayGate.Floats gate = decay.forwardFloats(p, proj[4]);
        float[] xs = xbc[0];
        DecayScanRecurrent.Dims dims = new DecayScanRecurrent.Dims(p.batch(), p.steps(), nh, n, pd,
                DecayScanRecurrent.Decay.HEAD, true);
        INDArray end = States.end(p, DataType.FLOAT, nh, n, pd);
        float[] v = PointwiseFloat.groupProducts(xs, gate.dt(), pd); // x dt per head
        float[] yy = scan.forwardFloats(dims, xbc[2], xbc[1], v, gate.logDecay(), p.carried(name + ".state"), end,
                p.keep());
        States.carry(p, name + ".state", end);
        float[] dd = Host.readFloats(dSkip.value());
        // the gate's sigmoid is kept, so that backward needs no exponentials for SiLU'(z)
        float[] sig = PointwiseFloat.sigmoid(zz), g = Arena.uninitialized(yy.length);
        PointwiseFloat.addColumnProducts(yy, xs, perColumn(dd), di);
        for (int i = 0; i < yy.length; i++) {
            g[i] = yy[i] * (zz[i] * sig[i]);
        }
        kept = p.keep() ? new float[][] {zz, sig, xs, gate.dt(), yy} : null;
        return out.forwardFloats(p, norm.forwardFloats(p, g, di, null), rows);
    }

    @Override
    public float[] backwardFloats(Pass p, float[] dOut) {
        int rows = (int) p.rows();
        float[] zz = kept[0], sig = kept[1], xs = kept[2], step = kept[3], yy = kept[4];
        kept = null;
        float[] dg = norm.backwardFloats(out.backwardFloats(dOut, rows, null), di).dx();
        float[] dd = Host.readFloats(dSkip.value()), dz = Arena.uninitialized(dg.length);
        float[] dy = Arena.uninitialized(dg.length);
        // the gate's gradient (SiLU'(z) = s (1 + z (1 - s))) and the scan's dy, entry by entry; the skip
        // D x's dx = dy D, and dD = the sum over rows (per column, in double) and the head's columns
        for (int i = 0; i < dg.length; i++) {
            float s = sig[i];
            dz[i] = s * (1 + zz[i] * (1 - s)) * (dg[i] * yy[i]);
            dy[i] = dg[i] * (zz[i] * s);
        }
        float[] dx = PointwiseFloat.columnProducts(dy, perColumn(dd), di);
        double[] cols = new double[di], dD = new double[nh];
        ColumnSumsFloat.addColumnSums(rows, di, dy, xs, cols);
        for (int c = 0; c < di; c++) {
            dD[c / pd] += cols[c];
        }
        dSkip.grad().addi(Host.array(dD, dSkip.grad().dataType(), nh, 1));
        DecayScan.FloatGrads g = scan.backwardFloats(dy);
        // v = x dt per head
        float[] ddt = Arena.floats(rows * nh), dv = g.dv();
        for (int i = 0, rh = 0; i < dv.length; rh++) { // rh: row and head
            // locals: the arrays might alias for all C2 knows, so it reloaded step[rh] and ddt[rh] each entry
            float st = step[rh], sum = 0;
            int end = i + pd;
            for (; i + 8 <= end; i += 8) { // eight entries written out, as in Loops.scaled
                dx[i] += dv[i] * st;
                dx[i + 1] += dv[i + 1] * st;
                dx[i + 2] += dv[i + 2] * st;
                dx[i + 3] += dv[i + 3] * st;
                dx[i + 4] += dv[i + 4] * st;
                dx[i + 5] += dv[i + 5] * st;
                dx[i + 6] += dv[i + 6] * st;
                dx[i + 7] += dv[i + 7] * st;
                sum += dv[i] * xs[i];
                sum += dv[i + 1] * xs[i + 1];
                sum += dv[i + 2] * xs[i + 2];
                sum += dv[i + 3] * xs[i + 3];
                sum += dv[i + 4] * xs[i + 4];
                sum += dv[i + 5] * xs[i + 5];
                sum += dv[i + 6] * xs[i + 6];
                sum += dv[i + 7] * xs[i + 7];
            }
            for (; i < end; i++) {
                dx[i] += dv[i] * st;
                sum += dv[i] * xs[i];
            }
            ddt[rh] = sum;
        }
        float[] dpre = decay.backwardFloats(g.da(), ddt);
        float[][] dxbc = conv.backwardFloatsCols(p, dx, g.dk(), g.dq());
        return in.backwardFloatsCols(new float[][] {dz, dxbc[0], dxbc[1], dxbc[2], dpre}, rows, null);
    }

    /** A value per head [nH] repeated over the head's P entries: one per column of a row [nH*P]. */
    private float[] perColumn(float[] perHead) {
        float[] o = new float[di];
        for (int c = 0; c < di; c++) {
            o[c] = perHead[c / pd];
        }
        return o;
    }

    @Override
    public INDArray backward(Pass p, INDArray dOut) {
        if (floats) {
            return Host.array(backwardFloats(p, Host.readFloats(dOut)), p.rows(), dOut.size(1));
        }
        INDArray dg = norm.backward(out.backward(dOut, null))[0];
        INDArray dz = Nd.siluBackward(z, dg.mul(y));
        INDArray dy = dg.muli(Nd.silu(z));
        long rows = dy.size(0);
        // skip D x: dD = sum over rows and head dims, dx = dy D
        dSkip.grad().addi(dy.reshape(rows, nh, pd).mul(x.reshape(rows, nh, pd)).sum(0, 2).reshape(nh, 1));
        INDArray dx = perHead(dy, dSkip.value().reshape(nh), 1);
        DecayScan.Grads g = scan.backward(dy);
        // v = x dt per head
        dx.addi(perHead(g.dv(), dt, 0, 1));
        INDArray ddt = g.dv().reshape(rows, nh, pd).mul(x.reshape(rows, nh, pd)).sum(2);
        INDArray dpre = decay.backward(g.da(), ddt);
        INDArray dxbc = conv.backward(p, Nd.concatCols(dx, g.dk(), g.dq()));
        z = null;
        x = null;
        dt = null;
        y = null;
        return in.backward(Nd.concatCols(dz, dxbc, dpre), null);
    }

    /**
     * x [R, nH*P] times a factor per head, broadcast over the head's P entries: f [R, nH] per row and head
     * (dims 0, 1) or [nH] for every row (dim 1).
     */
    private INDArray perHead(INDArray xs, INDArray f, int... dims) {
        long rows = xs.size(0);
        INDArray o = Nd4j.createUninitialized(xs.dataType(), rows, nh, pd);
        Nd4j.exec(new BroadcastMulOp(xs.reshape(rows, nh, pd), f, o, dims));
        return o.reshape(rows, (long) nh * pd);
    }

    @Override
    public boolean carriesState() {
        return true;
    }
}
