package org.selectivbench.models.ops;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * S4D's modal recurrence on ND4J arrays: see {@link ModalScanRecurrent}. Runs the Java kernel or, under
 * {@link Kernels#ND4J}, {@link ModalScanChunked}; backward follows the form its forward ran. One instance
 * per layer.
 */
public final class ModalScan {
    private ModalScanRecurrent.Saved saved;
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
            chunked = r.saved();
            return r.y();
        }
        chunked = null;
        double[] y = new double[d.batch() * d.steps() * d.channels()];
        double[] e = end == null ? null : new double[Math.toIntExact(end.length())];
        saved = ModalScanRecurrent.forward(d, Host.read(u), Host.read(er), Host.read(ei), Host.read(cr), Host.read(ci),
                start == null ? null : Host.read(start), y, e, keep);
        if (end != null) {
            Host.write(e, end);
        }
        return Host.array(y, dtype, (long) d.batch() * d.steps(), d.channels());
    }

    public Grads backward(INDArray dY) {
        if (chunked != null) {
            ModalScanChunked.Grads g = ModalScanChunked.backward(chunked, dY, null);
            chunked = null;
            return new Grads(g.du(), g.der(), g.dei(), g.dcr(), g.dci());
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
