package org.selectivbench.models.ops;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The gated delta rule with n_h sub-steps (DeltaNet, Gated DeltaNet, Gated DeltaProduct) on ND4J arrays:
 * see {@link DeltaRuleRecurrent} for the recurrence and the layouts. Runs the Java kernel (in float for
 * float32 arrays, {@link DeltaRuleFloat}, else in double) or, under {@link Kernels#ND4J}, the chunked form
 * ({@link DeltaRuleChunked}). One instance per layer keeps what its backward pass needs.
 */
public final class DeltaRule {
    private DeltaRuleRecurrent.Saved saved;
    private DeltaRuleFloat.Saved single;
    private DeltaRuleChunked.Saved chunked;
    private DataType dtype;

    /** Gradients of the inputs (da null without decay). */
    public record Grads(INDArray dq, INDArray dk, INDArray dv, INDArray dbeta, INDArray da) {
    }

    /**
     * @param chunk the chunk length of the chunked form (in sub-steps)
     * @param start the state entering [B, H, K, V], or null for 0
     * @param end   receives the state after the last step when not null ([B, H, K, V])
     * @return o [B*T, H*V]
     */
    public INDArray forward(DeltaRuleRecurrent.Dims d, int chunk, INDArray q, INDArray k, INDArray v, INDArray beta,
                            INDArray a, INDArray start, INDArray end, boolean keep) {
        dtype = q.dataType();
        saved = null;
        single = null;
        chunked = null;
        if (Kernels.current() == Kernels.ND4J) {
            DeltaRuleChunked.Result r = DeltaRuleChunked.forward(d, chunk, q, k, v, beta, a, start, keep);
            chunked = r.saved();
            if (end != null) {
                end.assign(r.end());
            }
            return r.o();
        }
        if (dtype == DataType.FLOAT) {
            return Host.array(forwardFloats(d, Host.readFloats(q), Host.readFloats(k), Host.readFloats(v),
                    Host.readFloats(beta), a == null ? null : Host.readFloats(a), start, end, keep),
                    (long) d.batch() * d.steps(), (long) d.heads() * d.v());
        }
        double[] o = new double[d.batch() * d.steps() * d.heads() * d.v()];
        double[] e = end == null ? null : new double[Math.toIntExact(end.length())];
        saved = DeltaRuleRecurrent.forward(d, Host.read(q), Host.read(k), Host.read(v), Host.read(beta),
                a == null ? null : Host.read(a), start == null ? null : Host.read(start), o, e, keep);
        if (end != null) {
            Host.write(e, end);
        }
        return Host.array(o, dtype, (long) d.batch() * d.steps(), (long) d.heads() * d.v());
    }

    /**
     * The float kernel on q, k, v, beta and the log decay as Java arrays (rows as {@link #forward}'s, from
     * the float kernels that made them), so that they do not go through ND4J arrays in between; o as a Java
     * array too.
     */
    public float[] forwardFloats(DeltaRuleRecurrent.Dims d, float[] q, float[] k, float[] v, float[] beta,
                                  float[] a, INDArray start, INDArray end, boolean keep) {
        dtype = DataType.FLOAT;
        saved = null;
        chunked = null;
        float[] o = Arena.floats(d.batch() * d.steps() * d.heads() * d.v());
        float[] e = end == null ? null : Arena.floats(Math.toIntExact(end.length()));
        single = DeltaRuleFloat.forward(d, q, k, v, beta, a, start == null ? null : Host.readFloats(start), o, e, keep);
        if (end != null) {
            Host.write(e, end);
        }
        return o;
    }

    /** Gradients after {@link #forwardFloats} as Java arrays in their inputs' layouts (da null without decay). */
    public record FloatGrads(float[] dq, float[] dk, float[] dv, float[] dbeta, float[] da) {
    }

    public Grads backward(INDArray dO) {
        if (chunked != null) {
            DeltaRuleChunked.Grads g = DeltaRuleChunked.backward(chunked, dO, null);
            chunked = null;
            return new Grads(g.dq(), g.dk(), g.dv(), g.dbeta(), g.da());
        }
        if (single != null) {
            return backwardFloat(dO);
        }
        DeltaRuleRecurrent.Saved s = saved;
        double[] dq = new double[s.q().length], dk = new double[s.k().length], dv = new double[s.v().length];
        double[] dbeta = new double[s.beta().length], da = s.a() == null ? null : new double[s.a().length];
        DeltaRuleRecurrent.backward(s, Host.read(dO), null, dq, dk, dv, dbeta, da, null);
        DeltaRuleRecurrent.Dims d = s.dims();
        long rows = (long) d.batch() * d.steps();
        int nh = d.subSteps(), h = d.heads();
        saved = null;
        return new Grads(Host.array(dq, dtype, rows, (long) h * d.k()), Host.array(dk, dtype, rows, (long) nh * h * d.k()),
                Host.array(dv, dtype, rows, (long) nh * h * d.v()), Host.array(dbeta, dtype, rows, (long) nh * h),
                da == null ? null : Host.array(da, dtype, rows, h));
    }

    private Grads backwardFloat(INDArray dO) {
        DeltaRuleRecurrent.Dims d = single.dims();
        long rows = (long) d.batch() * d.steps();
        int nh = d.subSteps(), h = d.heads();
        FloatGrads g = backwardFloats(Host.readFloats(dO));
        return new Grads(Host.array(g.dq(), rows, (long) h * d.k()), Host.array(g.dk(), rows, (long) nh * h * d.k()),
                Host.array(g.dv(), rows, (long) nh * h * d.v()), Host.array(g.dbeta(), rows, (long) nh * h),
                g.da() == null ? null : Host.array(g.da(), rows, h));
    }

    /** The backward pass of {@link #forwardFloats} (or of a float32 {@link #forward} on the Java kernels). */
    public FloatGrads backwardFloats(float[] dO) {
        DeltaRuleFloat.Saved s = single;
        float[] dq = Arena.floats(s.q().length), dk = Arena.floats(s.k().length), dv = Arena.floats(s.v().length);
        float[] dbeta = Arena.floats(s.beta().length), da = s.alpha() == null ? null : Arena.floats(s.alpha().length);
        DeltaRuleFloat.backward(s, dO, null, dq, dk, dv, dbeta, da, null);
        single = null;
        return new FloatGrads(dq, dk, dv, dbeta, da);
    }
}
