package org.selectivbench.models.ops;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Moves arrays between ND4J and the Java kernels, as double arrays (most kernels compute in double
 * whatever the model's type) or, for the kernels with a float form, as float arrays of a float32 model.
 * On the CPU backend a contiguous array, or a column block of a wider matrix, is read and written
 * through a view of its native memory; anything else (views, other backends) goes through a copy.
 */
public final class Host {
    private static final boolean CPU = Nd4j.getBackend().getClass().getSimpleName().startsWith("CpuBackend");

    private Host() {
    }

    /** Whether ND4J runs on the CPU, where the Java kernels are the fast path. */
    public static boolean cpu() {
        return CPU;
    }

    /** The values of {@code a} in row-major order (a new array). */
    public static double[] read(INDArray a) {
        double[] out = new double[Math.toIntExact(a.length())];
        read(a, out);
        return out;
    }

    /** The values of {@code a} in row-major order into {@code out}. */
    public static void read(INDArray a, double[] out) {
        int n = Math.toIntExact(a.length());
        if (direct(a)) {
            if (a.dataType() == DataType.DOUBLE) {
                DoubleBuffer b = a.data().asNioDouble();
                b.position((int) a.offset());
                b.get(out, 0, n);
            } else {
                FloatBuffer b = a.data().asNioFloat();
                b.position((int) a.offset());
                float[] f = floats(n);
                b.get(f, 0, n); // one copy out of native memory, then a loop the JIT vectorizes
                for (int i = 0; i < n; i++) {
                    out[i] = f[i];
                }
            }
            return;
        }
        if (rowView(a)) { // columns of a wider matrix (a layer's projection split): row by row
            int rows = (int) a.size(0), cols = (int) a.size(1);
            long ld = a.stride(0);
            if (a.dataType() == DataType.DOUBLE) {
                DoubleBuffer b = a.data().asNioDouble();
                for (int r = 0; r < rows; r++) {
                    b.position((int) (a.offset() + r * ld));
                    b.get(out, r * cols, cols);
                }
            } else {
                float[] f = floats(n);
                floatRows(a, f);
                for (int i = 0; i < n; i++) {
                    out[i] = f[i];
                }
            }
            return;
        }
        double[] v = a.dup('c').castTo(DataType.DOUBLE).data().asDouble();
        System.arraycopy(v, 0, out, 0, n);
    }

    /** Writes the first a.length() of row-major {@code values} into {@code a} (in place). */
    public static void write(double[] values, INDArray a) {
        int n = Math.toIntExact(a.length());
        if (direct(a)) {
            if (a.dataType() == DataType.DOUBLE) {
                DoubleBuffer b = a.data().asNioDouble();
                b.position((int) a.offset());
                b.put(values, 0, n);
            } else {
                float[] f = floats(n);
                for (int i = 0; i < n; i++) {
                    f[i] = (float) values[i];
                }
                FloatBuffer b = a.data().asNioFloat();
                b.position((int) a.offset());
                b.put(f, 0, n);
            }
            return;
        }
        double[] v = values.length == n ? values : java.util.Arrays.copyOf(values, n);
        a.assign(Nd4j.create(v, a.shape(), DataType.DOUBLE).castTo(a.dataType()));
    }

    /** Writes the first a.length() of row-major {@code values} into float32 {@code a} (in place). */
    public static void write(float[] values, INDArray a) {
        int n = Math.toIntExact(a.length());
        if (direct(a) && a.dataType() == DataType.FLOAT) {
            FloatBuffer b = a.data().asNioFloat();
            b.position((int) a.offset());
            b.put(values, 0, n);
            return;
        }
        float[] v = values.length == n ? values : java.util.Arrays.copyOf(values, n);
        a.assign(Nd4j.create(v, a.shape(), 'c').castTo(a.dataType()));
    }

    /** The values of float32 {@code a} in row-major order (a new array), for the float kernels. */
    public static float[] readFloats(INDArray a) {
        if (a.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("a float kernel was given a " + a.dataType() + " array");
        }
        if (direct(a)) {
            float[] out = new float[Math.toIntExact(a.length())];
            FloatBuffer b = a.data().asNioFloat();
            b.position((int) a.offset());
            b.get(out);
            return out;
        }
        if (rowView(a)) {
            float[] out = new float[Math.toIntExact(a.length())];
            floatRows(a, out);
            return out;
        }
        return a.dup('c').data().asFloat();
    }

    /** A float32 {@link #rowView}'s rows, one after another, into out. */
    private static void floatRows(INDArray a, float[] out) {
        int rows = (int) a.size(0), cols = (int) a.size(1);
        FloatBuffer b = a.data().asNioFloat();
        for (int r = 0; r < rows; r++) {
            b.position((int) (a.offset() + r * a.stride(0)));
            b.get(out, r * cols, cols);
        }
    }

    /** A new float32 array of {@code shape} holding {@code values}. */
    public static INDArray array(float[] values, long... shape) {
        INDArray a = Nd4j.createUninitialized(DataType.FLOAT, shape);
        if (direct(a)) {
            FloatBuffer b = a.data().asNioFloat();
            b.position((int) a.offset());
            b.put(values, 0, Math.toIntExact(a.length()));
            return a;
        }
        return Nd4j.create(values, shape, 'c');
    }

    /** A new array of {@code shape} and type {@code dt} holding {@code values}. */
    public static INDArray array(double[] values, DataType dt, long... shape) {
        INDArray a = Nd4j.createUninitialized(dt, shape);
        write(values, a);
        return a;
    }

    /** A per-thread float scratch of at least n entries, for the copies in and out of native memory. */
    private static float[] floats(int n) {
        float[] f = SCRATCH.get();
        if (f.length < n) {
            f = new float[Math.max(n, 2 * f.length)];
            SCRATCH.set(f);
        }
        return f;
    }

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /** A matrix whose rows are each contiguous in native memory, in order (a column block of a c-ordered one). */
    private static boolean rowView(INDArray a) {
        return CPU && a.rank() == 2 && a.stride(1) == 1 && a.stride(0) >= a.size(1)
                && a.offset() + a.size(0) * a.stride(0) < Integer.MAX_VALUE
                && (a.dataType() == DataType.DOUBLE || a.dataType() == DataType.FLOAT);
    }

    private static boolean direct(INDArray a) {
        return CPU && a.ordering() == 'c' && Shape.hasDefaultStridesForShape(a)
                && (a.dataType() == DataType.DOUBLE || a.dataType() == DataType.FLOAT);
    }
}
