package org.selectivbench.models.modules;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Per-row L2 normalisation of rows [R, K] (head vectors): x / sqrt(sum x^2 + 1e-6), times {@code scale}. */
public final class L2Norm {
    static final double EPS = 1e-6;
    private final double scale;
    private INDArray y;
    private INDArray rn;

    public L2Norm(double scale) {
        this.scale = scale;
    }

    public INDArray forward(Pass p, INDArray x) {
        INDArray r = Nd.rsqrti(Nd.sumCols(x.mul(x)).addi(EPS)).muli(scale);
        INDArray out = x.mulColumnVector(r);
        if (p.keep()) {
            y = out;
            rn = r;
        }
        return out;
    }

    /** dx = (dy - yhat (yhat . dy)) * scale / n, yhat = y / scale. */
    public INDArray backward(INDArray dy) {
        INDArray dot = Nd.sumCols(dy.mul(y)).divi(scale * scale);
        INDArray dx = dy.sub(y.mulColumnVector(dot)).muliColumnVector(rn);
        y = null;
        rn = null;
        return dx;
    }
}
