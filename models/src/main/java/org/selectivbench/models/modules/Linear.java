package org.selectivbench.models.modules;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.models.ops.ColumnSumsFloat;
import org.selectivbench.models.ops.GemmFloat;
import org.selectivbench.models.ops.Host;

/** x W (+ b) for rows [R, in], init uniform(+-1/sqrt(in)) as torch's nn.Linear; W [in, out], b [out]. */
public final class Linear {
    private final ParamStore.Param w;
    private final ParamStore.Param b;
    private INDArray x;
    /** The input the float path kept, [rows, in], when it ran its own matmuls. */
    private float[] xFloats;

    public Linear(ParamStore ps, String name, int in, int out, boolean bias) {
        this(ps.param(name + ".w", ParamStore.Init.uniform(1.0 / Math.sqrt(in)), in, out),
                bias ? ps.param(name + ".b", ParamStore.Init.uniform(1.0 / Math.sqrt(in)), out) : null);
    }

    /** The scalars the constructor above creates: w [in, out] and, with {@code bias}, b [out]. */
    public static long parameters(int in, int out, boolean bias) {
        return (long) in * out + (bias ? out : 0);
    }

    /** A linear map on given parameters (for inits other than nn.Linear's): w [in, out], b [out] or null. */
    public Linear(ParamStore.Param w, ParamStore.Param b) {
        this.w = w;
        this.b = b;
    }

    public INDArray weight() {
        return w.value();
    }

    public INDArray forward(Pass p, INDArray x) {
        INDArray y = Nd.mm(x, w.value());
        if (b != null) {
            y.addiRowVector(b.value());
        }
        this.x = p.keep() ? x : null;
        return y;
    }

    /** Adds the parameter gradients; returns dy W^T, or adds it into {@code dx} when given (then returns it). */
    public INDArray backward(INDArray dy, INDArray dx) {
        Nd.mmAdd(x, dy, w.grad(), true, false);
        if (b != null) {
            b.grad().addi(Nd.sumRows(dy));
        }
        x = null;
        if (dx == null) {
            return Nd.mm(dy, w.value(), false, true);
        }
        Nd.mmAdd(dy, w.value(), dx, false, true);
        return dx;
    }

    /**
     * {@link #forward} for the float32 Java path, from and to Java arrays (rows [rows, in] and [rows,
     * out]), on {@link GemmFloat}'s loops at any width: a narrow product (a delta layer's betas, Mamba's
     * dt rank) takes their scalar chains, which cost about what the copies to and from ND4J for BLAS do,
     * and the path then holds no ND4J arrays of rows (its memory is the Java heap's).
     */
    public float[] forwardFloats(Pass p, float[] x, int rows) {
        int in = (int) w.value().size(0), out = (int) w.value().size(1);
        xFloats = p.keep() ? x : null;
        Nd.recordJava(rows, out, in, false, false, false);
        return GemmFloat.nn(x, Host.readFloats(w.value()), b == null ? null : Host.readFloats(b.value()), rows, in, out);
    }

    /**
     * {@link #forwardFloats} as column blocks of the given widths (summing to out), each a dense [rows,
     * width] array, for a layer whose one projection makes several inputs (Mamba2's z, x, B, C and dt).
     * Every output is the same chain as in the whole product, so the same bits, and no pass over the rows
     * splits them afterwards (those passes were 8% of a Mamba2 step; docs/engine-log.md).
     */
    public float[][] forwardFloatsCols(Pass p, float[] x, int rows, int... widths) {
        int in = (int) w.value().size(0), out = (int) w.value().size(1);
        checkWidths(widths, out);
        xFloats = p.keep() ? x : null;
        float[] wAll = Host.readFloats(w.value()), bAll = b == null ? null : Host.readFloats(b.value());
        float[][] y = new float[widths.length][];
        for (int i = 0, from = 0; i < widths.length; from += widths[i++]) {
            int n = widths[i];
            Nd.recordJava(rows, n, in, false, false, false);
            y[i] = GemmFloat.nn(x, Cols.of(wAll, out, from, from + n), bAll == null ? null
                    : Arrays.copyOfRange(bAll, from, from + n), rows, in, n);
        }
        return y;
    }

    /**
     * The backward pass after {@link #forwardFloatsCols}, from the blocks' gradients: the same bits as
     * {@link #backwardFloats} on the blocks side by side (dy W^T runs each sum over the blocks in turn, one
     * chain; each weight and bias gradient is its column's own sum).
     */
    public float[] backwardFloatsCols(float[][] dys, int rows, float[] dx) {
        int in = (int) w.value().size(0), out = (int) w.value().size(1);
        int[] widths = Cols.widths(dys, rows);
        checkWidths(widths, out);
        if (xFloats == null) {
            throw new IllegalStateException("a float backward pass without a kept float forward pass");
        }
        float[] g = Host.readFloats(w.grad()), wAll = Host.readFloats(w.value());
        float[] db = b == null ? null : new float[out];
        float[] result = dx;
        for (int i = 0, from = 0; i < dys.length; from += widths[i++]) {
            int n = widths[i];
            float[] gb = Cols.of(g, out, from, from + n);
            GemmFloat.tnAdd(xFloats, dys[i], gb, rows, in, n);
            Nd.recordJava(in, n, rows, true, false, true);
            Cols.put(gb, g, out, from);
            if (db != null) {
                System.arraycopy(ColumnSumsFloat.columnSums(dys[i], rows, n), 0, db, from, n);
            }
            Nd.recordJava(rows, in, n, false, true, result != null);
            result = GemmFloat.nt(dys[i], Cols.of(wAll, out, from, from + n), result, rows, n, in);
        }
        Host.write(g, w.grad());
        if (db != null) {
            b.grad().addi(Host.array(db, out));
        }
        xFloats = null;
        return result;
    }

    private static void checkWidths(int[] widths, int out) {
        Cols.check(widths, out, "column blocks", "the layer's " + out + " outputs");
    }

    /**
     * The backward pass after {@link #forwardFloats}: adds the parameter gradients and returns dy W^T
     * [rows, in], or adds it into {@code dx} when given (then returns it).
     */
    public float[] backwardFloats(float[] dy, int rows, float[] dx) {
        int in = (int) w.value().size(0), out = (int) w.value().size(1);
        paramGradsFloats(dy, rows, in, out);
        Nd.recordJava(rows, in, out, false, true, dx != null);
        return GemmFloat.nt(dy, Host.readFloats(w.value()), dx, rows, out, in);
    }

    /** The weight (x^T dy) and bias gradients after {@link #forwardFloats}. */
    private void paramGradsFloats(float[] dy, int rows, int in, int out) {
        if (xFloats == null) {
            throw new IllegalStateException("a float backward pass without a kept float forward pass");
        }
        float[] g = Host.readFloats(w.grad());
        GemmFloat.tnAdd(xFloats, dy, g, rows, in, out);
        Nd.recordJava(in, out, rows, true, false, true);
        Host.write(g, w.grad());
        if (b != null) {
            b.grad().addi(Host.array(ColumnSumsFloat.columnSums(dy, rows, out), out));
        }
        xFloats = null;
    }

    /** {@link #backwardParams} after {@link #forwardFloats}, on dy [rows, out] as a Java array. */
    public void backwardParamsFloats(float[] dy, int rows) {
        paramGradsFloats(dy, rows, (int) w.value().size(0), (int) w.value().size(1));
    }

    /** The weight [in, out], for the fused output layer and loss ({@link CrossEntropy#trainingFloats}). */
    ParamStore.Param weightParam() {
        return w;
    }

    /** The bias [out], or null. */
    ParamStore.Param biasParam() {
        return b;
    }

    /** Adds the parameter gradients only (the input needs none: the model's input layer). */
    public void backwardParams(INDArray dy) {
        Nd.mmAdd(x, dy, w.grad(), true, false);
        if (b != null) {
            b.grad().addi(Nd.sumRows(dy));
        }
        x = null;
    }
}
