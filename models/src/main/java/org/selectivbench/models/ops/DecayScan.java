package org.selectivbench.models.ops;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Diagonal-decay linear recurrences (linear attention, Mamba2's SSD, GLA) on ND4J arrays: see
 * {@link DecayScanRecurrent} for the recurrence and layouts. Runs the Java kernel (in float for float32
 * arrays: {@link DecayScanSharedFloat} for Mamba2's shared keys, {@link DecayScanFloat} for keys per head;
 * else in double) or, under {@link Kernels#ND4J}, the chunked form ({@link DecayScanChunked}). One
 * instance per layer.
 */
public final class DecayScan {
    private DecayScanRecurrent.Saved saved;
    private DecayScanSharedFloat.Saved single;
    private DecayScanSharedFloatChunked.Saved sharedChunks;
    private DecayScanFloat.Saved perHead;
    private DecayScanChunked.Saved chunked;
    private DataType dtype;

    public record Grads(INDArray dq, INDArray dk, INDArray dv, INDArray da) {
    }

    /**
     * o [B*T, H*V]; the end state into {@code end} [B, H, K, V] when not null.
     *
     * @param chunk the chunk length of the chunked form
     */
    public INDArray forward(DecayScanRecurrent.Dims d, int chunk, INDArray q, INDArray k, INDArray v, INDArray a,
                            INDArray start, INDArray end, boolean keep) {
        dtype = q.dataType();
        saved = null;
        chunked = null;
        single = null;
        sharedChunks = null;
        perHead = null;
        if (Kernels.current() == Kernels.ND4J) {
            DecayScanChunked.Result r = DecayScanChunked.forward(d, chunk, q, k, v, a, start, keep);
            chunked = r.saved();
            if (end != null) {
                end.assign(r.end());
            }
            return r.o();
        }
        if (dtype == DataType.FLOAT && !(d.sharedKeys() && d.decay() == DecayScanRecurrent.Decay.CHANNEL)) {
            return Host.array(forwardFloats(d, Host.readFloats(q), Host.readFloats(k), Host.readFloats(v),
                    a == null ? null : Host.readFloats(a), start, end, keep),
                    (long) d.batch() * d.steps(), (long) d.heads() * d.v());
        }
        double[] o = new double[d.batch() * d.steps() * d.heads() * d.v()];
        double[] e = end == null ? null : new double[Math.toIntExact(end.length())];
        saved = DecayScanRecurrent.forward(d, Host.read(q), Host.read(k), Host.read(v), a == null ? null : Host.read(a),
                start == null ? null : Host.read(start), o, e, keep);
        if (end != null) {
            Host.write(e, end);
        }
        return Host.array(o, dtype, (long) d.batch() * d.steps(), (long) d.heads() * d.v());
    }

    /**
     * The float kernels on q, k, v and the log decays as Java arrays (rows as {@link #forward}'s, from the
     * float kernels that made them), o as a Java array: no trip through ND4J arrays between kernels. Keys
     * per head, or Mamba2's shared keys with a decay per head or none.
     */
    public float[] forwardFloats(DecayScanRecurrent.Dims d, float[] q, float[] k, float[] v, float[] a,
                                 INDArray start, INDArray end, boolean keep) {
        dtype = DataType.FLOAT;
        saved = null;
        chunked = null;
        single = null;
        sharedChunks = null;
        perHead = null;
        float[] o = Arena.uninitialized(d.batch() * d.steps() * d.heads() * d.v()); // every token read out
        float[] e = end == null ? null : Arena.floats(Math.toIntExact(end.length()));
        float[] s0 = start == null ? null : Host.readFloats(start);
        // chunks for training; an evaluation keeps nothing for backward, and there the step-by-step form
        // was faster (docs/engine-log.md)
        if (d.sharedKeys() && keep && DecayScanSharedFloatChunked.pays(d)) {
            sharedChunks = DecayScanSharedFloatChunked.forward(d, q, k, v, a, s0, o, e, keep);
        } else if (d.sharedKeys()) {
            single = DecayScanSharedFloat.forward(d, q, k, v, a, s0, o, e, keep);
        } else {
            perHead = DecayScanFloat.forward(d, q, k, v, a, s0, o, e, keep);
        }
        if (end != null) {
            Host.write(e, end);
        }
        return o;
    }

    /** Gradients after {@link #forwardFloats} as Java arrays in their inputs' layouts (da null without decay). */
    public record FloatGrads(float[] dq, float[] dk, float[] dv, float[] da) {
    }

    /** The backward pass of {@link #forwardFloats} (or of a float32 {@link #forward} on the Java kernels). */
    public FloatGrads backwardFloats(float[] dO) {
        if (sharedChunks != null) {
            DecayScanSharedFloatChunked.Saved s = sharedChunks;
            float[] dq = Arena.uninitialized(s.q().length), dk = Arena.uninitialized(s.k().length);
            float[] dv = Arena.uninitialized(s.v().length);
            float[] da = s.alpha() == null ? null : Arena.uninitialized(s.alpha().length);
            DecayScanSharedFloatChunked.backward(s, dO, null, dq, dk, dv, da, null);
            sharedChunks = null;
            return new FloatGrads(dq, dk, dv, da);
        }
        if (single != null) {
            DecayScanSharedFloat.Saved s = single;
            float[] dq = Arena.floats(s.q().length), dk = Arena.floats(s.k().length), dv = Arena.floats(s.v().length);
            float[] da = s.alpha() == null ? null : Arena.floats(s.alpha().length);
            DecayScanSharedFloat.backward(s, dO, null, dq, dk, dv, da, null);
            single = null;
            return new FloatGrads(dq, dk, dv, da);
        }
        DecayScanFloat.Saved s = perHead;
        // the paired heads' backward stores every gradient entry whole; the other forms' zeros stay
        boolean all = DecayScanFloat.pairs(s.dims());
        float[] dq = grads(all, s.q().length), dk = grads(all, s.k().length), dv = grads(all, s.v().length);
        float[] da = s.alpha() == null ? null : grads(all, s.alpha().length);
        DecayScanFloat.backward(s, dO, null, dq, dk, dv, da, null);
        perHead = null;
        return new FloatGrads(dq, dk, dv, da);
    }

    private static float[] grads(boolean written, int n) {
        return written ? Arena.uninitialized(n) : Arena.floats(n);
    }

    public Grads backward(INDArray dO) {
        if (chunked != null) {
            DecayScanChunked.Grads g = DecayScanChunked.backward(chunked, dO, null);
            chunked = null;
            return new Grads(g.dq(), g.dk(), g.dv(), g.da());
        }
        if (sharedChunks != null || single != null || perHead != null) {
            return backwardFloat(sharedChunks != null ? sharedChunks.dims() : single != null ? single.dims()
                    : perHead.dims(), dO);
        }
        DecayScanRecurrent.Saved s = saved;
        double[] dq = new double[s.q().length], dk = new double[s.k().length], dv = new double[s.v().length];
        double[] da = s.alpha() == null ? null : new double[s.alpha().length];
        DecayScanRecurrent.backward(s, Host.read(dO), null, dq, dk, dv, da, null);
        DecayScanRecurrent.Dims d = s.dims();
        long rows = (long) d.batch() * d.steps();
        long keys = d.sharedKeys() ? d.k() : (long) d.heads() * d.k();
        saved = null;
        return new Grads(Host.array(dq, dtype, rows, keys), Host.array(dk, dtype, rows, keys),
                Host.array(dv, dtype, rows, (long) d.heads() * d.v()),
                da == null ? null : Host.array(da, dtype, rows, da.length / rows));
    }

    /** {@link #backwardFloats} for ND4J arrays: dO read in, the gradients written out in their layouts. */
    private Grads backwardFloat(DecayScanRecurrent.Dims d, INDArray dO) {
        long rows = (long) d.batch() * d.steps();
        long keys = d.sharedKeys() ? d.k() : (long) d.heads() * d.k();
        FloatGrads g = backwardFloats(Host.readFloats(dO));
        return new Grads(Host.array(g.dq(), rows, keys), Host.array(g.dk(), rows, keys),
                Host.array(g.dv(), rows, (long) d.heads() * d.v()),
                g.da() == null ? null : Host.array(g.da(), rows, g.da().length / rows));
    }
}
