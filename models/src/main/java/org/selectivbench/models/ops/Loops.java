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

    /** out[oo + c * rows + r] = a[ao + r * cols + c]: a [rows, cols] block of a, transposed into out. */
    static void transpose(double[] a, int ao, int rows, int cols, double[] out, int oo) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[oo + c * rows + r] = a[ao + r * cols + c];
            }
        }
    }

    /** a [rows, cols] as a new [cols, rows] array. */
    static double[] transposed(double[] a, int rows, int cols) {
        double[] out = new double[rows * cols];
        transpose(a, 0, rows, cols, out, 0);
        return out;
    }

    /** y[yo + i] += s * x[xo + i] for i in [0, n). */
    static void addScaled(double[] y, int yo, double s, double[] x, int xo, int n) {
        if (Simd.on()) {
            VectorLoops.addScaled(y, yo, s, x, xo, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            y[yo + i] += s * x[xo + i];
        }
    }
}
