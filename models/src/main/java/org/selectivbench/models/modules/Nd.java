package org.selectivbench.models.modules;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.floating.RSqrt;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Exp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Log;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.SoftPlus;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Swish;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.selectivbench.models.ops.ColumnSumsFloat;
import org.selectivbench.models.ops.Host;
import org.selectivbench.models.ops.Kernels;
import org.selectivbench.models.ops.PointwiseFloat;

/**
 * The ND4J vocabulary of the explicit forward and backward passes: matmuls into fresh or accumulated
 * outputs, row and column broadcasts, and activations with their derivatives. Inside a step's
 * workspace every fresh array comes from the workspace, so a steady-state step maps no new memory.
 * Arrays are rows [R, n] unless stated. On the Java path, float32 activations run as
 * {@link PointwiseFloat}'s loops.
 */
public final class Nd {
    private Nd() {
    }

    /**
     * One matmul a step made: c [m, n] (+)= op(a) op(b) with an inner size k, through BLAS or, when
     * {@code java}, the float path's own loops ({@link org.selectivbench.models.ops.GemmFloat}).
     */
    public record Gemm(long m, long n, long k, boolean ta, boolean tb, boolean accumulate, boolean java) {
        public double flops() {
            return 2.0 * m * n * k;
        }
    }

    /** While not null, every matmul of this thread is listed here (bench's floor of a step's matmuls). */
    private static final ThreadLocal<java.util.List<Gemm>> RECORDING = new ThreadLocal<>();

    /** Runs {@code work} and returns the matmuls it made through this class, in order. */
    public static java.util.List<Gemm> recordGemms(Runnable work) {
        java.util.List<Gemm> list = new java.util.ArrayList<>();
        RECORDING.set(list);
        try {
            work.run();
        } finally {
            RECORDING.remove();
        }
        return list;
    }

    private static void gemm(INDArray a, INDArray b, INDArray c, boolean ta, boolean tb, double beta) {
        java.util.List<Gemm> list = RECORDING.get();
        if (list != null) {
            list.add(new Gemm(c.size(0), c.size(1), ta ? a.size(0) : a.size(1), ta, tb, beta != 0, false));
        }
        Nd4j.gemm(a, b, c, ta, tb, 1.0, beta);
    }

    /** Lists a matmul of the float path's own loops, while {@link #recordGemms} records. */
    public static void recordJava(long m, long n, long k, boolean ta, boolean tb, boolean accumulate) {
        java.util.List<Gemm> list = RECORDING.get();
        if (list != null) {
            list.add(new Gemm(m, n, k, ta, tb, accumulate, true));
        }
    }

    /** op(a) op(b) into a new array. */
    public static INDArray mm(INDArray a, INDArray b, boolean ta, boolean tb) {
        long rows = ta ? a.size(1) : a.size(0), cols = tb ? b.size(0) : b.size(1);
        INDArray c = Nd4j.createUninitialized(a.dataType(), rows, cols);
        gemm(a, b, c, ta, tb, 0.0);
        return c;
    }

    public static INDArray mm(INDArray a, INDArray b) {
        return mm(a, b, false, false);
    }

    /** c += op(a) op(b); c must not be a view. */
    public static void mmAdd(INDArray a, INDArray b, INDArray c, boolean ta, boolean tb) {
        gemm(a, b, c, ta, tb, 1.0);
    }

    /** Column sums, [n]. */
    public static INDArray sumRows(INDArray x) {
        if (javaFloat(x) && x.rank() == 2) {
            int rows = (int) x.size(0), n = (int) x.size(1);
            return Host.array(ColumnSumsFloat.columnSums(Host.readFloats(x), rows, n), n);
        }
        return x.sum(0);
    }

    /** Row sums as a column [R, 1]. */
    public static INDArray sumCols(INDArray x) {
        return x.sum(1).reshape(x.size(0), 1);
    }

    /** Row means as a column [R, 1]. */
    public static INDArray meanCols(INDArray x) {
        return x.mean(1).reshape(x.size(0), 1);
    }

    /** Columns [from, to) of rows x, a view. */
    public static INDArray cols(INDArray x, long from, long to) {
        return x.get(NDArrayIndex.all(), NDArrayIndex.interval(from, to));
    }

    /** The column blocks side by side: [R, sum of widths]. */
    public static INDArray concatCols(INDArray... parts) {
        return Nd4j.concat(1, parts);
    }

    /** A same-shape copy of a view (views cannot be gemm outputs nor reshaped freely). */
    public static INDArray dense(INDArray x) {
        return x.dup('c');
    }

    /** 1 / sqrt(x), in place. */
    public static INDArray rsqrti(INDArray x) {
        return Nd4j.exec(new RSqrt(x, x));
    }

    public static INDArray exp(INDArray x) {
        return Nd4j.exec(new Exp(x, x.ulike()));
    }

    public static INDArray log(INDArray x) {
        return Nd4j.exec(new Log(x, x.ulike()));
    }

    public static INDArray sigmoid(INDArray x) {
        if (javaFloat(x)) {
            return Host.array(PointwiseFloat.sigmoid(Host.readFloats(x)), x.shape());
        }
        return Nd4j.exec(new Sigmoid(x, x.ulike()));
    }

    /** log(1 + exp(x)). */
    public static INDArray softplus(INDArray x) {
        if (javaFloat(x)) {
            return Host.array(PointwiseFloat.softplus(Host.readFloats(x)), x.shape());
        }
        return Nd4j.exec(new SoftPlus(x, x.ulike()));
    }

    /** x sigmoid(x). */
    public static INDArray silu(INDArray x) {
        if (javaFloat(x)) {
            return Host.array(PointwiseFloat.silu(Host.readFloats(x)), x.shape());
        }
        return Nd4j.exec(new Swish(x, x.ulike()));
    }

    /** dy * silu'(x), silu'(x) = s (1 + x (1 - s)), s = sigmoid(x). */
    public static INDArray siluBackward(INDArray x, INDArray dy) {
        if (javaFloat(x)) {
            return Host.array(PointwiseFloat.siluBackward(Host.readFloats(x), Host.readFloats(dy)), x.shape());
        }
        INDArray s = sigmoid(x);
        INDArray d = s.rsub(1.0).muli(x).addi(1.0).muli(s);
        return d.muli(dy);
    }

    /** GLU of rows [R, 2h]: z1 sigmoid(z2), z1 and z2 the halves of each row. */
    public static INDArray glu(INDArray z, long h) {
        if (javaFloat(z)) {
            return Host.array(PointwiseFloat.glu(Host.readFloats(z), Math.toIntExact(h)), z.size(0), h);
        }
        return cols(z, 0, h).mul(sigmoid(cols(z, h, 2 * h)));
    }

    /** The gradient [R, 2h] of {@link #glu} from dy [R, h]. */
    public static INDArray gluBackward(INDArray z, INDArray dy, long h) {
        if (javaFloat(z)) {
            return Host.array(PointwiseFloat.gluBackward(Host.readFloats(z), Host.readFloats(dy), Math.toIntExact(h)),
                    z.size(0), 2 * h);
        }
        INDArray z1 = cols(z, 0, h), s2 = sigmoid(cols(z, h, 2 * h));
        return concatCols(dy.mul(s2), sigmoidBackward(s2, dy.mul(z1)));
    }

    /** Exact GELU: 0.5 y (1 + erf(y / sqrt 2)). */
    public static INDArray gelu(INDArray y) {
        if (javaFloat(y)) {
            return Host.array(PointwiseFloat.gelu(Host.readFloats(y)), y.shape());
        }
        INDArray e = Nd4j.exec(new Erf(y.mul(1 / Math.sqrt(2)), y.ulike()));
        return e.addi(1.0).muli(y).muli(0.5);
    }

    /** d * gelu'(y), gelu'(y) = 0.5 (1 + erf(y / sqrt 2)) + y exp(-y^2 / 2) / sqrt(2 pi). */
    public static INDArray geluBackward(INDArray y, INDArray d) {
        if (javaFloat(y)) {
            return Host.array(PointwiseFloat.geluBackward(Host.readFloats(y), Host.readFloats(d)), y.shape());
        }
        INDArray e = Nd4j.exec(new Erf(y.mul(1 / Math.sqrt(2)), y.ulike())).addi(1.0).muli(0.5);
        INDArray pdf = exp(y.mul(y).muli(-0.5)).muli(y).muli(1 / Math.sqrt(2 * Math.PI));
        return e.addi(pdf).muli(d);
    }

    /** Float32 on the Java path: the activations take {@link PointwiseFloat}'s loops. */
    private static boolean javaFloat(INDArray x) {
        return x.dataType() == DataType.FLOAT && Kernels.current() == Kernels.JAVA;
    }

    /** dy * sigmoid'(.) from the sigmoid's output s. */
    public static INDArray sigmoidBackward(INDArray s, INDArray dy) {
        return s.rsub(1.0).muli(s).muli(dy);
    }

    /** Zeros of the given shape and type. */
    public static INDArray zeros(DataType dt, long... shape) {
        return Nd4j.zeros(dt, shape);
    }
}
