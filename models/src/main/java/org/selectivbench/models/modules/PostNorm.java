package org.selectivbench.models.modules;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.models.ops.Arena;
import org.selectivbench.models.ops.Host;
import org.selectivbench.models.ops.Kernels;

/**
 * The post-norm residual join of SPEC 6, y = LayerNorm(x + Dropout(branch)), with inverted dropout whose
 * masks come from the pass's {@link DropoutMasks} (training) and none otherwise. Masks are drawn in the
 * order the layers run, which is the order the SameDiff reference graph declares them. On the Java path
 * a float32 join is one pass over the rows (sum, mask and norm; as separate ND4J operations they cost
 * three times as much at the embedded default's shape), with ND4J's numbers.
 */
public final class PostNorm {
    private final Dropout drop;
    private final LayerNorm ln;

    /**
     * @param site the dropout site's name in the reference graph
     * @param p    dropout probability
     */
    public PostNorm(ParamStore ps, String lnName, String site, int d, double p) {
        this.ln = new LayerNorm(ps, lnName, d);
        this.drop = new Dropout(site, p);
    }

    /** The scalars the constructor creates: the LayerNorm's. */
    public static long parameters(int d) {
        return LayerNorm.parameters(d);
    }

    /** The gradients of the residual input x and of the branch. */
    public record Grads(INDArray dx, INDArray dBranch) {
    }

    /** {@link Grads} as Java arrays; the same array twice when no dropout mask was drawn. */
    public record FloatGrads(float[] dx, float[] dBranch) {
    }

    public INDArray forward(Pass pass, INDArray x, INDArray branch) {
        int rows = (int) x.size(0), n = (int) x.size(1);
        if (fused(x)) {
            return Host.array(forwardFloats(pass, Host.readFloats(x), Host.readFloats(branch), n), rows, n);
        }
        INDArray m = drop.draw(pass, n, x.dataType());
        return ln.forward(pass, (m == null ? branch : branch.mul(m)).add(x));
    }

    /** The join on Java arrays [rows, n] (float32 models on the Java path); x is left unchanged. */
    public float[] forwardFloats(Pass pass, float[] x, float[] branch, int n) {
        float[] m = drop.drawFloats(pass, n), s = Arena.uninitialized(x.length);
        if (m == null) {
            for (int i = 0; i < s.length; i++) {
                s[i] = x[i] + branch[i];
            }
        } else {
            for (int i = 0; i < s.length; i++) {
                s[i] = x[i] + branch[i] * m[i];
            }
        }
        return ln.forwardFloats(pass, s, x.length / n, n);
    }

    public Grads backward(INDArray dy) {
        int rows = (int) dy.size(0), n = (int) dy.size(1);
        if (fused(dy)) {
            FloatGrads g = backwardFloats(Host.readFloats(dy), n);
            INDArray dx = Host.array(g.dx(), rows, n);
            return new Grads(dx, g.dBranch() == g.dx() ? dx : Host.array(g.dBranch(), rows, n));
        }
        INDArray m = drop.taken();
        INDArray ds = ln.backward(dy);
        return new Grads(ds, m == null ? ds : ds.mul(m));
    }

    /** The backward pass of {@link #forwardFloats} on Java arrays [rows, n]. */
    public FloatGrads backwardFloats(float[] dy, int n) {
        float[] m = drop.takenFloats(), ds = ln.backwardFloats(dy, dy.length / n, n);
        if (m == null) {
            return new FloatGrads(ds, ds);
        }
        float[] db = Arena.uninitialized(ds.length);
        for (int i = 0; i < ds.length; i++) {
            db[i] = ds[i] * m[i];
        }
        return new FloatGrads(ds, db);
    }

    private static boolean fused(INDArray a) {
        return Kernels.current() == Kernels.JAVA && a.dataType() == DataType.FLOAT;
    }
}
