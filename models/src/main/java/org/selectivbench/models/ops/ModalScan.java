package org.selectivbench.models.ops;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * S4D's modal recurrence on ND4J arrays: see {@link ModalScanRecurrent}. Runs the Java kernel (for a
 * float32 pass from a zero state with no end state, while it pays, its convolution {@link ModalConvFloat})
 * or, under {@link Kernels#ND4J}, {@link ModalScanChunked}; backward follows the form its forward ran. One
 * instance per layer.
 */
public final class ModalScan {
    private ModalScanRecurrent.Saved saved;
    private ModalConvFloat.Saved conv;
    private ModalScanChunked.Saved chunked;
    private DataType dtype;

    /** du [B*T, H]; dE and dC' real and imaginary parts [H, M]. */
    public record Grads(INDArray du, INDArray der, INDArray dei, INDArray dcr, INDArray dci) {
    }

    /**
     * y [B*T, H]; the end state into {@code end} [B, 2, H, M] when not null.
     *
     * @param chunk chunk length of the ND4J form
     */
    public INDArray forward(ModalScanRecurrent.Dims d, int chunk, INDArray u, INDArray er, INDArray ei, INDArray cr,
                            INDArray ci, INDArray start, INDArray end, boolean keep) {
        dtype = u.dataType();
        if (Kernels.current() == Kernels.ND4J) {
            ModalScanChunked.Result r = ModalScanChunked.forward(d, chunk, u, er, ei, cr, ci, start, end, keep);
            saved = null;
            conv = null;
            chunked = r.saved();
            return r.y();
        }
        chunked = null;
        if (dtype == DataType.FLOAT && start == null && end == null) { // forwardFloats picks the form
            float[] y = forwardFloats(d, Host.readFloats(u), Host.read(er), Host.read(ei), Host.read(cr),
                    Host.read(ci), keep);
            return Host.array(y, (long) d.batch() * d.steps(), d.channels());
        }
        conv = null;
        double[] y = new double[d.batch() * d.steps() * d.channels()];
        double[] e = end == null ? null : new double[Math.toIntExact(end.length())];
        saved = ModalScanRecurrent.forward(d, Host.read(u), Host.read(er), Host.read(ei), Host.read(cr), Host.read(ci),
                start == null ? null : Host.read(start), y, e, keep);
        if (end != null) {
            Host.write(e, end);
        }
        return Host.array(y, dtype, (long) d.batch() * d.steps(), d.channels());
    }

    /**
     * The float32 Java path on Java arrays, for a layer that keeps its arrays in Java from kernel to kernel
     * (a pass from a zero state with no end state): y [B*T, H] from u [B*T, H] and E, C' parts [H, M], by
     * the convolution where it {@link ModalConvFloat#pays}, else by the recurrence in double (the numbers
     * of {@link #forward}'s forms).
     */
    public float[] forwardFloats(ModalScanRecurrent.Dims d, float[] u, double[] er, double[] ei, double[] cr,
                                 double[] ci, boolean keep) {
        dtype = DataType.FLOAT;
        chunked = null;
        float[] y = Arena.floats(d.batch() * d.steps() * d.channels());
        if (ModalConvFloat.pays(d, keep)) {
            saved = null;
            conv = ModalConvFloat.forward(d, u, er, ei, cr, ci, y, keep);
            return y;
        }
        conv = null;
        double[] yd = new double[y.length];
        saved = ModalScanRecurrent.forward(d, Loops.doubles(u), er, ei, cr, ci, null, yd, null, keep);
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) yd[i];
        }
        return y;
    }

    /** The gradients of {@link #forwardFloats}: du [B*T, H]; dE and dC' parts [H, M]. */
    public record FloatGrads(float[] du, double[] der, double[] dei, double[] dcr, double[] dci) {
    }

    public FloatGrads backwardFloats(float[] dY) {
        ModalScanRecurrent.Dims d = conv != null ? conv.dims() : saved.dims();
        int hm = d.channels() * d.modes();
        FloatGrads g = new FloatGrads(Arena.floats(dY.length), new double[hm], new double[hm], new double[hm],
                new double[hm]);
        if (conv != null) {
            ModalConvFloat.backward(conv, dY, g.du(), g.der(), g.dei(), g.dcr(), g.dci());
            conv = null;
            return g;
        }
        double[] du = new double[dY.length];
        ModalScanRecurrent.backward(saved, Loops.doubles(dY), null, du, g.der(), g.dei(), g.dcr(), g.dci(), null);
        saved = null;
        for (int i = 0; i < du.length; i++) {
            g.du()[i] = (float) du[i];
        }
        return g;
    }

    public Grads backward(INDArray dY) {
        if (chunked != null) {
            ModalScanChunked.Grads g = ModalScanChunked.backward(chunked, dY, null);
            chunked = null;
            return new Grads(g.du(), g.der(), g.dei(), g.dcr(), g.dci());
        }
        if (conv != null) {
            ModalScanRecurrent.Dims d = conv.dims();
            long[] pm = {d.channels(), d.modes()};
            FloatGrads g = backwardFloats(Host.readFloats(dY));
            return new Grads(Host.array(g.du(), (long) d.batch() * d.steps(), d.channels()),
                    Host.array(g.der(), dtype, pm), Host.array(g.dei(), dtype, pm), Host.array(g.dcr(), dtype, pm),
                    Host.array(g.dci(), dtype, pm));
        }
        ModalScanRecurrent.Saved s = saved;
        ModalScanRecurrent.Dims d = s.dims();
        int hm = d.channels() * d.modes();
        double[] du = new double[s.u().length], der = new double[hm], dei = new double[hm], dcr = new double[hm];
        double[] dci = new double[hm];
        ModalScanRecurrent.backward(s, Host.read(dY), null, du, der, dei, dcr, dci, null);
        saved = null;
        long[] pm = {d.channels(), d.modes()};
        return new Grads(Host.array(du, dtype, (long) d.batch() * d.steps(), d.channels()), Host.array(der, dtype, pm),
                Host.array(dei, dtype, pm), Host.array(dcr, dtype, pm), Host.array(dci, dtype, pm));
    }
}
