package org.selectivbench.models.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.modules.L2Norm;
import org.selectivbench.models.modules.Linear;
import org.selectivbench.models.modules.Nd;
import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.modules.Pass;
import org.selectivbench.models.modules.RmsNorm;
import org.selectivbench.models.modules.ShortConv;
import org.selectivbench.models.ops.DeltaRule;
import org.selectivbench.models.ops.DeltaRuleRecurrent;
import org.selectivbench.models.ops.Kernels;

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
    private final double floor;
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
    private final ParamStore.Param aLog;
    private final Linear a;
    private final ParamStore.Param dtBias;
    private final RmsNorm norm;
    private final Linear g;
    private final Linear o;
    private final DeltaRule rule = new DeltaRule();
    private INDArray beta;
    private INDArray dtPre;
    private INDArray dt;
    private INDArray aRaw;
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
        this.floor = c.forgetFloor();
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
            this.aLog = ps.param(p + ".A_log", ParamStore.Init.logUniform(1e-4, 16), heads);
            this.a = new Linear(ps, p + ".a", d, heads, false);
            this.dtBias = ps.param(p + ".dt_bias", ParamStore.Init.inverseSoftplusDt(), heads);
        } else {
            this.aLog = null;
            this.a = null;
            this.dtBias = null;
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
        // on the float32 Java path q, k, v and the rule's output go from kernel to kernel as Java arrays:
        // no ND4J op stands between them, and a trip through ND4J arrays is two copies
        floats = Kernels.current() == Kernels.JAVA && x.dataType() == DataType.FLOAT;
        INDArray qq = null, kk = null, vv = null;
        float[] qf = null, kf = null, vf = null;
        if (floats) {
            qf = qNorm.forwardFloats(p, qConv.forwardFloats(p, q.forward(p, x)), kd);
            kf = kNorm.forwardFloats(p, kConv.forwardFloats(p, k.forward(p, x)), kd);
            vf = vConv.forwardFloats(p, v.forward(p, x));
        } else {
            qq = qNorm.forward(p, qConv.forward(p, q.forward(p, x)).reshape(-1, kd)).reshape(-1, (long) heads * kd);
            kk = kNorm.forward(p, kConv.forward(p, k.forward(p, x)).reshape(-1, kd)).reshape(-1, (long) nh * heads * kd);
            vv = vConv.forward(p, v.forward(p, x));
        }
        INDArray bt = Nd.sigmoid(b.forward(p, x));
        INDArray betaIn = negative ? bt.mul(2.0) : bt;
        INDArray logDecay = null;
        if (gated) {
            INDArray pre = a.forward(p, x).addiRowVector(dtBias.value());
            INDArray step = Nd.softplus(pre);
            INDArray raw = step.mulRowVector(Nd.exp(aLog.value())).negi();
            logDecay = Gates.floor(raw, floor);
            if (p.keep()) {
                dtPre = pre;
                dt = step;
                aRaw = raw;
            }
        }
        if (p.keep()) {
            beta = bt;
        }
        DeltaRuleRecurrent.Dims dims = new DeltaRuleRecurrent.Dims(p.batch(), p.steps(), heads, kd, vd, nh);
        INDArray end = States.end(p, x.dataType(), heads, kd, vd);
        INDArray start = p.carried(name + ".state");
        float[] of = floats ? rule.forwardFloats(dims, qf, kf, vf, betaIn, logDecay, start, end, p.keep()) : null;
        INDArray out = floats ? null : rule.forward(dims, chunk, qq, kk, vv, betaIn, logDecay, start, end, p.keep());
        States.carry(p, name + ".state", end);
        INDArray gate = gated ? g.forward(p, x).reshape(-1, vd) : null;
        INDArray n = floats ? norm.forwardFloats(p, of, vd, gate) : norm.forward(p, out.reshape(-1, vd), gate);
        return o.forward(p, n.reshape(-1, (long) heads * vd));
    }

    @Override
    public INDArray backward(Pass p, INDArray dy) {
        INDArray dn = o.backward(dy, null).reshape(-1, vd);
        if (floats) {
            RmsNorm.FloatGrads dr = norm.backwardFloats(dn);
            INDArray dx = gated ? g.backward(dr.dgate().reshape(-1, (long) heads * vd), null) : null;
            DeltaRule.FloatGrads s = rule.backwardFloats(dr.dx());
            dx = gatesBackward(s.da(), s.dbeta(), dx);
            q.backward(qConv.backwardFloats(p, qNorm.backwardFloats(s.dq(), kd)), dx);
            k.backward(kConv.backwardFloats(p, kNorm.backwardFloats(s.dk(), kd)), dx);
            v.backward(vConv.backwardFloats(p, s.dv()), dx);
            return cleared(dx);
        }
        INDArray[] dnx = norm.backward(dn);
        INDArray dx = gated ? g.backward(dnx[1].reshape(-1, (long) heads * vd), null) : null;
        DeltaRule.Grads s = rule.backward(dnx[0].reshape(-1, (long) heads * vd));
        dx = gatesBackward(s.da(), s.dbeta(), dx);
        q.backward(qConv.backward(p, qNorm.backward(s.dq().reshape(-1, kd)).reshape(-1, (long) heads * kd)), dx);
        k.backward(kConv.backward(p, kNorm.backward(s.dk().reshape(-1, kd)).reshape(-1, (long) nh * heads * kd)), dx);
        v.backward(vConv.backward(p, s.dv()), dx);
        return cleared(dx);
    }

    /** Drops what the forward pass kept; returns dx. */
    private INDArray cleared(INDArray dx) {
        beta = null;
        dtPre = null;
        dt = null;
        aRaw = null;
        return dx;
    }

    /** The decay's (when gated) and beta's backward from the rule's da and dbeta, into dx; returns dx. */
    private INDArray gatesBackward(INDArray sda, INDArray sdbeta, INDArray dx) {
        if (gated) {
            INDArray da = Gates.floorBackward(aRaw, floor, sda);
            INDArray aPos = Nd.exp(aLog.value());
            aLog.grad().addi(Nd.sumRows(da.mul(dt)).muli(aPos).negi());
            INDArray dpre = da.mulRowVector(aPos).negi().muli(Nd.sigmoid(dtPre));
            dtBias.grad().addi(Nd.sumRows(dpre));
            dx = a.backward(dpre, dx);
        }
        INDArray dbeta = negative ? sdbeta.mul(2.0) : sdbeta;
        return b.backward(Nd.sigmoidBackward(beta, dbeta), dx);
    }

    @Override
    public boolean carriesState() {
        return true;
    }
}
