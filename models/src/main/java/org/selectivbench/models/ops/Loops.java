package org.selectivbench.models.ops;

/**
 * Loops the kernels share: element-wise ones and transposition. C2 did not vectorize them where three double arrays meet, so
 * with {@link Simd#on} they run in {@link VectorLoops}, which does the same operations lane by lane:
 * the same numbers.
 */
final class Loops {
    private Loops() {
    }

    /** y[yo + i] += a[ao + i] * b[bo + i] for i in [0, n). */
    static void addProducts(double[] y, int yo, double[] a, int ao, double[] b, int bo, int n) {
        if (Simd.on()) {
            VectorLoops.addProducts(y, yo, a, ao, b, bo, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            y[yo + i] += a[ao + i] * b[bo + i];
        }
    }

    /** The float form of {@link #addProducts(double[], int, double[], int, double[], int, int)}. */
    static void addProducts(float[] y, int yo, float[] a, int ao, float[] b, int bo, int n) {
        if (Simd.on()) {
            VectorLoops.addProducts(y, yo, a, ao, b, bo, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            y[yo + i] += a[ao + i] * b[bo + i];
        }
    }

    /** out[oo + i] = a[ao + i] b[bo + i] for i in [0, n). */
    static void products(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i = Simd.on() ? VectorLoops.products(a, ao, b, bo, out, oo, n) : 0;
        for (; i < n; i++) {
            out[oo + i] = a[ao + i] * b[bo + i];
        }
    }

    /** x[xo + i] *= f[fo + i] for i in [0, n). */
    static void multiply(float[] x, int xo, float[] f, int fo, int n) {
        int i = Simd.on() ? VectorLoops.multiply(x, xo, f, fo, n) : 0;
        for (; i < n; i++) {
            x[xo + i] *= f[fo + i];
        }
    }

    /**
     * out[oo + i] = x[xo + i] s for i in [0, n) (out may be x at the same offset, or at another past its
     * range). Past the whole vectors eight entries go written out: over heads of 8, C2 compiled a loop of
     * 8 trips with pre- and post-loops that cost more than its body (Mamba2's dt loop 0.86 ms over 5,120
     * rows, 0.36 written out).
     */
    static void scaled(float[] x, int xo, float s, float[] out, int oo, int n) {
        int i = Simd.on() ? VectorLoops.scaled(x, xo, s, out, oo, n) : 0;
        for (; i + 8 <= n; i += 8) {
            out[oo + i] = x[xo + i] * s;
            out[oo + i + 1] = x[xo + i + 1] * s;
            out[oo + i + 2] = x[xo + i + 2] * s;
            out[oo + i + 3] = x[xo + i + 3] * s;
            out[oo + i + 4] = x[xo + i + 4] * s;
            out[oo + i + 5] = x[xo + i + 5] * s;
            out[oo + i + 6] = x[xo + i + 6] * s;
            out[oo + i + 7] = x[xo + i + 7] * s;
        }
        for (; i < n; i++) {
            out[oo + i] = x[xo + i] * s;
        }
    }

    /** y[yo + r ch + c] += w[wo + c] x[xo + r ch + c] for r in [0, rows), c in [0, ch): one weight row, many rows. */
    static void addScaledRows(float[] y, int yo, float[] w, int wo, float[] x, int xo, int rows, int ch) {
        int c0 = Simd.on() ? VectorLoops.addScaledRows(y, yo, w, wo, x, xo, rows, ch) : 0;
        for (int c = c0; c < ch; c++) {
            for (int r = 0, o = c; r < rows; r++, o += ch) {
                y[yo + o] += w[wo + c] * x[xo + o];
            }
        }
    }

    /** acc[ao + c] += sum_r x[xo + r ch + c] d[dOff + r ch + c] for c in [0, ch), the rows in order. */
    static void addDots(float[] acc, int ao, float[] x, int xo, float[] d, int dOff, int rows, int ch) {
        int c0 = Simd.on() ? VectorLoops.addDots(acc, ao, x, xo, d, dOff, rows, ch) : 0;
        for (int c = c0; c < ch; c++) {
            float a = acc[ao + c];
            for (int r = 0, o = c; r < rows; r++, o += ch) {
                a += x[xo + o] * d[dOff + o];
            }
            acc[ao + c] = a;
        }
    }

    /** acc[ao + c] += sum_r x[xo + r ch + c] for c in [0, ch), the rows in order. */
    static void addRowSums(float[] acc, int ao, float[] x, int xo, int rows, int ch) {
        int c0 = Simd.on() ? VectorLoops.addRowSums(acc, ao, x, xo, rows, ch) : 0;
        for (int c = c0; c < ch; c++) {
            float a = acc[ao + c];
            for (int r = 0, o = c; r < rows; r++, o += ch) {
                a += x[xo + o];
            }
            acc[ao + c] = a;
        }
    }

    /** Floats per 64-byte cache line. */
    private static final int LINE = 16;
    /** Where {@link #touch} leaves its sum, so that the JIT keeps its loads. */
    private static float touched;

    /**
     * Reads x[from, to) in order, an entry a cache line, and changes nothing: a kernel that then walks the
     * range in blocks across rows (the short conv's) finds its lines in cache, where its own strided
     * misses came one after another and the hardware prefetcher did not follow them (docs/engine-log.md).
     */
    static void touch(float[] x, int from, int to) {
        float s = 0;
        for (int p = from; p < to; p += LINE) {
            s += x[p];
        }
        touched += s;
    }

    /** x widened to double, a new array. */
    static double[] doubles(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    /** x rounded to float, a new array. */
    static float[] floats(double[] x) {
        float[] f = Arena.uninitialized(x.length);
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    /** out[oo + c * rows + r] = a[ao + r * cols + c]: a [rows, cols] block of a, transposed into out. */
    static void transpose(double[] a, int ao, int rows, int cols, double[] out, int oo) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[oo + c * rows + r] = a[ao + r * cols + c];
            }
        }
    }

    /** a [rows, cols] as a new [cols, rows] array. */
    static float[] transposed(float[] a, int rows, int cols) {
        float[] out = Arena.uninitialized(rows * cols);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = a[r * cols + c];
            }
        }
        return out;
    }

    /** a [rows, cols] as a new [cols, rows] array. */
    static double[] transposed(double[] a, int rows, int cols) {
        double[] out = new double[rows * cols];
        transpose(a, 0, rows, cols, out, 0);
        return out;
    }

    /**
     * sum of a[ao + i] b[bo + i] for i in [0, n), in the order the vector forms keep with 4 or 8 lanes:
     * eight stripes (i mod 8) over the first n - n % 8 entries, combined as ((p0 + p1) + (p2 + p3)) +
     * ((p4 + p5) + (p6 + p7)), then the rest in order.
     */
    static double stripedDot(double[] a, int ao, double[] b, int bo, int n) {
        int n8 = n - n % 8;
        double p0 = 0, p1 = 0, p2 = 0, p3 = 0, p4 = 0, p5 = 0, p6 = 0, p7 = 0;
        for (int i = 0; i < n8; i += 8) {
            p0 += a[ao + i] * b[bo + i];
            p1 += a[ao + i + 1] * b[bo + i + 1];
            p2 += a[ao + i + 2] * b[bo + i + 2];
            p3 += a[ao + i + 3] * b[bo + i + 3];
            p4 += a[ao + i + 4] * b[bo + i + 4];
            p5 += a[ao + i + 5] * b[bo + i + 5];
            p6 += a[ao + i + 6] * b[bo + i + 6];
            p7 += a[ao + i + 7] * b[bo + i + 7];
        }
        double sum = ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7));
        for (int i = n8; i < n; i++) {
            sum += a[ao + i] * b[bo + i];
        }
        return sum;
    }

    /** The float form of {@link #stripedDot(double[], int, double[], int, int)}: eight chains, the same order. */
    static float stripedDot(float[] a, int ao, float[] b, int bo, int n) {
        int n8 = n - n % 8;
        float p0 = 0, p1 = 0, p2 = 0, p3 = 0, p4 = 0, p5 = 0, p6 = 0, p7 = 0;
        for (int i = 0; i < n8; i += 8) {
            p0 += a[ao + i] * b[bo + i];
            p1 += a[ao + i + 1] * b[bo + i + 1];
            p2 += a[ao + i + 2] * b[bo + i + 2];
            p3 += a[ao + i + 3] * b[bo + i + 3];
            p4 += a[ao + i + 4] * b[bo + i + 4];
            p5 += a[ao + i + 5] * b[bo + i + 5];
            p6 += a[ao + i + 6] * b[bo + i + 6];
            p7 += a[ao + i + 7] * b[bo + i + 7];
        }
        float sum = ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7));
        for (int i = n8; i < n; i++) {
            sum += a[ao + i] * b[bo + i];
        }
        return sum;
    }

    /**
     * out[c] = the sum over r of x[r] m[r * cols + c], in order of r from 0, for c in [0, cols): the
     * vector form holds blocks of outputs in registers while r runs, instead of adding a scaled row of m
     * into out for each r (the same operations per output).
     */
    static void rowCombination(double[] x, double[] m, int rows, int cols, double[] out) {
        if (Simd.on()) {
            VectorLoops.rowCombination(x, m, rows, cols, out);
            return;
        }
        java.util.Arrays.fill(out, 0, cols, 0);
        for (int r = 0; r < rows; r++) {
            double s = x[r];
            for (int c = 0; c < cols; c++) {
                out[c] += s * m[r * cols + c];
            }
        }
    }

    /**
     * The float form of {@link #rowCombination(double[], double[], int, int, double[])}, each term a fused
     * multiply-add: the LSTM's recurrence waits on these chains, and an FMA is one operation where a
     * multiplication and an addition were two (docs/engine-log.md).
     */
    static void rowCombination(float[] x, float[] m, int rows, int cols, float[] out) {
        if (Simd.on()) {
            VectorLoops.rowCombination(x, m, rows, cols, out);
            return;
        }
        java.util.Arrays.fill(out, 0, cols, 0);
        for (int r = 0; r < rows; r++) {
            float s = x[r];
            for (int c = 0; c < cols; c++) {
                out[c] = Math.fma(s, m[r * cols + c], out[c]);
            }
        }
    }

    /**
     * {@link #rowCombination(float[], float[], int, int, float[])} of {@code count} vectors x[i] into
     * out[i] against the same m, each output's operations as for one: four at a time share the vector
     * form's loads of m.
     */
    static void rowCombinations(float[][] x, float[] m, int rows, int cols, float[][] out, int count) {
        int i = 0;
        if (Simd.on()) {
            for (; i + 3 < count; i += 4) {
                VectorLoops.rowCombination4(x, i, m, rows, cols, out);
            }
        }
        for (; i < count; i++) {
            rowCombination(x[i], m, rows, cols, out[i]);
        }
    }
}
