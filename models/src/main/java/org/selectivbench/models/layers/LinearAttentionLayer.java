package org.selectivbench.models.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.modules.Linear;
import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.modules.Pass;
import org.selectivbench.models.modules.RmsNorm;
import org.selectivbench.models.ops.DecayScan;
import org.selectivbench.models.ops.DecayScanRecurrent;
import org.selectivbench.models.ops.Host;
import org.selectivbench.models.ops.Kernels;
import org.selectivbench.models.ops.PointwiseFloat;

/**
 * Ungated linear attention (SPEC 6 baseline): S = S + k v^T per head, o = S^T q, q scaled by K^-1/2,
 * identity feature map, per-head RMSNorm on the output (weight shared by the heads), then W_o.
 */
final class LinearAttentionLayer implements Mixer {
    private final String name;
    private final int heads;
    private final int kd;
    private final int chunk;
    private final Linear q;
    private final Linear k;
    private final Linear v;
    private final RmsNorm norm;
    private final Linear o;
    private final DecayScan scan = new DecayScan();
    /** Whether the last forward pass took the float32 Java path (Java arrays from kernel to kernel). */
    private boolean floats;

    LinearAttentionLayer(ModelConfig c, ParamStore ps, String p) {
        int d = c.width();
        this.name = p;
        this.heads = c.heads();
        this.kd = c.headDim();
        this.chunk = c.chunkSize();
        this.q = new Linear(ps, p + ".q", d, d, false);
        this.k = new Linear(ps, p + ".k", d, d, false);
        this.v = new Linear(ps, p + ".v", d, d, false);
        this.norm = new RmsNorm(ps, p + ".norm", kd);
        this.o = new Linear(ps, p + ".o", d, d, false);
    }

    /** The scalars the constructor creates. */
    static long parameters(ModelConfig c) {
        int d = c.width();
        return 3 * Linear.parameters(d, d, false) // q, k, v
                + RmsNorm.parameters(c.headDim())
                + Linear.parameters(d, d, false);
    }

    @Override
    public INDArray forward(Pass p, INDArray x) {
        if (Kernels.current() == Kernels.JAVA && x.dataType() == DataType.FLOAT) {
            return Host.array(forwardFloats(p, Host.readFloats(x)), p.rows(), x.size(1));
        }
        floats = false;
        INDArray end = States.end(p, x.dataType(), heads, kd, kd);
        INDArray qq = q.forward(p, x).muli(Math.pow(kd, -0.5));
        INDArray kk = k.forward(p, x), vv = v.forward(p, x);
        INDArray out = scan.forward(dims(p), chunk, qq, kk, vv, null, p.carried(name + ".state"), end, p.keep());
        States.carry(p, name + ".state", end);
        return o.forward(p, norm.forward(p, out.reshape(-1, kd)).reshape(-1, (long) heads * kd));
    }

    /** The projections, scan and norm from kernel to kernel as Java arrays. */
    @Override
    public float[] forwardFloats(Pass p, float[] x) {
        floats = true;
        int rows = (int) p.rows();
        INDArray end = States.end(p, DataType.FLOAT, heads, kd, kd);
        float[] qf = PointwiseFloat.scaleInPlace(q.forwardFloats(p, x, rows), (float) Math.pow(kd, -0.5));
        float[] of = scan.forwardFloats(dims(p), qf, k.forwardFloats(p, x, rows), v.forwardFloats(p, x, rows), null,
                p.carried(name + ".state"), end, p.keep());
        States.carry(p, name + ".state", end);
        return o.forwardFloats(p, norm.forwardFloats(p, of, kd, null), rows);
    }

    private DecayScanRecurrent.Dims dims(Pass p) {
        return new DecayScanRecurrent.Dims(p.batch(), p.steps(), heads, kd, kd, DecayScanRecurrent.Decay.NONE, false);
    }

    @Override
    public INDArray backward(Pass p, INDArray dy) {
        if (floats) {
            return Host.array(backwardFloats(p, Host.readFloats(dy)), p.rows(), dy.size(1));
        }
        INDArray dn = o.backward(dy, null).reshape(-1, kd);
        DecayScan.Grads g = scan.backward(norm.backward(dn)[0].reshape(-1, (long) heads * kd));
        INDArray dx = q.backward(g.dq().muli(Math.pow(kd, -0.5)), null);
        k.backward(g.dk(), dx);
        return v.backward(g.dv(), dx);
    }

    @Override
    public float[] backwardFloats(Pass p, float[] dy) {
        int rows = (int) p.rows();
        RmsNorm.FloatGrads dr = norm.backwardFloats(o.backwardFloats(dy, rows, null), kd);
        DecayScan.FloatGrads g = scan.backwardFloats(dr.dx());
        float[] dx = q.backwardFloats(PointwiseFloat.scaleInPlace(g.dq(), (float) Math.pow(kd, -0.5)), rows, null);
        k.backwardFloats(g.dk(), rows, dx);
        v.backwardFloats(g.dv(), rows, dx);
        return dx;
    }

    @Override
    public boolean carriesState() {
        return true;
    }
}
