package org.selectivbench.models.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.modules.Dropout;
import org.selectivbench.models.modules.Linear;
import org.selectivbench.models.modules.Nd;
import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.modules.Pass;
import org.selectivbench.models.modules.RmsNorm;
import org.selectivbench.models.ops.Arena;
import org.selectivbench.models.ops.Attention;
import org.selectivbench.models.ops.AttentionRows;
import org.selectivbench.models.ops.AttentionFloat;
import org.selectivbench.models.ops.Host;
import org.selectivbench.models.ops.Kernels;
import org.selectivbench.models.ops.QkRope;
import org.selectivbench.models.ops.QkRopeFloat;
import org.selectivbench.models.ops.SwiGlu;

/**
 * Transformer layer of the reference (SPEC 6): causal softmax attention (the {@link Attention} op),
 * RoPE base 1000, per-head RMS norm on q and k (t / (rms(t) + 1e-8) * w), q/k/v/out linear with bias,
 * branch RMSNorm, then a SwiGLU FFN of width 4d with a trainable swish beta and dropout. As in the
 * reference the layer's output already contains its residual (x + attn, then + ffn); the wrapper adds
 * x again. RoPE rotates the first 2 floor(hd / 2) dimensions of a head in halves; an odd last one
 * passes unrotated. On the CPU path the attention's inputs, the attention and the SwiGLU run as Java
 * kernels, on float arrays for a float32 model and on double arrays otherwise.
 */
final class TransformerLayer implements Mixer {
    private static final double ROPE_BASE = 1000.0;
    private final int d;
    private final int heads;
    private final int hd;
    private final Linear qkv;
    private final ParamStore.Param qn;
    private final ParamStore.Param kn;
    private final Linear o;
    private final RmsNorm bn;
    private final Linear l1;
    private final ParamStore.Param beta;
    private final Linear l2;
    private final Dropout ffnDrop;
    private Attention.Saved att;
    private AttentionRows.Saved attJava;
    private QkRope.Saved rope;
    private AttentionFloat.Saved attFloats;
    private QkRopeFloat.Saved ropeFloats;
    private INDArray[] qNorm;
    private INDArray[] kNorm;
    private INDArray hid;
    private INDArray sig;
    private double[][] hidJava;
    private float[][] hidFloats;
    private boolean floats;

    TransformerLayer(ModelConfig c, ParamStore ps, String p) {
        this.d = c.width();
        this.heads = c.heads();
        this.hd = c.headDim();
        this.qkv = new Linear(ps, p + ".qkv", d, 3 * d, true);
        this.qn = ps.param(p + ".qn", ParamStore.Init.constant(1.0), hd);
        this.kn = ps.param(p + ".kn", ParamStore.Init.constant(1.0), hd);
        this.o = new Linear(ps, p + ".o", d, d, true);
        this.bn = new RmsNorm(ps, p + ".bn", d);
        this.l1 = new Linear(ps, p + ".l1", d, 8 * d, true);
        this.beta = ps.param(p + ".swish_beta", ParamStore.Init.constant(1.0), 1);
        this.l2 = new Linear(ps, p + ".l2", 4 * d, d, true);
        this.ffnDrop = new Dropout(p + ".ffn", c.dropout());
    }

    /** The scalars the constructor creates. */
    static long parameters(ModelConfig c) {
        int d = c.width(), hd = c.headDim();
        return Linear.parameters(d, 3 * d, true)
                + hd + hd // qn, kn
                + Linear.parameters(d, d, true)
                + RmsNorm.parameters(d)
                + Linear.parameters(d, 8 * d, true)
                + 1 // swish_beta
                + Linear.parameters(4 * d, d, true);
    }

    @Override
    public INDArray forward(Pass p, INDArray x) {
        if (Kernels.current() == Kernels.JAVA && x.dataType() == DataType.FLOAT) {
            return Host.array(forwardFloats(p, Host.readFloats(x)), p.rows(), d);
        }
        floats = false;
        INDArray all = qkv.forward(p, x);
        INDArray a = Kernels.current() == Kernels.JAVA ? attendJava(p, all) : attend(p, all);
        INDArray y = x.add(bn.forward(p, o.forward(p, a)));
        INDArray h = l1.forward(p, y);
        INDArray ffn = l2.forward(p, Kernels.current() == Kernels.JAVA ? swiGluJava(p, h) : swiGlu(p, h));
        return y.add(ffnDrop.forward(p, ffn)); // y stays as l1 saw it
    }

    /** x1 sigmoid(beta x1) x2 over h = [x1, x2] [R, 8d], in array operations (any backend). */
    private INDArray swiGlu(Pass p, INDArray h) {
        INDArray x1 = Nd.cols(h, 0, 4L * d), x2 = Nd.cols(h, 4L * d, 8L * d);
        INDArray s = Nd.sigmoid(x1.mul(beta.value().getDouble(0)));
        if (p.keep()) {
            hid = h;
            sig = s;
        }
        return x1.mul(s).muli(x2);
    }

    /** The same in one Java pass ({@link SwiGlu}): the column views cost ND4J strided loops. */
    private INDArray swiGluJava(Pass p, INDArray h) {
        int rows = (int) h.size(0);
        double[] hv = Host.read(h), s = new double[rows * 4 * d];
        double[] f = SwiGlu.forward(rows, 4 * d, hv, beta.value().getDouble(0), s);
        if (p.keep()) {
            hidJava = new double[][] {hv, s};
        }
        return Host.array(f, h.dataType(), rows, 4L * d);
    }

    /** Attention's output rows [B*T, d] from the qkv rows, in array operations (any backend). */
    private INDArray attend(Pass p, INDArray all) {
        INDArray[] rope = ropeTables(p.steps(), all.dataType());
        INDArray[] qs = qkNorm(toHeads(Nd.cols(all, 0, d), p), qn.value());
        INDArray[] ks = qkNorm(toHeads(Nd.cols(all, d, 2L * d), p), kn.value());
        INDArray q = rotate(qs[0], rope, false), k = rotate(ks[0], rope, false);
        Attention.Result r = Attention.forward(q, k, toHeads(Nd.cols(all, 2L * d, 3L * d), p), Math.pow(hd, -0.5),
                p.keep());
        if (p.keep()) {
            att = r.saved();
            qNorm = qs;
            kNorm = ks;
        }
        return fromHeads(r.out(), p);
    }

    /** The same in two Java passes over the rows (CPU path, float64): {@link QkRope}, then {@link AttentionRows}. */
    private INDArray attendJava(Pass p, INDArray all) {
        QkRope.Dims dims = new QkRope.Dims(p.batch(), p.steps(), heads, hd);
        QkRope.Result in = QkRope.forward(dims, Host.read(all), Host.read(qn.value()), Host.read(kn.value()),
                QkRope.Tables.of(p.steps(), hd, ROPE_BASE), p.keep());
        double[] out = new double[in.q().length];
        AttentionRows.Saved rows = AttentionRows.forward(new AttentionRows.Dims(p.batch() * heads, p.steps(), hd),
                in.q(), in.k(), in.v(), Math.pow(hd, -0.5), out, p.keep());
        if (p.keep()) {
            attJava = rows;
            rope = in.saved();
        }
        return Host.array(QkRope.toRows(dims, out), all.dataType(), (long) p.batch() * p.steps(), d);
    }

    /**
     * The layer on Java float arrays (float32 models on the CPU path): the projections in
     * {@link Linear#forwardFloats}' loops, {@link QkRopeFloat}, {@link AttentionFloat}, the branch norm
     * and SwiGLU, with no copies between them.
     */
    @Override
    public float[] forwardFloats(Pass p, float[] xf) {
        floats = true;
        int rows = (int) p.rows();
        float[] all = qkv.forwardFloats(p, xf, rows);
        QkRope.Dims dims = new QkRope.Dims(p.batch(), p.steps(), heads, hd);
        QkRopeFloat.Tables rope = QkRopeFloat.Tables.of(QkRope.Tables.of(p.steps(), hd, ROPE_BASE), hd);
        QkRopeFloat.Result in = QkRopeFloat.forward(dims, all, Host.readFloats(qn.value()),
                Host.readFloats(kn.value()), rope, p.keep());
        float[] att = Arena.uninitialized(in.q().length);
        AttentionFloat.Saved blocks = AttentionFloat.forward(
                new AttentionRows.Dims(p.batch() * heads, p.steps(), hd), in.q(), in.k(), in.v(),
                (float) Math.pow(hd, -0.5), att, p.keep());
        float[] y = bn.forwardFloats(p, o.forwardFloats(p, QkRopeFloat.toRows(dims, att), rows), d, null);
        for (int i = 0; i < y.length; i++) {
            y[i] += xf[i];
        }
        float[] h = l1.forwardFloats(p, y, rows), s = Arena.uninitialized(rows * 4 * d);
        float[] f = SwiGlu.forward(rows, 4 * d, h, beta.value().getFloat(0), s);
        float[] ffn = l2.forwardFloats(p, f, rows), m = ffnDrop.drawFloats(p, d);
        for (int i = 0; i < ffn.length; i++) {
            ffn[i] = y[i] + (m == null ? ffn[i] : ffn[i] * m[i]);
        }
        if (p.keep()) {
            attFloats = blocks;
            ropeFloats = in.saved();
            hidFloats = new float[][] {h, s};
        }
        return ffn;
    }

    @Override
    public INDArray backward(Pass p, INDArray dOut) {
        if (floats) {
            return Host.array(backwardFloats(p, Host.readFloats(dOut)), p.rows(), d);
        }
        double b = beta.value().getDouble(0);
        INDArray df = l2.backward(ffnDrop.backward(dOut), null);
        INDArray dh;
        if (hidJava != null) {
            int rows = (int) df.size(0);
            double[] g = new double[rows * 8 * d];
            beta.grad().addi(SwiGlu.backward(rows, 4 * d, hidJava[0], hidJava[1], b, Host.read(df), g));
            dh = Host.array(g, df.dataType(), rows, 8L * d);
            hidJava = null;
        } else {
            INDArray x1 = Nd.cols(hid, 0, 4L * d), x2 = Nd.cols(hid, 4L * d, 8L * d);
            // f = x1 s(b x1) x2: d/dx1 = x2 (s + b x1 s (1 - s)), d/db = x2 x1^2 s (1 - s)
            INDArray ds = sig.rsub(1.0).muli(sig); // s (1 - s)
            INDArray dfx2 = df.mul(x2);
            beta.grad().addi(dfx2.mul(x1).muli(x1).muli(ds).sumNumber().doubleValue());
            INDArray dx1 = ds.muli(x1).muli(b).addi(sig).muli(dfx2);
            INDArray dx2 = df.mul(x1).muli(sig);
            dh = Nd.concatCols(dx1, dx2);
            hid = null;
            sig = null;
        }
        INDArray dy = l1.backward(dh, dOut.dup());
        INDArray da = o.backward(bn.backward(dy)[0], null);
        INDArray dqkv = attJava != null ? attendJavaBackward(p, da) : attendBackward(p, da);
        return qkv.backward(dqkv, dy);
    }

    private INDArray attendBackward(Pass p, INDArray da) {
        INDArray[] g = Attention.backward(att, toHeads(da, p));
        INDArray[] rope = ropeTables(p.steps(), da.dataType());
        INDArray dq = qkNormBackward(qNorm, qn, rotate(g[0], rope, true));
        INDArray dk = qkNormBackward(kNorm, kn, rotate(g[1], rope, true));
        att = null;
        qNorm = null;
        kNorm = null;
        return Nd.concatCols(fromHeads(dq, p), fromHeads(dk, p), fromHeads(g[2], p));
    }

    private INDArray attendJavaBackward(Pass p, INDArray da) {
        DataType dt = da.dataType();
        double[][] g = AttentionRows.backward(attJava, QkRope.toHeads(rope.dims(), Host.read(da)));
        double[][] r = QkRope.backward(rope, g[0], g[1], g[2]);
        qn.grad().addi(Host.array(r[1], dt, hd));
        kn.grad().addi(Host.array(r[2], dt, hd));
        attJava = null;
        rope = null;
        return Host.array(r[0], dt, (long) p.batch() * p.steps(), 3L * d);
    }

    /** The backward pass of {@link #forwardFloats}, in the same arrays. */
    @Override
    public float[] backwardFloats(Pass p, float[] dOut) {
        int rows = (int) p.rows();
        float[] dy = dOut.clone(), m = ffnDrop.takenFloats(), dffn = dy; // dy takes the FFN's input gradient
        if (m != null) {
            dffn = Arena.uninitialized(dy.length);
            for (int i = 0; i < dy.length; i++) {
                dffn[i] = dy[i] * m[i];
            }
        }
        float[] dh = Arena.uninitialized(rows * 8 * d);
        beta.grad().addi(SwiGlu.backward(rows, 4 * d, hidFloats[0], hidFloats[1], beta.value().getFloat(0),
                l2.backwardFloats(dffn, rows, null), dh));
        hidFloats = null;
        l1.backwardFloats(dh, rows, dy); // dy: the residual's and the FFN's
        float[] da = o.backwardFloats(bn.backwardFloats(dy, d).dx(), rows, null);
        float[] dHeads = QkRopeFloat.toHeads(ropeFloats.dims(), da);
        float[][] g = AttentionFloat.backward(attFloats, dHeads);
        double[] dwq = new double[hd], dwk = new double[hd];
        float[] dRows = QkRopeFloat.backward(ropeFloats, g[0], g[1], g[2], dwq, dwk);
        qn.grad().addi(Host.array(dwq, DataType.FLOAT, hd));
        kn.grad().addi(Host.array(dwk, DataType.FLOAT, hd));
        attFloats = null;
        ropeFloats = null;
        return qkv.backwardFloats(dRows, rows, dy);
    }

    /** Rows [B*T, d] to per-head sequences [B*H, T, hd]. */
    private INDArray toHeads(INDArray x, Pass p) {
        return x.reshape(p.batch(), p.steps(), heads, hd).permute(0, 2, 1, 3).dup('c')
                .reshape((long) p.batch() * heads, p.steps(), hd);
    }

    /** Per-head sequences [B*H, T, hd] back to rows [B*T, d]. */
    private INDArray fromHeads(INDArray x, Pass p) {
        return x.reshape(p.batch(), heads, p.steps(), hd).permute(0, 2, 1, 3).dup('c').reshape(-1, d);
    }

    /** t / (sqrt(mean t^2) + 1e-8) * w over each head vector: {out, t, 1 / (rms + 1e-8), rms}. */
    private INDArray[] qkNorm(INDArray t, INDArray w) {
        INDArray rows = t.reshape(-1, hd);
        INDArray rms = Nd.meanCols(rows.mul(rows));
        Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.floating.Sqrt(rms, rms));
        INDArray inv = rms.add(1e-8).rdivi(1.0);
        INDArray out = rows.mulColumnVector(inv).muliRowVector(w);
        return new INDArray[] {out.reshape(t.shape()), rows, inv, rms};
    }

    /** dt from d(out): out = t inv w, inv = 1 / (rms + eps), d rms / dt = t / (hd rms). */
    private INDArray qkNormBackward(INDArray[] saved, ParamStore.Param w, INDArray dOut) {
        INDArray rows = saved[1], inv = saved[2], rms = saved[3];
        INDArray dn = dOut.reshape(-1, hd);
        w.grad().addi(Nd.sumRows(dn.mul(rows).muliColumnVector(inv)));
        INDArray dxh = dn.mulRowVector(w.value());
        INDArray dot = Nd.sumCols(dxh.mul(rows)); // sum_j dxh_j t_j
        INDArray coef = dot.muli(inv).muli(inv).divi(rms.mul(hd)); // dot inv^2 / (hd rms)
        return dxh.muliColumnVector(inv).subi(rows.mulColumnVector(coef)).reshape(dOut.shape());
    }

    /**
     * RoPE on [G, T, hd]: [x1 cos + x2 sin, x2 cos - x1 sin] over the halves of the first 2 floor(hd/2)
     * dimensions; {@code inverse} applies the transpose (the backward pass).
     */
    private INDArray rotate(INDArray x, INDArray[] tables, boolean inverse) {
        int half = hd / 2;
        INDArray x1 = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, half));
        INDArray x2 = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(half, 2 * half));
        INDArray c1 = mulTable(x1, tables[0]), s1 = mulTable(x1, tables[1]);
        INDArray c2 = mulTable(x2, tables[0]), s2 = mulTable(x2, tables[1]);
        INDArray out = x.dup('c');
        out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, half))
                .assign(inverse ? c1.subi(s2) : c1.addi(s2));
        out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(half, 2 * half))
                .assign(inverse ? c2.addi(s1) : c2.subi(s1));
        return out;
    }

    /** x [G, T, half] times a table [T, half]. */
    private static INDArray mulTable(INDArray x, INDArray table) {
        INDArray o = Nd4j.createUninitialized(x.dataType(), x.shape());
        Nd4j.exec(new BroadcastMulOp(x, table, o, 1, 2));
        return o;
    }

    /** cos and sin of t * base^(-2i/hd), [T, hd/2], as arrays (the Java form's {@link QkRope.Tables}). */
    private INDArray[] ropeTables(int t, DataType dt) {
        QkRope.Tables tb = QkRope.Tables.of(t, hd, ROPE_BASE);
        return new INDArray[] {Nd4j.create(tb.cos(), new long[] {t, hd / 2}, DataType.DOUBLE).castTo(dt),
            Nd4j.create(tb.sin(), new long[] {t, hd / 2}, DataType.DOUBLE).castTo(dt)};
    }

    @Override
    public boolean carriesState() {
        return false;
    }
}
