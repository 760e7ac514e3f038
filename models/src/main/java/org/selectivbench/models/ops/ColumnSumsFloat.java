package org.selectivbench.models.ops;

/**
 * Column sums of float rows in double, rows in order, so that they do not depend on how the rows were
 * split: the parameter gradients of the float norms, biases and weights (thousands of rows), rounded to
 * float once ({@link ColumnSumsFloatVector} is the vector form).
 */
public final class ColumnSumsFloat {
    private ColumnSumsFloat() {
    }

    /** Sums over rows [R, n] per column, in double and in row order (bias gradients; ND4J's reduce is slower). */
    public static float[] columnSums(float[] x, int rows, int n) {
        double[] acc = new double[n];
        addColumnSums(x, rows, n, acc);
        return rounded(acc);
    }

    /** Adds the column sums of x [rows, n] into acc, rows in order (a block at a time, as one call). */
    public static void addColumnSums(float[] x, int rows, int n, double[] acc) {
        addColumnSums(rows, n, x, null, acc);
    }

    /** Adds the column sums of a b [rows, n] (of a when b is null) into acc, rows in order, each term widened. */
    public static void addColumnSums(int rows, int n, float[] a, float[] b, double[] acc) {
        addColumnSums(rows, n, a, 0, b, 0, acc);
    }

    /** The same on rows of a from offset ao and of b from bo. */
    static void addColumnSums(int rows, int n, float[] a, int ao, float[] b, int bo, double[] acc) {
        int j0 = Simd.on() ? ColumnSumsFloatVector.add(rows, n, a, ao, b, bo, acc) : 0;
        for (int r = 0; j0 < n && r < rows; r++) {
            int o = ao + r * n, p = bo + r * n;
            for (int j = j0; j < n; j++) {
                acc[j] += b == null ? a[o + j] : a[o + j] * b[p + j];
            }
        }
    }

    /** The sums rounded to float once. */
    public static float[] rounded(double[] acc) {
        float[] out = Arena.floats(acc.length);
        for (int j = 0; j < acc.length; j++) {
            out[j] = (float) acc[j];
        }
        return out;
    }
}
