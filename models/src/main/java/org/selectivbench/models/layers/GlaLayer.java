package org.selectivbench.models.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.modules.ForgetFloor;
import org.selectivbench.models.modules.Linear;
import org.selectivbench.models.modules.Nd;
import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.modules.Pass;
import org.selectivbench.models.modules.RmsNorm;
import org.selectivbench.models.modules.ShortConv;
import org.selectivbench.models.ops.Arena;
import org.selectivbench.models.ops.DecayScan;
import org.selectivbench.models.ops.DecayScanRecurrent;
import org.selectivbench.models.ops.Host;
import org.selectivbench.models.ops.Kernels;
import org.selectivbench.models.ops.PointwiseFloat;

/**
 * Gated Linear Attention (SPEC 6), as the PyTorch peer's GLA: H heads, key dim K = d / H, value dim
 * V = expand * K; q, k, v bias-free projections, each through the short conv (with SiLU); q scaled by
 * K^-1/2; per key channel log alpha = logsigmoid(W2 (W1 x) + b2) / 16 with a rank-16 bottleneck; output
 * per-head RMSNorm (weight of size V shared by the heads) times SiLU(W_g x), then W_o.
 */
final class GlaLayer implements Mixer {
    static final int GATE_RANK = 16;
    static final double GATE_TEMPERATURE = 16;

    private final String name;
    private final int heads;
    private final int kd;
    private final int vd;
    /** q's scale K^-1/2. */
    private final double qScale;
    private final double floor;
    private final int chunk;
    private final Linear q;
    private final ShortConv qConv;
    private final Linear k;
    private final ShortConv kConv;
    private final Linear v;
    private final ShortConv vConv;
    private final Linear gk1;
    private final Linear gk2;
    private final RmsNorm norm;
    private final Linear g;
    private final Linear o;
    private final DecayScan scan = new DecayScan();
    private INDArray gate;
    private INDArray aRaw;
    /** The float path's gate pre-activation and log decay before the floor; null on the ND4J-array path. */
    private float[][] kept;
    /** Whether the last forward pass took the float32 Java path. */
    private boolean floats;

    GlaLayer(ModelConfig c, ParamStore ps, String p) {
        int d = c.width();
        this.name = p;
        this.heads = c.heads();
        this.kd = c.headDim();
        this.vd = c.expand() * kd;
        this.qScale = Math.pow(kd, -0.5);
        this.floor = c.forgetFloor();
        this.chunk = c.chunkSize();
        this.q = new Linear(ps, p + ".q", d, heads * kd, false);
        this.qConv = new ShortConv(ps, p + ".q_conv", heads * kd, c.convSize(), false);
        this.k = new Linear(ps, p + ".k", d, heads * kd, false);
        this.kConv = new ShortConv(ps, p + ".k_conv", heads * kd, c.convSize(), false);
        this.v = new Linear(ps, p + ".v", d, heads * vd, false);
        this.vConv = new ShortConv(ps, p + ".v_conv", heads * vd, c.convSize(), false);
        this.gk1 = new Linear(ps, p + ".gk1", d, GATE_RANK, false);
        this.gk2 = new Linear(ps, p + ".gk2", GATE_RANK, heads * kd, true);
        this.norm = new RmsNorm(ps, p + ".norm", vd);
        this.g = new Linear(ps, p + ".g", d, heads * vd, false);
        this.o = new Linear(ps, p + ".o", heads * vd, d, false);
    }

    /** The scalars the constructor creates. */
    static long parameters(ModelConfig c) {
        int d = c.width(), heads = c.heads(), kd = c.headDim(), vd = c.expand() * kd, k = c.convSize();
        return Linear.parameters(d, heads * kd, false) + ShortConv.parameters(heads * kd, k, false)
                + Linear.parameters(d, heads * kd, false) + ShortConv.parameters(heads * kd, k, false)
                + Linear.parameters(d, heads * vd, false) + ShortConv.parameters(heads * vd, k, false)
                + Linear.parameters(d, GATE_RANK, false) + Linear.parameters(GATE_RANK, heads * kd, true)
                + RmsNorm.parameters(vd)
                + Linear.parameters(d, heads * vd, false)
                + Linear.parameters(heads * vd, d, false);
    }

    @Override
    public INDArray forward(Pass p, INDArray x) {
        if (Kernels.current() == Kernels.JAVA && x.dataType() == DataType.FLOAT) {
            return Host.array(forwardFloats(p, Host.readFloats(x)), p.rows(), x.size(1));
        }
        floats = false;
        DecayScanRecurrent.Dims dims = dims(p);
        INDArray end = States.end(p, x.dataType(), heads, kd, vd);
        INDArray start = p.carried(name + ".state");
        INDArray qq = qConv.forward(p, q.forward(p, x)).muli(qScale);
        INDArray kk = kConv.forward(p, k.forward(p, x));
        INDArray vv = vConv.forward(p, v.forward(p, x));
        INDArray gt = gk2.forward(p, gk1.forward(p, x));
        INDArray a = Nd.softplus(gt.neg()).divi(-GATE_TEMPERATURE); // logsigmoid / 16
        INDArray out = scan.forward(dims, chunk, qq, kk, vv, ForgetFloor.floor(a, floor), start, end, p.keep());
        if (p.keep()) {
            gate = gt;
            aRaw = a;
        }
        INDArray n = norm.forward(p, out.reshape(-1, vd), g.forward(p, x).reshape(-1, vd));
        States.carry(p, name + ".state", end);
        return o.forward(p, n.reshape(-1, (long) heads * vd));
    }

    /**
     * q, k, v, the decay and the scan's output from kernel to kernel as Java arrays, as in the delta
     * family, and the projections on the float path's own matmuls.
     */
    @Override
    public float[] forwardFloats(Pass p, float[] xf) {
        floats = true;
        DecayScanRecurrent.Dims dims = dims(p);
        INDArray end = States.end(p, DataType.FLOAT, heads, kd, vd);
        INDArray start = p.carried(name + ".state");
        int rows = (int) p.rows();
        float[] qf = qConv.forwardFloats(p, q.forwardFloats(p, xf, rows), (float) qScale);
        float[] kf = kConv.forwardFloats(p, k.forwardFloats(p, xf, rows));
        float[] vf = vConv.forwardFloats(p, v.forwardFloats(p, xf, rows));
        float[] gt = gk2.forwardFloats(p, gk1.forwardFloats(p, xf, rows), rows);
        float[] a = PointwiseFloat.softplusOfMinusScaled(gt, (float) (-1 / GATE_TEMPERATURE)); // logsigmoid / 16
        kept = p.keep() ? new float[][] {gt, a} : null;
        float[] of = scan.forwardFloats(dims, qf, kf, vf, ForgetFloor.floor(a, floor), start, end, p.keep());
        float[] nf = norm.forwardFloats(p, of, vd, g.forwardFloats(p, xf, rows));
        States.carry(p, name + ".state", end);
        return o.forwardFloats(p, nf, rows);
    }

    private DecayScanRecurrent.Dims dims(Pass p) {
        return new DecayScanRecurrent.Dims(p.batch(), p.steps(), heads, kd, vd, DecayScanRecurrent.Decay.CHANNEL,
                false);
    }

    @Override
    public INDArray backward(Pass p, INDArray dy) {
        if (floats) {
            return Host.array(backwardFloats(p, Host.readFloats(dy)), p.rows(), dy.size(1));
        }
        INDArray dn = o.backward(dy, null).reshape(-1, vd);
        INDArray[] dnx = norm.backward(dn);
        INDArray dx = g.backward(dnx[1].reshape(-1, (long) heads * vd), null);
        DecayScan.Grads s = scan.backward(dnx[0].reshape(-1, (long) heads * vd));
        // a = -softplus(-gate) / 16: da/dgate = sigmoid(-gate) / 16
        INDArray dgate = ForgetFloor.floorBackward(aRaw, floor, s.da()).muli(Nd.sigmoid(gate.neg())).divi(GATE_TEMPERATURE);
        gk1.backward(gk2.backward(dgate, null), dx);
        q.backward(qConv.backward(p, s.dq().muli(qScale)), dx);
        k.backward(kConv.backward(p, s.dk()), dx);
        v.backward(vConv.backward(p, s.dv()), dx);
        gate = null;
        aRaw = null;
        return dx;
    }

    @Override
    public float[] backwardFloats(Pass p, float[] dy) {
        int rows = (int) p.rows();
        RmsNorm.FloatGrads dr = norm.backwardFloats(o.backwardFloats(dy, rows, null), vd);
        float[] dx = g.backwardFloats(dr.dgate(), rows, null);
        DecayScan.FloatGrads s = scan.backwardFloats(dr.dx());
        // a = -softplus(-gate) / 16: da/dgate = sigmoid(-gate) / 16
        float[] sig = PointwiseFloat.sigmoidOfMinus(kept[0]);
        float[] da = ForgetFloor.floorBackward(kept[1], floor, s.da()), dgate = Arena.uninitialized(da.length);
        for (int i = 0; i < dgate.length; i++) {
            dgate[i] = da[i] * sig[i] / (float) GATE_TEMPERATURE;
        }
        gk1.backwardFloats(gk2.backwardFloats(dgate, rows, null), rows, dx);
        q.backwardFloats(qConv.backwardFloats(p, s.dq(), (float) qScale), rows, dx);
        k.backwardFloats(kConv.backwardFloats(p, s.dk()), rows, dx);
        v.backwardFloats(vConv.backwardFloats(p, s.dv()), rows, dx);
        kept = null;
        return dx;
    }

    @Override
    public boolean carriesState() {
        return true;
    }
}
