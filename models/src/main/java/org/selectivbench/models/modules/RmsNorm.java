package org.selectivbench.models.modules;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * RMSNorm over the last axis of rows [R, n]: x / sqrt(mean x^2 + 1e-5) * w, w init 1 (fla's RMSNorm;
 * per head when the rows are head vectors). With a gate, fla's gated form RMSNorm(o) * w * SiLU(g).
 */
public final class RmsNorm {
    static final double EPS = 1e-5;
    private final ParamStore.Param w;
    private INDArray xhat;
    private INDArray r;
    private INDArray gate;
    private INDArray normed;

    public RmsNorm(ParamStore ps, String name, int n) {
        this.w = ps.param(name, ParamStore.Init.constant(1.0), n);
    }

    public INDArray forward(Pass p, INDArray x) {
        return forward(p, x, null);
    }

    /** RMSNorm(x) * w, times SiLU(gate) when {@code gate} (same shape as x) is given. */
    public INDArray forward(Pass p, INDArray x, INDArray gate) {
        INDArray rs = Nd.rsqrti(Nd.meanCols(x.mul(x)).addi(EPS));
        INDArray xh = x.mulColumnVector(rs);
        INDArray y = xh.mulRowVector(w.value());
        if (p.keep()) {
            xhat = xh;
            r = rs;
            this.gate = gate;
            normed = gate == null ? null : y.dup();
        }
        return gate == null ? y : y.muli(Nd.silu(gate));
    }

    /** The gradient of x; with a gate also of the gate, as {x, gate}. */
    public INDArray[] backward(INDArray dy) {
        INDArray dn = dy;
        INDArray dgate = null;
        if (gate != null) {
            dgate = Nd.siluBackward(gate, dy.mul(normed));
            dn = dy.mul(Nd.silu(gate));
        }
        w.grad().addi(Nd.sumRows(dn.mul(xhat)));
        INDArray dxh = dn.mulRowVector(w.value());
        INDArray proj = Nd.meanCols(dxh.mul(xhat));
        INDArray dx = dxh.subi(xhat.mulColumnVector(proj)).muliColumnVector(r);
        xhat = null;
        r = null;
        gate = null;
        normed = null;
        return new INDArray[] {dx, dgate};
    }
}
