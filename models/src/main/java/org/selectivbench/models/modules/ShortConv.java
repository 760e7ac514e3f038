package org.selectivbench.models.modules;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.selectivbench.models.ops.Arena;
import org.selectivbench.models.ops.DepthwiseConv;
import org.selectivbench.models.ops.Exp;
import org.selectivbench.models.ops.Host;
import org.selectivbench.models.ops.Kernels;

/**
 * Short causal depthwise conv over time (kernel K) then SiLU, per sequence of rows [B*T, C]:
 * y_t = silu(b + sum_j w_j x_{t-K+1+j}), x before the first step = 0, or in a segment of a long
 * evaluation the previous segment's last K-1 inputs (state {@code name.tail}). Init as torch's
 * depthwise Conv1d: uniform(+-1/sqrt(K)), w [K, C], b [C]. With the Java kernels the linear part is
 * {@link DepthwiseConv}'s loops; in the ND4J form each tap is one broadcast product of a time-shifted
 * view of the padded input (some 30 array operations per call, forward and backward). Float32 arrays
 * take the loops' float form.
 */
public final class ShortConv {
    private final String name;
    private final int channels;
    private final int kernel;
    private final ParamStore.Param w;
    private final ParamStore.Param b;
    private INDArray padded;
    private INDArray pre;
    private double[] xs;
    private double[] tailIn;
    private double[] zs;
    private double[] sig;
    /** What the float form's backward needs: x, the tail and silu'(z) (float32 models). */
    private float[][] kept;
    /** The same per channel block after {@link #forwardFloatsCols}. */
    private float[][][] keptCols;

    public ShortConv(ParamStore ps, String name, int channels, int kernel, boolean bias) {
        this.name = name;
        this.channels = channels;
        this.kernel = kernel;
        double bound = 1.0 / Math.sqrt(kernel);
        this.w = ps.param(name + ".w", ParamStore.Init.uniform(bound), kernel, channels);
        this.b = bias ? ps.param(name + ".b", ParamStore.Init.uniform(bound), channels) : null;
    }

    /** The scalars the constructor creates: taps [kernel, channels] and, with {@code bias}, b [channels]. */
    public static long parameters(int channels, int kernel, boolean bias) {
        return (long) kernel * channels + (bias ? channels : 0);
    }

    /** x rows [B*T, C] (a view is fine) to y rows [B*T, C]. */
    public INDArray forward(Pass p, INDArray x) {
        if (Kernels.current() == Kernels.JAVA) {
            return forwardJava(p, x);
        }
        int bsz = p.batch(), t = p.steps(), k1 = kernel - 1;
        INDArray seq = x.dup('c').reshape(bsz, t, channels);
        INDArray tail = p.carried(name + ".tail");
        INDArray pad = k1 == 0 ? seq : Nd4j.concat(1, tail != null ? tail : Nd4j.zeros(x.dataType(), bsz, k1, channels), seq);
        if (k1 > 0) {
            p.carry(name + ".tail", pad.get(NDArrayIndex.all(), NDArrayIndex.interval(t, t + k1), NDArrayIndex.all()));
        }
        INDArray acc = Nd4j.zeros(x.dataType(), bsz, t, channels);
        INDArray term = acc.ulike();
        for (int j = 0; j < kernel; j++) {
            Nd4j.exec(new BroadcastMulOp(tap(pad, j, t), w.value().getRow(j), term, 2));
            acc.addi(term);
        }
        INDArray z = acc.reshape(-1, channels);
        if (b != null) {
            z.addiRowVector(b.value());
        }
        if (p.keep()) {
            padded = pad;
            pre = z;
        }
        return Nd.silu(z);
    }

    private INDArray forwardJava(Pass p, INDArray x) {
        if (x.dataType() == DataType.FLOAT) {
            return Host.array(forwardFloats(p, x), x.size(0), channels);
        }
        DepthwiseConv.Dims d = new DepthwiseConv.Dims(p.batch(), p.steps(), channels, kernel);
        double[] in = Host.read(x);
        INDArray tail = p.carried(name + ".tail");
        double[] tl = tail == null ? null : Host.read(tail);
        double[] z = new double[in.length];
        DepthwiseConv.forward(d, in, tl, Host.read(w.value()), b == null ? null : Host.read(b.value()), z);
        if (kernel > 1 && p.segmented()) {
            p.carry(name + ".tail", Host.array(DepthwiseConv.lastInputs(d, in, tl), x.dataType(), p.batch(), kernel - 1,
                    channels));
        }
        // SiLU here too, keeping the sigmoid: backward then needs no exp and no pre-activation array
        double[] s = new double[z.length], y = new double[z.length];
        Exp.sigmoids(z, s);
        for (int i = 0; i < z.length; i++) {
            y[i] = z[i] * s[i];
        }
        if (p.keep()) {
            xs = in;
            tailIn = tl;
            zs = z;
            sig = s;
        }
        return Host.array(y, x.dataType(), x.size(0), channels);
    }

    /** The float32 Java path's forward, y as a Java array (for a float kernel that reads it next). */
    public float[] forwardFloats(Pass p, INDArray x) {
        return forwardFloats(p, Host.readFloats(x));
    }

    /** {@link #forwardFloats(Pass, INDArray)} from x as a Java array, rows [B*T, C]. */
    public float[] forwardFloats(Pass p, float[] in) {
        return forwardFloats(p, in, 1);
    }

    /**
     * y scale, {@code PointwiseFloat.scaled(forwardFloats(p, in), scale)} bit for bit, without the pass of its
     * own (GLA's q); {@link #backwardFloats(Pass, float[], float)} then takes the same scale.
     */
    public float[] forwardFloats(Pass p, float[] in, float scale) {
        DepthwiseConv.Dims d = new DepthwiseConv.Dims(p.batch(), p.steps(), channels, kernel);
        INDArray tail = p.carried(name + ".tail");
        float[] tl = tail == null ? null : Host.readFloats(tail);
        float[][] dsiluY = forwardBlock(d, in, tl, Host.readFloats(w.value()), b == null ? null : Host.readFloats(b.value()),
                scale);
        if (kernel > 1 && p.segmented()) {
            p.carry(name + ".tail", Host.array(DepthwiseConv.lastInputs(d, in, tl), p.batch(), kernel - 1, channels));
        }
        if (p.keep()) {
            kept = new float[][] {in, tl, dsiluY[0]};
        }
        return dsiluY[1];
    }

    /**
     * One block of channels (all of them, or a column block) from its input, tail, taps and bias: y = z
     * sigmoid(z) scale and the SiLU's derivative s (1 + z (1 - s)), s = sigmoid(z), on each sequence as soon
     * as it is convolved, while its rows are in cache. z goes into y's array and sigmoid(z) into the
     * derivative's, each overwritten in place: the loops wait on memory, and a third array written here
     * and read again in backward cost more than its arithmetic.
     */
    private static float[][] forwardBlock(DepthwiseConv.Dims d, float[] in, float[] tl, float[] w, float[] bias,
                                          float scale) {
        float[] y = Arena.uninitialized(in.length), dsilu = Arena.uninitialized(y.length);
        DepthwiseConv.forward(d, in, tl, w, bias, y, (from, n) -> {
            Exp.sigmoids(y, dsilu, from, n);
            for (int i = from; i < from + n; i++) {
                float z = y[i], s = dsilu[i];
                y[i] = z * s * scale;
                dsilu[i] = s * (1 + z * (1 - s));
            }
        });
        return new float[][] {dsilu, y};
    }

    /**
     * {@link #forwardFloats(Pass, float[])} on the channels as blocks, each its own dense [B*T, width] array
     * (Mamba2's x, B and C, as the input projection's column blocks make them; the widths sum to C): the
     * conv is per channel, so every output, the tail handed on and the gradients are the same bits as on
     * the blocks side by side, without the passes that join and split them.
     */
    public float[][] forwardFloatsCols(Pass p, float[]... ins) {
        int rows = p.batch() * p.steps(), k1 = kernel - 1;
        int[] widths = widths(ins, rows);
        INDArray tail = p.carried(name + ".tail");
        float[] tl = tail == null ? null : Host.readFloats(tail), wAll = Host.readFloats(w.value());
        float[] bAll = b == null ? null : Host.readFloats(b.value());
        float[] handed = kernel > 1 && p.segmented() ? new float[p.batch() * k1 * channels] : null;
        float[][] ys = new float[ins.length][];
        float[][][] keptCols = p.keep() ? new float[ins.length][][] : null;
        for (int i = 0, from = 0; i < ins.length; from += widths[i++]) {
            int n = widths[i];
            DepthwiseConv.Dims d = new DepthwiseConv.Dims(p.batch(), p.steps(), n, kernel);
            float[] in = ins[i], tb = tl == null ? null : Cols.of(tl, channels, from, from + n);
            float[][] dsiluY = forwardBlock(d, in, tb, Cols.of(wAll, channels, from, from + n),
                    bAll == null ? null : Arrays.copyOfRange(bAll, from, from + n), 1);
            if (handed != null) {
                Cols.put(DepthwiseConv.lastInputs(d, in, tb), handed, channels, from);
            }
            if (keptCols != null) {
                keptCols[i] = new float[][] {in, tb, dsiluY[0]};
            }
            ys[i] = dsiluY[1];
        }
        if (handed != null) {
            p.carry(name + ".tail", Host.array(handed, p.batch(), k1, channels));
        }
        this.keptCols = keptCols;
        return ys;
    }

    /** The backward pass of {@link #forwardFloatsCols}: the blocks' dx, from their dy; adds w's and b's gradients. */
    public float[][] backwardFloatsCols(Pass p, float[]... dys) {
        if (keptCols == null || keptCols.length != dys.length) {
            throw new IllegalStateException(name + ": a block backward pass without its kept block forward pass");
        }
        int rows = p.batch() * p.steps();
        int[] widths = widths(dys, rows);
        float[] wAll = Host.readFloats(w.value()), dwAll = new float[kernel * channels];
        float[] dbAll = b == null ? null : new float[channels];
        float[][] dxs = new float[dys.length][];
        for (int i = 0, from = 0; i < dys.length; from += widths[i++]) {
            int n = widths[i];
            DepthwiseConv.Dims d = new DepthwiseConv.Dims(p.batch(), p.steps(), n, kernel);
            float[] dw = Arena.floats(kernel * n), db = b == null ? null : Arena.floats(n);
            dxs[i] = backwardBlock(d, keptCols[i], Cols.of(wAll, channels, from, from + n), dys[i], 1, dw, db);
            Cols.put(dw, dwAll, channels, from);
            if (db != null) {
                System.arraycopy(db, 0, dbAll, from, n);
            }
        }
        keptCols = null;
        w.grad().addi(Host.array(dwAll, kernel, channels));
        if (b != null) {
            b.grad().addi(Host.array(dbAll, channels));
        }
        return dxs;
    }

    private int[] widths(float[][] blocks, int rows) {
        int[] widths = Cols.widths(blocks, rows);
        Cols.check(widths, channels, name + ": channel blocks", String.valueOf(channels));
        return widths;
    }

    /** The gradient of x, rows [B*T, C]; adds the weight (and bias) gradients. */
    public INDArray backward(Pass p, INDArray dy) {
        if (kept != null) {
            return Host.array(backwardFloats(p, Host.readFloats(dy)), dy.size(0), channels);
        }
        if (xs != null) {
            return backwardJava(p, dy);
        }
        int bsz = p.batch(), t = p.steps(), k1 = kernel - 1;
        INDArray dpre = Nd.siluBackward(pre, dy);
        if (b != null) {
            b.grad().addi(Nd.sumRows(dpre));
        }
        INDArray d3 = dpre.reshape(bsz, t, channels);
        INDArray dpad = Nd4j.zeros(dy.dataType(), bsz, t + k1, channels);
        INDArray term = d3.ulike();
        for (int j = 0; j < kernel; j++) {
            INDArray xj = tap(padded, j, t);
            w.grad().getRow(j).addi(xj.mul(d3).sum(0, 1));
            Nd4j.exec(new BroadcastMulOp(d3, w.value().getRow(j), term, 2));
            tap(dpad, j, t).addi(term);
        }
        padded = null;
        pre = null;
        return dpad.get(NDArrayIndex.all(), NDArrayIndex.interval(k1, k1 + t), NDArrayIndex.all()).dup('c')
                .reshape(-1, channels);
    }

    private INDArray backwardJava(Pass p, INDArray dy) {
        DepthwiseConv.Dims d = new DepthwiseConv.Dims(p.batch(), p.steps(), channels, kernel);
        double[] dpre = Host.read(dy);
        for (int i = 0; i < dpre.length; i++) { // silu'(z) = s (1 + z (1 - s))
            dpre[i] *= sig[i] * (1 + zs[i] * (1 - sig[i]));
        }
        double[] dx = new double[dpre.length], dw = new double[kernel * channels];
        double[] db = b == null ? null : new double[channels];
        DepthwiseConv.backward(d, xs, tailIn, Host.read(w.value()), dpre, dx, dw, db);
        w.grad().addi(Host.array(dw, dy.dataType(), kernel, channels));
        if (b != null) {
            b.grad().addi(Host.array(db, dy.dataType(), channels));
        }
        xs = null;
        tailIn = null;
        zs = null;
        sig = null;
        return Host.array(dx, dy.dataType(), dy.size(0), channels);
    }

    /** The float32 Java path's backward from dy as a Java array (after {@link #forwardFloats}). */
    public float[] backwardFloats(Pass p, float[] dy) {
        return backwardFloats(p, dy, 1);
    }

    /** The backward pass of {@link #forwardFloats(Pass, float[], float)}: dy scaled first, as a pass would. */
    public float[] backwardFloats(Pass p, float[] dy, float scale) {
        DepthwiseConv.Dims d = new DepthwiseConv.Dims(p.batch(), p.steps(), channels, kernel);
        float[] dw = Arena.floats(kernel * channels), db = b == null ? null : Arena.floats(channels);
        float[] dx = backwardBlock(d, kept, Host.readFloats(w.value()), dy, scale, dw, db);
        kept = null;
        w.grad().addi(Host.array(dw, kernel, channels));
        if (b != null) {
            b.grad().addi(Host.array(db, channels));
        }
        return dx;
    }

    /**
     * One block's backward pass from what {@link #forwardBlock} kept ({in, tail, silu'(z)}): its dx,
     * the taps' and bias's gradients written into dw and db; each sequence's dpre just before the conv
     * reads it, and the conv writes every entry of dx.
     */
    private static float[] backwardBlock(DepthwiseConv.Dims d, float[][] kept, float[] w, float[] dy, float scale,
                                         float[] dw, float[] db) {
        float[] in = kept[0], tl = kept[1], dsilu = kept[2];
        float[] dpre = Arena.uninitialized(dy.length), dx = Arena.uninitialized(dpre.length);
        DepthwiseConv.backward(d, in, tl, w, dpre, dx, dw, db, (from, n) -> {
            for (int i = from; i < from + n; i++) {
                dpre[i] = dy[i] * scale * dsilu[i];
            }
        });
        return dx;
    }

    /** Steps [j, j + t) of the padded sequence: the inputs tap j sees. */
    private static INDArray tap(INDArray padded, int j, int t) {
        INDArrayIndex[] ix = {NDArrayIndex.all(), NDArrayIndex.interval(j, j + t), NDArrayIndex.all()};
        return padded.get(ix);
    }
}
