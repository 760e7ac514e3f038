package org.selectivbench.models.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.modules.DecayGate;
import org.selectivbench.models.modules.L2Norm;
import org.selectivbench.models.modules.Linear;
import org.selectivbench.models.modules.Nd;
import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.modules.Pass;
import org.selectivbench.models.modules.RmsNorm;
import org.selectivbench.models.modules.ShortConv;
import org.selectivbench.models.ops.DeltaRule;
import org.selectivbench.models.ops.DeltaRuleRecurrent;
import org.selectivbench.models.ops.Host;
import org.selectivbench.models.ops.Kernels;
import org.selectivbench.models.ops.PointwiseFloat;

/**
 * DeltaNet, Gated DeltaNet and Gated DeltaProduct (SPEC 6), as the PyTorch peer's DeltaFamily: head dim
 * K = d / H, value dim V = expand * K; q = L2(SiLU(conv(W_q x))) K^-1/2, k_j = L2(SiLU(conv(W_k x))),
 * v_j = SiLU(conv(W_v x)) (short convs without bias; the n_h key/value/beta sets laid out (n_h, H, .));
 * beta = sigmoid(W_b x), times 2 when negative eigenvalues are allowed (always for Gated DeltaProduct);
 * gated: log alpha = -exp(A_log) softplus(W_a x + dt_bias), A init U(1e-4, 16). Output per-head RMSNorm
 * (weight of size V shared by the heads), times SiLU(W_g x) when gated, then W_o. The recurrence is the
 * {@link DeltaRule} op.
 */
final class DeltaFamilyLayer implements Mixer {
    private final String name;
    private final int heads;
    private final int kd;
    private final int vd;
    private final int nh;
    private final boolean gated;
    private final boolean negative;
    private final int chunk;
    private final Linear q;
    private final ShortConv qConv;
    private final L2Norm qNorm;
    private final Linear k;
    private final ShortConv kConv;
    private final L2Norm kNorm;
    private final Linear v;
    private final ShortConv vConv;
    private final Linear b;
    private final Linear a;
    private final DecayGate decay;
    private final RmsNorm norm;
    private final Linear g;
    private final Linear o;
    private final DeltaRule rule = new DeltaRule();
    private INDArray beta;
    private float[] betaF;
    /** Whether the last forward pass took the float32 Java path. */
    private boolean floats;

    /** DeltaNet: not gated, one sub-step; Gated DeltaNet: gated; Gated DeltaProduct: gated, n_h sub-steps. */
    DeltaFamilyLayer(ModelConfig c, ParamStore ps, String p, boolean gated, int subSteps, boolean negative) {
        int d = c.width();
        this.name = p;
        this.heads = c.heads();
        this.kd = c.headDim();
        this.vd = c.expand() * kd;
        this.nh = subSteps;
        this.gated = gated;
        this.negative = negative;
        this.chunk = c.chunkSize();
        this.q = new Linear(ps, p + ".q", d, heads * kd, false);
        this.qConv = new ShortConv(ps, p + ".q_conv", heads * kd, c.convSize(), false);
        this.qNorm = new L2Norm(Math.pow(kd, -0.5));
        this.k = new Linear(ps, p + ".k", d, nh * heads * kd, false);
        this.kConv = new ShortConv(ps, p + ".k_conv", nh * heads * kd, c.convSize(), false);
        this.kNorm = new L2Norm(1.0);
        this.v = new Linear(ps, p + ".v", d, nh * heads * vd, false);
        this.vConv = new ShortConv(ps, p + ".v_conv", nh * heads * vd, c.convSize(), false);
        this.b = new Linear(ps, p + ".b", d, nh * heads, false);
        if (gated) {
            ParamStore.Param aLog = ps.param(p + ".A_log", ParamStore.Init.logUniform(1e-4, 16), heads);
            this.a = new Linear(ps, p + ".a", d, heads, false);
            ParamStore.Param dtBias = ps.param(p + ".dt_bias", ParamStore.Init.inverseSoftplusDt(), heads);
            this.decay = new DecayGate(aLog, dtBias, c.forgetFloor());
        } else {
            this.a = null;
            this.decay = null;
        }
        this.norm = new RmsNorm(ps, p + ".norm", vd);
        this.g = gated ? new Linear(ps, p + ".g", d, heads * vd, false) : null;
        this.o = new Linear(ps, p + ".o", heads * vd, d, false);
    }

    /** The scalars the constructor creates (beta's range does not change them). */
    static long parameters(ModelConfig c, boolean gated, int subSteps) {
        int d = c.width(), heads = c.heads(), kd = c.headDim(), vd = c.expand() * kd, nh = subSteps;
        int k = c.convSize();
        return Linear.parameters(d, heads * kd, false) + ShortConv.parameters(heads * kd, k, false)
                + Linear.parameters(d, nh * heads * kd, false) + ShortConv.parameters(nh * heads * kd, k, false)
                + Linear.parameters(d, nh * heads * vd, false) + ShortConv.parameters(nh * heads * vd, k, false)
                + Linear.parameters(d, nh * heads, false)
                + (gated ? heads + Linear.parameters(d, heads, false) + heads : 0) // A_log, a, dt_bias
                + RmsNorm.parameters(vd)
                + (gated ? Linear.parameters(d, heads * vd, false) : 0)
                + Linear.parameters(heads * vd, d, false);
    }

    @Override
    public INDArray forward(Pass p, INDArray x) {
        if (Kernels.current() == Kernels.JAVA && x.dataType() == DataType.FLOAT) {
            return Host.array(forwardFloats(p, Host.readFloats(x)), p.rows(), x.size(1));
        }
        floats = false;
        INDArray end = States.end(p, x.dataType(), heads, kd, vd);
        INDArray start = p.carried(name + ".state");
        INDArray qq = qNorm.forward(p, qConv.forward(p, q.forward(p, x)).reshape(-1, kd)).reshape(-1, (long) heads * kd);
        INDArray kk = kNorm.forward(p, kConv.forward(p, k.forward(p, x)).reshape(-1, kd)).reshape(-1, (long) nh * heads * kd);
        INDArray vv = vConv.forward(p, v.forward(p, x));
        INDArray bt = Nd.sigmoid(b.forward(p, x));
        INDArray logDecay = gated ? decay.forward(p, a.forward(p, x)).logDecay() : null;
        beta = p.keep() ? bt : null;
        INDArray out = rule.forward(dims(p), chunk, qq, kk, vv, negative ? bt.mul(2.0) : bt, logDecay, start, end,
                p.keep());
        INDArray n = norm.forward(p, out.reshape(-1, vd), gated ? g.forward(p, x).reshape(-1, vd) : null);
        States.carry(p, name + ".state", end);
        return o.forward(p, n.reshape(-1, (long) heads * vd));
    }

    /**
     * q, k, v, beta, the decay and the rule's output from kernel to kernel as Java arrays: no ND4J op
     * stands between them, and a trip through ND4J arrays is two copies.
     */
    @Override
    public float[] forwardFloats(Pass p, float[] xf) {
        floats = true;
        INDArray end = States.end(p, DataType.FLOAT, heads, kd, vd);
        int rows = (int) p.rows();
        float[] qf = qNorm.forwardFloats(p, qConv.forwardFloats(p, q.forwardFloats(p, xf, rows)), kd);
        float[] kf = kNorm.forwardFloats(p, kConv.forwardFloats(p, k.forwardFloats(p, xf, rows)), kd);
        float[] vf = vConv.forwardFloats(p, v.forwardFloats(p, xf, rows));
        float[] bt = PointwiseFloat.sigmoid(b.forwardFloats(p, xf, rows));
        float[] logDecay = gated ? decay.forwardFloats(p, a.forwardFloats(p, xf, rows)).logDecay() : null;
        betaF = p.keep() ? bt : null;
        float[] of = rule.forwardFloats(dims(p), qf, kf, vf, negative ? PointwiseFloat.scaled(bt, 2) : bt, logDecay,
                p.carried(name + ".state"), end, p.keep());
        float[] nf = norm.forwardFloats(p, of, vd, gated ? g.forwardFloats(p, xf, rows) : null);
        States.carry(p, name + ".state", end);
        return o.forwardFloats(p, nf, rows);
    }

    private DeltaRuleRecurrent.Dims dims(Pass p) {
        return new DeltaRuleRecurrent.Dims(p.batch(), p.steps(), heads, kd, vd, nh);
    }

    @Override
    public INDArray backward(Pass p, INDArray dy) {
        if (floats) {
            return Host.array(backwardFloats(p, Host.readFloats(dy)), p.rows(), dy.size(1));
        }
        INDArray dn = o.backward(dy, null).reshape(-1, vd);
        INDArray[] dnx = norm.backward(dn);
        INDArray dx = gated ? g.backward(dnx[1].reshape(-1, (long) heads * vd), null) : null;
        DeltaRule.Grads s = rule.backward(dnx[0].reshape(-1, (long) heads * vd));
        if (gated) {
            dx = a.backward(decay.backward(s.da(), null), dx);
        }
        dx = b.backward(Nd.sigmoidBackward(beta, negative ? s.dbeta().mul(2.0) : s.dbeta()), dx);
        q.backward(qConv.backward(p, qNorm.backward(s.dq().reshape(-1, kd)).reshape(-1, (long) heads * kd)), dx);
        k.backward(kConv.backward(p, kNorm.backward(s.dk().reshape(-1, kd)).reshape(-1, (long) nh * heads * kd)), dx);
        v.backward(vConv.backward(p, s.dv()), dx);
        beta = null;
        return dx;
    }

    @Override
    public float[] backwardFloats(Pass p, float[] dy) {
        int rows = (int) p.rows();
        RmsNorm.FloatGrads dr = norm.backwardFloats(o.backwardFloats(dy, rows, null), vd);
        float[] dx = gated ? g.backwardFloats(dr.dgate(), rows, null) : null;
        DeltaRule.FloatGrads s = rule.backwardFloats(dr.dx());
        if (gated) {
            dx = a.backwardFloats(decay.backwardFloats(s.da(), null), rows, dx);
        }
        float[] dbeta = PointwiseFloat.sigmoidBackward(betaF, negative ? PointwiseFloat.scaled(s.dbeta(), 2) : s.dbeta());
        dx = b.backwardFloats(dbeta, rows, dx);
        q.backwardFloats(qConv.backwardFloats(p, qNorm.backwardFloats(s.dq(), kd)), rows, dx);
        k.backwardFloats(kConv.backwardFloats(p, kNorm.backwardFloats(s.dk(), kd)), rows, dx);
        v.backwardFloats(vConv.backwardFloats(p, s.dv()), rows, dx);
        betaF = null;
        return dx;
    }

    @Override
    public boolean carriesState() {
        return true;
    }
}
