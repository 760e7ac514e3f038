package org.selectivbench.models.modules;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.models.ops.Arena;
import org.selectivbench.models.ops.Host;
import org.selectivbench.models.ops.Kernels;
import org.selectivbench.models.ops.L2NormFloat;
import org.selectivbench.models.ops.RowNorms;

/** Per-row L2 normalisation of rows [R, K] (head vectors): x / sqrt(sum x^2 + 1e-6), times {@code scale}. */
public final class L2Norm {
    static final double EPS = 1e-6;
    private final double scale;
    private INDArray y;
    private INDArray rn;
    private double[] yJ;
    private double[] rnJ;
    /** The float form's y and scale / norm (float32 models). */
    private float[][] kept;

    public L2Norm(double scale) {
        this.scale = scale;
    }

    public INDArray forward(Pass p, INDArray x) {
        if (Kernels.current() == Kernels.JAVA) {
            int rows = (int) x.size(0), n = (int) x.size(1);
            if (x.dataType() == DataType.FLOAT) {
                return Host.array(forwardFloats(p, Host.readFloats(x), n), rows, n);
            }
            double[] out = new double[rows * n], f = new double[rows];
            RowNorms.l2Norm(rows, n, Host.read(x), scale, EPS, out, f);
            if (p.keep()) {
                yJ = out;
                rnJ = f;
            }
            return Host.array(out, x.dataType(), rows, n);
        }
        INDArray r = Nd.rsqrti(Nd.sumCols(x.mul(x)).addi(EPS)).muli(scale);
        INDArray out = x.mulColumnVector(r);
        if (p.keep()) {
            y = out;
            rn = r;
        }
        return out;
    }

    /** The float form on Java arrays: rows of n, one after another. */
    public float[] forwardFloats(Pass p, float[] x, int n) {
        int rows = x.length / n;
        float[] out = Arena.uninitialized(rows * n), f = Arena.uninitialized(rows);
        L2NormFloat.l2Norm(rows, n, x, scale, EPS, out, f);
        kept = p.keep() ? new float[][] {out, f} : null;
        return out;
    }

    /** dx = (dy - yhat (yhat . dy)) * scale / n, yhat = y / scale. */
    public INDArray backward(INDArray dy) {
        if (kept != null) {
            return Host.array(backwardFloats(Host.readFloats(dy), (int) dy.size(1)), dy.size(0), dy.size(1));
        }
        if (yJ != null) {
            int rows = (int) dy.size(0), n = (int) dy.size(1);
            double[] dx = new double[rows * n];
            RowNorms.l2NormBackward(rows, n, Host.read(dy), yJ, rnJ, scale, dx);
            yJ = null;
            rnJ = null;
            return Host.array(dx, dy.dataType(), rows, n);
        }
        INDArray dot = Nd.sumCols(dy.mul(y)).divi(scale * scale);
        INDArray dx = dy.sub(y.mulColumnVector(dot)).muliColumnVector(rn);
        y = null;
        rn = null;
        return dx;
    }

    /** The float form's backward on Java arrays (after {@link #forwardFloats}). */
    public float[] backwardFloats(float[] dy, int n) {
        int rows = dy.length / n;
        float[] dx = Arena.uninitialized(rows * n);
        L2NormFloat.l2NormBackward(rows, n, dy, kept[0], kept[1], scale, dx);
        kept = null;
        return dx;
    }
}
