package org.selectivbench.models.ops;

/**
 * The Transformer's SwiGLU in one pass over the rows (the Java form of its half a dozen array operations
 * on column views, which ND4J runs as slow strided loops): from h [R, 2n] = [x1, x2], f = x1 s x2 with
 * s = sigmoid(beta x1) [R, n]; backward gives dh and d beta. beta's sum runs over the rows in order.
 * Checked against finite differences in SwiGluTest, and in the whole model against the SameDiff graph.
 */
public final class SwiGlu {
    private SwiGlu() {
    }

    /** f [R, n]; the sigmoids go into {@code s} [R, n]. */
    public static double[] forward(int rows, int n, double[] h, double beta, double[] s) {
        double[] f = new double[rows * n];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                s[r * n + j] = beta * h[r * 2 * n + j];
            }
        }
        Exp.sigmoids(s, s, rows * n);
        for (int r = 0; r < rows; r++) {
            int ho = r * 2 * n, o = r * n;
            for (int j = 0; j < n; j++) {
                f[o + j] = h[ho + j] * s[o + j] * h[ho + n + j];
            }
        }
        return f;
    }

    /**
     * dh [R, 2n] into {@code dh}, returns d beta: with ds = s (1 - s), dx1 = (ds x1 beta + s) df x2,
     * dx2 = df x1 s, d beta = sum df x2 x1^2 ds.
     */
    public static double backward(int rows, int n, double[] h, double[] s, double beta, double[] df, double[] dh) {
        double db = 0;
        for (int r = 0; r < rows; r++) {
            int ho = r * 2 * n, o = r * n;
            for (int j = 0; j < n; j++) {
                double x1 = h[ho + j], x2 = h[ho + n + j], sj = s[o + j], ds = (1 - sj) * sj, g = df[o + j] * x2;
                db += g * x1 * x1 * ds;
                dh[ho + j] = (ds * x1 * beta + sj) * g;
                dh[ho + n + j] = df[o + j] * x1 * sj;
            }
        }
        return db;
    }

    /**
     * The float form of {@link #forward(int, int, double[], double, double[])} (float32 models), a row at a
     * time: at the embedded default h is 5 MB and s 2.6 MB, so separate passes over all rows went to memory
     * three times; a row's s is still in L1 for its f. The same operations, the same bits.
     */
    public static float[] forward(int rows, int n, float[] h, float beta, float[] s) {
        float[] f = Arena.uninitialized(rows * n);
        boolean simd = Simd.on();
        for (int r = 0; r < rows; r++) {
            int ho = r * 2 * n, o = r * n;
            for (int j = simd ? SwiGluFloatVector.scaled(n, h, ho, beta, s, o) : 0; j < n; j++) {
                s[o + j] = beta * h[ho + j];
            }
            Exp.sigmoids(s, s, o, n);
            for (int j = simd ? SwiGluFloatVector.products(n, h, ho, s, o, f) : 0; j < n; j++) {
                f[o + j] = h[ho + j] * s[o + j] * h[ho + n + j];
            }
        }
        return f;
    }

    /**
     * The float form of {@link #backward(int, int, double[], double[], double, double[], double[])}: d beta's
     * terms go into one double sum per column, in row order, then the columns in order (n chains, not
     * one through R n adds).
     */
    public static double backward(int rows, int n, float[] h, float[] s, float beta, float[] df, float[] dh) {
        double[] cols = new double[n];
        boolean simd = Simd.on();
        for (int r = 0; r < rows; r++) {
            int ho = r * 2 * n, o = r * n;
            for (int j = simd ? SwiGluFloatVector.backRow(n, h, ho, s, o, beta, df, dh, cols) : 0; j < n; j++) {
                float x1 = h[ho + j], x2 = h[ho + n + j], sj = s[o + j], ds = (1 - sj) * sj, g = df[o + j] * x2;
                cols[j] += g * x1 * x1 * ds;
                dh[ho + j] = (ds * x1 * beta + sj) * g;
                dh[ho + n + j] = df[o + j] * x1 * sj;
            }
        }
        double db = 0;
        for (double c : cols) {
            db += c;
        }
        return db;
    }
}
