package org.selectivbench.models.modules;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * LayerNorm over the last axis of rows [R, d] as PyTorch's (SPEC 6): (x - mean) / sqrt(var + 1e-5) * g + b,
 * the epsilon inside the square root (SameDiff M2.1's layerNorm op has none and blows rows of tiny spread
 * up to +-1). g init 1, b init 0.
 */
public final class LayerNorm {
    static final double EPS = 1e-5;
    private final ParamStore.Param g;
    private final ParamStore.Param b;
    private INDArray xhat;
    private INDArray rstd;

    public LayerNorm(ParamStore ps, String name, int d) {
        this.g = ps.param(name + ".g", ParamStore.Init.constant(1.0), d);
        this.b = ps.param(name + ".b", ParamStore.Init.constant(0.0), d);
    }

    public INDArray forward(Pass p, INDArray x) {
        INDArray xc = x.subColumnVector(Nd.meanCols(x));
        INDArray var = Nd.meanCols(xc.mul(xc));
        INDArray r = Nd.rsqrti(var.addi(EPS));
        INDArray xh = xc.muliColumnVector(r);
        INDArray y = xh.mulRowVector(g.value()).addiRowVector(b.value());
        if (p.keep()) {
            xhat = xh;
            rstd = r;
        }
        return y;
    }

    /** dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = dy g. */
    public INDArray backward(INDArray dy) {
        g.grad().addi(Nd.sumRows(dy.mul(xhat)));
        b.grad().addi(Nd.sumRows(dy));
        INDArray dxh = dy.mulRowVector(g.value());
        INDArray proj = Nd.meanCols(dxh.mul(xhat));
        INDArray dx = dxh.subiColumnVector(Nd.meanCols(dxh)).subi(xhat.mulColumnVector(proj)).muliColumnVector(rstd);
        xhat = null;
        rstd = null;
        return dx;
    }
}
