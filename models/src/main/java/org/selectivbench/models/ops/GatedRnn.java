package org.selectivbench.models.ops;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The LSTM and GRU recurrences on ND4J arrays: see {@link GatedRnnRecurrent}. Runs the Java kernel (in
 * float for float32 arrays, {@link GatedRnnFloat}, else in double) or, under {@link Kernels#ND4J},
 * {@link GatedRnnSteps}; backward follows the form its forward ran. One instance per layer.
 */
public final class GatedRnn {
    private GatedRnnRecurrent.Saved saved;
    private GatedRnnFloat.Saved single;
    private GatedRnnSteps.Saved steps;
    private DataType dtype;

    /**
     * dX [B*T, G*d]: gradients of the input projections; dA: of the recurrent projections (the same array
     * for the LSTM); hPrev [B*T, d]: h_{t-1} per row, for dW_h = hPrev^T dA.
     */
    public record Grads(INDArray dX, INDArray dA, INDArray hPrev) {
    }

    /** {@link Grads} as Java arrays (float32 Java path); dA is dX for the LSTM. */
    public record FloatGrads(float[] dX, float[] dA, float[] hPrev) {
    }

    /**
     * h [B*T, d]; the last h (and c) into hEnd (cEnd) [B, d] when not null.
     *
     * @param bn GRU: b_hn [d]; LSTM: null
     */
    public INDArray forward(GatedRnnRecurrent.Dims d, INDArray xg, INDArray wh, INDArray bn, INDArray h0, INDArray c0,
                            INDArray hEnd, INDArray cEnd, boolean keep) {
        dtype = xg.dataType();
        if (Kernels.current() == Kernels.ND4J) {
            GatedRnnSteps.Result r = GatedRnnSteps.forward(d, xg, wh, bn, h0, c0, hEnd, cEnd, keep);
            saved = null;
            steps = r.saved();
            return r.h();
        }
        steps = null;
        single = null;
        if (dtype == DataType.FLOAT) {
            return Host.array(forwardFloats(d, Host.readFloats(xg), Host.readFloats(wh),
                    bn == null ? null : Host.readFloats(bn), h0, c0, hEnd, cEnd, keep),
                    (long) d.batch() * d.steps(), d.hidden());
        }
        double[] h = new double[d.batch() * d.steps() * d.hidden()];
        double[] he = hEnd == null ? null : new double[d.batch() * d.hidden()];
        double[] ce = cEnd == null ? null : new double[d.batch() * d.hidden()];
        saved = GatedRnnRecurrent.forward(d, Host.read(xg), Host.read(wh), bn == null ? null : Host.read(bn),
                h0 == null ? null : Host.read(h0), c0 == null ? null : Host.read(c0), h, he, ce, keep);
        if (hEnd != null) {
            Host.write(he, hEnd);
        }
        if (cEnd != null) {
            Host.write(ce, cEnd);
        }
        return Host.array(h, dtype, (long) d.batch() * d.steps(), d.hidden());
    }

    /** The float32 Java path's form of {@link #forward}: the projections and h as Java arrays. */
    public float[] forwardFloats(GatedRnnRecurrent.Dims d, float[] xg, float[] wh, float[] bn, INDArray h0,
                                 INDArray c0, INDArray hEnd, INDArray cEnd, boolean keep) {
        dtype = DataType.FLOAT;
        steps = null;
        saved = null;
        float[] h = Arena.floats(d.batch() * d.steps() * d.hidden());
        float[] he = hEnd == null ? null : Arena.floats(d.batch() * d.hidden());
        float[] ce = cEnd == null ? null : Arena.floats(d.batch() * d.hidden());
        single = GatedRnnFloat.forward(d, xg, wh, bn, h0 == null ? null : Host.readFloats(h0),
                c0 == null ? null : Host.readFloats(c0), h, he, ce, keep);
        if (hEnd != null) {
            Host.write(he, hEnd);
        }
        if (cEnd != null) {
            Host.write(ce, cEnd);
        }
        return h;
    }

    /** The backward pass of {@link #forwardFloats}. */
    public FloatGrads backwardFloats(float[] dH) {
        GatedRnnFloat.Saved s = single;
        GatedRnnRecurrent.Dims d = s.dims();
        int rows = d.batch() * d.steps();
        float[] dX = Arena.uninitialized(rows * d.width()); // every row written at its step
        float[] dA = d.cell() == GatedRnnRecurrent.Cell.GRU ? Arena.uninitialized(dX.length) : null;
        GatedRnnFloat.backward(s, dH, null, null, dX, dA, null, null);
        single = null;
        return new FloatGrads(dX, dA == null ? dX : dA, s.hPrev());
    }

    public Grads backward(INDArray dH) {
        if (steps != null) {
            GatedRnnSteps.Grads g = GatedRnnSteps.backward(steps, dH, null, null);
            steps = null;
            return new Grads(g.dX(), g.dA(), g.hPrev());
        }
        if (single != null) {
            return backwardFloat(dH);
        }
        GatedRnnRecurrent.Saved s = saved;
        GatedRnnRecurrent.Dims d = s.dims();
        long rows = (long) d.batch() * d.steps();
        double[] dX = new double[Math.toIntExact(rows * d.width())];
        double[] dA = d.cell() == GatedRnnRecurrent.Cell.GRU ? new double[dX.length] : null;
        GatedRnnRecurrent.backward(s, Host.read(dH), null, null, dX, dA, null, null);
        saved = null;
        INDArray x = Host.array(dX, dtype, rows, d.width());
        return new Grads(x, dA == null ? x : Host.array(dA, dtype, rows, d.width()),
                Host.array(s.hPrev(), dtype, rows, d.hidden()));
    }

    private Grads backwardFloat(INDArray dH) {
        GatedRnnRecurrent.Dims d = single.dims();
        long rows = (long) d.batch() * d.steps();
        FloatGrads g = backwardFloats(Host.readFloats(dH));
        INDArray x = Host.array(g.dX(), rows, d.width());
        return new Grads(x, g.dA() == g.dX() ? x : Host.array(g.dA(), rows, d.width()),
                Host.array(g.hPrev(), rows, d.hidden()));
    }
}
