package org.selectivbench.models.ops;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Mamba's selective scan on ND4J arrays: see {@link SelectiveScanRecurrent}. Runs the Java kernel (in
 * float for float32 arrays, {@link SelectiveScanFloat}, else in double) or, under {@link Kernels#ND4J},
 * {@link SelectiveScanChunked}; backward follows the form its forward ran. One instance per layer.
 */
public final class SelectiveScan {
    private SelectiveScanRecurrent.Saved saved;
    private SelectiveScanFloat.Saved single;
    private SelectiveScanChunked.Saved chunked;
    private DataType dtype;

    public record Grads(INDArray ddt, INDArray dA, INDArray du, INDArray dB, INDArray dC) {
    }

    /** {@link Grads} as Java arrays (float32 Java path). */
    public record FloatGrads(float[] ddt, float[] dA, float[] du, float[] dB, float[] dC) {
    }

    /**
     * y [B*T, di]; the end state into {@code end} [B, di, N] when not null.
     *
     * @param chunk chunk length of the ND4J form
     */
    public INDArray forward(SelectiveScanRecurrent.Dims d, int chunk, INDArray dt, INDArray a, INDArray u,
                            INDArray bm, INDArray cm, INDArray start, INDArray end, boolean keep) {
        dtype = dt.dataType();
        if (Kernels.current() == Kernels.ND4J) {
            SelectiveScanChunked.Result r = SelectiveScanChunked.forward(d, chunk, dt, a, u, bm, cm, start, end, keep);
            saved = null;
            chunked = r.saved();
            return r.y();
        }
        chunked = null;
        if (dtype == DataType.FLOAT) {
            return Host.array(forwardFloats(d, Host.readFloats(dt), Host.readFloats(a), Host.readFloats(u),
                    Host.readFloats(bm), Host.readFloats(cm), start, end, keep), (long) d.batch() * d.steps(),
                    d.channels());
        }
        single = null;
        double[] y = new double[d.batch() * d.steps() * d.channels()];
        double[] e = end == null ? null : new double[Math.toIntExact(end.length())];
        saved = SelectiveScanRecurrent.forward(d, Host.read(dt), Host.read(a), Host.read(u), Host.read(bm),
                Host.read(cm), start == null ? null : Host.read(start), y, e, keep);
        if (end != null) {
            Host.write(e, end);
        }
        return Host.array(y, dtype, (long) d.batch() * d.steps(), d.channels());
    }

    /** The float32 Java path's form of {@link #forward}, on Java arrays: y [B*T, di]. */
    public float[] forwardFloats(SelectiveScanRecurrent.Dims d, float[] dt, float[] a, float[] u, float[] bm,
                                 float[] cm, INDArray start, INDArray end, boolean keep) {
        dtype = DataType.FLOAT;
        chunked = null;
        saved = null;
        float[] y = Arena.floats(d.batch() * d.steps() * d.channels());
        float[] e = end == null ? null : Arena.floats(Math.toIntExact(end.length()));
        single = SelectiveScanFloat.forward(d, dt, a, u, bm, cm, start == null ? null : Host.readFloats(start), y, e,
                keep);
        if (end != null) {
            Host.write(e, end);
        }
        return y;
    }

    /** The backward pass of {@link #forwardFloats}. */
    public FloatGrads backwardFloats(float[] dY) {
        SelectiveScanFloat.Saved s = single;
        float[] ddt = Arena.floats(s.dt().length), da = Arena.floats(s.a().length), du = Arena.floats(s.u().length);
        float[] db = Arena.floats(s.bm().length), dc = Arena.floats(s.cm().length);
        SelectiveScanFloat.backward(s, dY, null, ddt, da, du, db, dc, null);
        single = null;
        return new FloatGrads(ddt, da, du, db, dc);
    }

    public Grads backward(INDArray dY) {
        if (chunked != null) {
            SelectiveScanChunked.Grads g = SelectiveScanChunked.backward(chunked, dY, null);
            chunked = null;
            return new Grads(g.ddt(), g.dA(), g.du(), g.dB(), g.dC());
        }
        if (single != null) {
            return backwardFloat(dY);
        }
        SelectiveScanRecurrent.Saved s = saved;
        SelectiveScanRecurrent.Dims d = s.dims();
        double[] ddt = new double[s.dt().length], da = new double[s.a().length], du = new double[s.u().length];
        double[] db = new double[s.bm().length], dc = new double[s.cm().length];
        SelectiveScanRecurrent.backward(s, Host.read(dY), null, ddt, da, du, db, dc, null);
        long rows = (long) d.batch() * d.steps();
        saved = null;
        return new Grads(Host.array(ddt, dtype, rows, d.channels()), Host.array(da, dtype, d.channels(), d.states()),
                Host.array(du, dtype, rows, d.channels()), Host.array(db, dtype, rows, d.states()),
                Host.array(dc, dtype, rows, d.states()));
    }

    private Grads backwardFloat(INDArray dY) {
        SelectiveScanRecurrent.Dims d = single.dims();
        long rows = (long) d.batch() * d.steps();
        FloatGrads g = backwardFloats(Host.readFloats(dY));
        return new Grads(Host.array(g.ddt(), rows, d.channels()), Host.array(g.dA(), d.channels(), d.states()),
                Host.array(g.du(), rows, d.channels()), Host.array(g.dB(), rows, d.states()),
                Host.array(g.dC(), rows, d.states()));
    }
}
