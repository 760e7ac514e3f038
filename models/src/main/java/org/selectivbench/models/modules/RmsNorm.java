package org.selectivbench.models.modules;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.models.ops.Arena;
import org.selectivbench.models.ops.Host;
import org.selectivbench.models.ops.Kernels;
import org.selectivbench.models.ops.RowNorms;
import org.selectivbench.models.ops.RowNormsFloat;

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
    private double[][] java;
    /** The float form's xhat, r, gate and sigmoid(gate) (float32 models). */
    private float[][] kept;

    public RmsNorm(ParamStore ps, String name, int n) {
        this.w = ps.param(name, ParamStore.Init.constant(1.0), n);
    }

    /** The scalars the constructor creates: the gain [n]. */
    public static long parameters(int n) {
        return n;
    }

    public INDArray forward(Pass p, INDArray x) {
        return forward(p, x, null);
    }

    /** RMSNorm(x) * w, times SiLU(gate) when {@code gate} (same shape as x) is given. */
    public INDArray forward(Pass p, INDArray x, INDArray gate) {
        if (Kernels.current() == Kernels.JAVA) { // one pass per row instead of a dozen array calls
            int rows = (int) x.size(0), n = (int) x.size(1);
            if (x.dataType() == DataType.FLOAT) {
                return Host.array(forwardFloats(p, Host.readFloats(x), n, gate == null ? null : Host.readFloats(gate)),
                        rows, n);
            }
            double[] y = new double[rows * n], xh = new double[rows * n], ri = new double[rows];
            double[] gt = gate == null ? null : Host.read(gate), sig = gate == null ? null : new double[rows * n];
            RowNorms.rmsNorm(rows, n, Host.read(x), Host.read(w.value()), gt, EPS, y, xh, ri, sig);
            java = p.keep() ? new double[][] {xh, ri, gt, sig} : null;
            return Host.array(y, x.dataType(), rows, n);
        }
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

    /** The float form on Java arrays (rows of n, from and to float kernels), gate [rows, n] or null. */
    public float[] forwardFloats(Pass p, float[] x, int n, float[] gate) {
        int rows = x.length / n;
        float[] y = Arena.uninitialized(rows * n), xh = Arena.uninitialized(rows * n), ri = Arena.uninitialized(rows);
        float[] sig = gate == null ? null : Arena.uninitialized(rows * n);
        RowNormsFloat.rmsNorm(rows, n, x, Host.readFloats(w.value()), gate, EPS, y, xh, ri, sig);
        kept = p.keep() ? new float[][] {xh, ri, gate, sig} : null;
        return y;
    }

    /** The gradient of x; with a gate also of the gate, as {x, gate}. */
    public INDArray[] backward(INDArray dy) {
        if (kept != null) {
            int n = (int) dy.size(1);
            FloatGrads g = backwardFloats(Host.readFloats(dy), n);
            return new INDArray[] {Host.array(g.dx(), dy.size(0), n),
                g.dgate() == null ? null : Host.array(g.dgate(), dy.size(0), n)};
        }
        if (java != null) {
            int rows = (int) dy.size(0), n = (int) dy.size(1);
            double[] dx = new double[rows * n], dw = new double[n];
            double[] dg = java[2] == null ? null : new double[rows * n];
            RowNorms.rmsNormBackward(rows, n, Host.read(dy), Host.read(w.value()), java[2], java[0], java[1], java[3],
                    dx, dg, dw);
            w.grad().addi(Host.array(dw, dy.dataType(), n));
            java = null;
            return new INDArray[] {Host.array(dx, dy.dataType(), rows, n),
                dg == null ? null : Host.array(dg, dy.dataType(), rows, n)};
        }
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

    /** The float form's gradients as Java arrays: x's and the gate's (null without a gate). */
    public record FloatGrads(float[] dx, float[] dgate) {
    }

    /** The backward pass of the float form from dy rows of n as a Java array. */
    public FloatGrads backwardFloats(float[] dy, int n) {
        int rows = dy.length / n;
        float[] dx = Arena.uninitialized(rows * n), dg = kept[2] == null ? null : Arena.uninitialized(rows * n);
        double[] dw = new double[n];
        RowNormsFloat.rmsNormBackward(rows, n, dy, Host.readFloats(w.value()), kept[2], kept[0], kept[1], kept[3], dx,
                dg, dw);
        w.grad().addi(Host.array(dw, w.grad().dataType(), n));
        kept = null;
        return new FloatGrads(dx, dg);
    }
}
