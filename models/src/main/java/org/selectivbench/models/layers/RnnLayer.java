package org.selectivbench.models.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.modules.Nd;
import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.modules.Pass;
import org.selectivbench.models.ops.Arena;
import org.selectivbench.models.ops.ColumnSumsFloat;
import org.selectivbench.models.ops.GatedRnn;
import org.selectivbench.models.ops.GatedRnnRecurrent;
import org.selectivbench.models.ops.GatedRnnRecurrent.Cell;
import org.selectivbench.models.ops.GemmFloat;
import org.selectivbench.models.ops.Host;

/**
 * The classic LSTM and GRU baselines (hidden size d), init as torch (+-1/sqrt(d)). The input projections
 * of all steps are one matmul; the recurrence is the {@link GatedRnn} op; every weight gradient is one
 * matmul over all steps. LSTM parameters wx, wh [d, 4d] and b [4d], gates (i, f, g, o); GRU (torch's
 * form) wh [d, 3d], bh [3d], bx [3d], wx [d, 3d], gates (r, z, n), with b_hr and b_hz added to the input
 * projection and b_hn inside r (W_hn h + b_hn).
 */
final class RnnLayer implements Mixer {
    private final String name;
    private final Cell cell;
    private final int d;
    private final ParamStore.Param wx;
    private final ParamStore.Param wh;
    private final ParamStore.Param b;
    private final ParamStore.Param bh;
    private final GatedRnn rnn = new GatedRnn();
    private INDArray x;
    /** The float32 Java path's input rows, kept for the weight gradients; null on the ND4J-array path. */
    private float[] xFloats;

    RnnLayer(ModelConfig c, ParamStore ps, String p, Cell cell) {
        this.name = p;
        this.cell = cell;
        this.d = c.width();
        ParamStore.Init init = ParamStore.Init.uniform(1.0 / Math.sqrt(d));
        int w = cell == Cell.LSTM ? 4 * d : 3 * d;
        if (cell == Cell.LSTM) {
            this.wx = ps.param(p + ".wx", init, d, w);
            this.wh = ps.param(p + ".wh", init, d, w);
            this.b = ps.param(p + ".b", init, w);
            this.bh = null;
        } else {
            this.wh = ps.param(p + ".wh", init, d, w);
            this.bh = ps.param(p + ".bh", init, w);
            this.b = ps.param(p + ".bx", init, w);
            this.wx = ps.param(p + ".wx", init, d, w);
        }
    }

    /** The scalars the constructor creates: wx, wh and the bias (two biases for the GRU). */
    static long parameters(ModelConfig c, Cell cell) {
        long d = c.width(), w = cell == Cell.LSTM ? 4 * d : 3 * d;
        return cell == Cell.LSTM ? d * w + d * w + w : d * w + w + w + d * w;
    }

    @Override
    public INDArray forward(Pass p, INDArray in) {
        xFloats = null;
        INDArray xg = Nd.mm(in, wx.value()).addiRowVector(b.value());
        INDArray bn = null;
        if (cell == Cell.GRU) { // b_hr, b_hz join the input projection; b_hn stays inside r (...)
            Nd.cols(xg, 0, 2L * d).addiRowVector(Nd.cols(bh.value().reshape(1, 3L * d), 0, 2L * d));
            bn = Nd.dense(Nd.cols(bh.value().reshape(1, 3L * d), 2L * d, 3L * d));
        }
        boolean lstm = cell == Cell.LSTM;
        INDArray hEnd = States.end(p, in.dataType(), d), cEnd = lstm ? States.end(p, in.dataType(), d) : null;
        INDArray h = rnn.forward(new GatedRnnRecurrent.Dims(cell, p.batch(), p.steps(), d), xg, wh.value(), bn,
                p.carried(name + ".h"), lstm ? p.carried(name + ".c") : null, hEnd, cEnd, p.keep());
        States.carry(p, name + ".h", hEnd);
        States.carry(p, name + ".c", cEnd);
        x = p.keep() ? in : null;
        return h;
    }

    /**
     * The float32 Java path: the input projection on {@link GemmFloat}'s loops and the recurrence on Java
     * arrays, no copies to or from ND4J between them.
     */
    @Override
    public float[] forwardFloats(Pass p, float[] in) {
        int rows = (int) p.rows(), w = (int) wx.value().size(1);
        Nd.recordJava(rows, w, d, false, false, false);
        float[] xg = GemmFloat.nn(in, Host.readFloats(wx.value()), Host.readFloats(b.value()), rows, d, w);
        float[] bn = null;
        if (cell == Cell.GRU) { // b_hr, b_hz join the input projection; b_hn stays inside r (...)
            float[] bhv = Host.readFloats(bh.value());
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < 2 * d; j++) {
                    xg[r * w + j] += bhv[j];
                }
            }
            bn = java.util.Arrays.copyOfRange(bhv, 2 * d, 3 * d);
        }
        boolean lstm = cell == Cell.LSTM;
        INDArray hEnd = States.end(p, DataType.FLOAT, d), cEnd = lstm ? States.end(p, DataType.FLOAT, d) : null;
        float[] h = rnn.forwardFloats(new GatedRnnRecurrent.Dims(cell, p.batch(), p.steps(), d), xg,
                Host.readFloats(wh.value()), bn, p.carried(name + ".h"), lstm ? p.carried(name + ".c") : null, hEnd,
                cEnd, p.keep());
        States.carry(p, name + ".h", hEnd);
        States.carry(p, name + ".c", cEnd);
        xFloats = p.keep() ? in : null;
        x = null;
        return h;
    }

    @Override
    public float[] backwardFloats(Pass p, float[] dh) {
        if (xFloats == null) { // the forward pass took ND4J arrays
            return Mixer.super.backwardFloats(p, dh);
        }
        int rows = (int) p.rows(), w = (int) wx.value().size(1);
        GatedRnn.FloatGrads g = rnn.backwardFloats(dh);
        if (g.dA() == g.dX()) { // the LSTM: both weight gradients from the gates' one gradient, in one pass
            addGrads(wx, xFloats, wh, g.hPrev(), g.dX(), rows, d, w);
        } else {
            addGrad(wx, xFloats, g.dX(), rows, d, w);
            addGrad(wh, g.hPrev(), g.dA(), rows, d, w);
        }
        float[] dxSum = ColumnSumsFloat.columnSums(g.dX(), rows, w);
        b.grad().addi(Host.array(dxSum, w));
        if (cell == Cell.GRU) { // b_hr, b_hz joined the input projection, b_hn the recurrent one (forward)
            float[] daSum = ColumnSumsFloat.columnSums(g.dA(), rows, w), bg = Arena.floats(w);
            System.arraycopy(dxSum, 0, bg, 0, 2 * d);
            System.arraycopy(daSum, 2 * d, bg, 2 * d, d);
            bh.grad().addi(Host.array(bg, w));
        }
        xFloats = null;
        Nd.recordJava(rows, d, w, false, true, false);
        return GemmFloat.nt(g.dX(), Host.readFloats(wx.value()), null, rows, w, d);
    }

    /** grad(param [k, n]) += a^T b for a [rows, k], b [rows, n], on {@link GemmFloat}'s loops. */
    private static void addGrad(ParamStore.Param param, float[] a, float[] b, int rows, int k, int n) {
        float[] g = Host.readFloats(param.grad());
        GemmFloat.tnAdd(a, b, g, rows, k, n);
        Nd.recordJava(k, n, rows, true, false, true);
        Host.write(g, param.grad());
    }

    /** {@link #addGrad} of a1 into p1 and of a2 into p2 against the same b, in one pass over b. */
    private static void addGrads(ParamStore.Param p1, float[] a1, ParamStore.Param p2, float[] a2, float[] b,
                                 int rows, int k, int n) {
        float[] g1 = Host.readFloats(p1.grad()), g2 = Host.readFloats(p2.grad());
        GemmFloat.tnAddPair(a1, g1, a2, g2, b, rows, k, n);
        Nd.recordJava(k, n, rows, true, false, true);
        Nd.recordJava(k, n, rows, true, false, true);
        Host.write(g1, p1.grad());
        Host.write(g2, p2.grad());
    }

    @Override
    public INDArray backward(Pass p, INDArray dh) {
        GatedRnn.Grads g = rnn.backward(dh);
        Nd.mmAdd(x, g.dX(), wx.grad(), true, false);
        INDArray dxSum = Nd.sumRows(g.dX());
        b.grad().addi(dxSum);
        Nd.mmAdd(g.hPrev(), g.dA(), wh.grad(), true, false);
        if (cell == Cell.GRU) { // b_hr, b_hz joined the input projection, b_hn the recurrent one (forward)
            INDArray daSum = Nd.sumRows(g.dA());
            bh.grad().get(NDArrayIndex.interval(0, 2L * d)).addi(dxSum.get(NDArrayIndex.interval(0, 2L * d)));
            bh.grad().get(NDArrayIndex.interval(2L * d, 3L * d)).addi(daSum.get(NDArrayIndex.interval(2L * d, 3L * d)));
        }
        x = null;
        return Nd.mm(g.dX(), wx.value(), false, true);
    }

    @Override
    public boolean carriesState() {
        return true;
    }
}
