package org.selectivbench.models.modules;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.models.ops.Arena;
import org.selectivbench.models.ops.Host;
import org.selectivbench.models.ops.Kernels;
import org.selectivbench.models.ops.RowNorms;
import org.selectivbench.models.ops.RowNormsFloat;

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
    private double[] xhatJ;
    private double[] rstdJ;
    /** The float form's xhat and rstd (float32 models). */
    private float[][] kept;

    public LayerNorm(ParamStore ps, String name, int d) {
        this.g = ps.param(name + ".g", ParamStore.Init.constant(1.0), d);
        this.b = ps.param(name + ".b", ParamStore.Init.constant(0.0), d);
    }

    /** The scalars the constructor creates: gain and bias [d]. */
    public static long parameters(int d) {
        return 2L * d;
    }

    public INDArray forward(Pass p, INDArray x) {
        if (Kernels.current() == Kernels.JAVA) { // one pass per row instead of a dozen array calls
            int rows = (int) x.size(0), n = (int) x.size(1);
            if (x.dataType() == DataType.FLOAT) {
                return Host.array(forwardFloats(p, Host.readFloats(x), rows, n), rows, n);
            }
            double[] y = new double[rows * n], xh = new double[rows * n], rs = new double[rows];
            RowNorms.layerNorm(rows, n, Host.read(x), Host.read(g.value()), Host.read(b.value()), EPS, y, xh, rs);
            if (p.keep()) {
                xhatJ = xh;
                rstdJ = rs;
            }
            return Host.array(y, x.dataType(), rows, n);
        }
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

    /** The float form on rows x [rows, n] given as a Java array (the Java path, float32 models). */
    public float[] forwardFloats(Pass p, float[] x, int rows, int n) {
        float[] y = Arena.uninitialized(rows * n), xh = Arena.uninitialized(rows * n), rs = Arena.uninitialized(rows);
        RowNormsFloat.layerNorm(rows, n, x, Host.readFloats(g.value()), Host.readFloats(b.value()), EPS, y, xh, rs);
        kept = p.keep() ? new float[][] {xh, rs} : null;
        return y;
    }

    /** The backward pass of {@link #forwardFloats}, from and to Java arrays [rows, n]. */
    public float[] backwardFloats(float[] dy, int rows, int n) {
        if (kept == null) {
            throw new IllegalStateException("LayerNorm's float backward pass without its float forward pass");
        }
        float[] dx = Arena.uninitialized(rows * n);
        double[] dg = new double[n], db = new double[n];
        RowNormsFloat.layerNormBackward(rows, n, dy, Host.readFloats(g.value()), kept[0], kept[1], dx, dg, db);
        g.grad().addi(Host.array(dg, DataType.FLOAT, n));
        b.grad().addi(Host.array(db, DataType.FLOAT, n));
        kept = null;
        return dx;
    }

    /** dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = dy g. */
    public INDArray backward(INDArray dy) {
        if (kept != null) {
            int rows = (int) dy.size(0), n = (int) dy.size(1);
            return Host.array(backwardFloats(Host.readFloats(dy), rows, n), rows, n);
        }
        if (xhatJ != null) {
            int rows = (int) dy.size(0), n = (int) dy.size(1);
            double[] dx = new double[rows * n], dg = new double[n], db = new double[n];
            RowNorms.layerNormBackward(rows, n, Host.read(dy), Host.read(g.value()), xhatJ, rstdJ, dx, dg, db);
            g.grad().addi(Host.array(dg, dy.dataType(), n));
            b.grad().addi(Host.array(db, dy.dataType(), n));
            xhatJ = null;
            rstdJ = null;
            return Host.array(dx, dy.dataType(), rows, n);
        }
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
