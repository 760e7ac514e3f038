package org.selectivbench.models.ops;

/**
 * Element-wise loops the kernels share. C2 did not vectorize them where three double arrays meet, so
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
