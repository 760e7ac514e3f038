package org.selectivbench.models.ops;

/**
 * The windowed cross-entropy of {@code modules.CrossEntropy} one row at a time (the CPU kernel): per row r
 * of logits z [R, classes], with m = max z_r, p_r = exp(z_r - m) / s, s = sum exp(z_r - m),
 * <pre>
 *   loss = sum_r w_r (m + log s - z_r[target_r]),   d loss / d z_r = w_r (p_r - onehot(target_r))
 * </pre>
 * s >= 1 (the largest term is exp 0), so log s never underflows and a confident wrong answer costs a
 * large finite loss. The loss sums over rows in order; the exponentials are the kernels' {@link Exp}.
 */
public final class SoftmaxRows {
    private SoftmaxRows() {
    }

    /**
     * Turns rows [0, rows) of z into their probabilities in place and returns sum_r w[from + r] (lse_r -
     * z_r[targets[from + r]]): z holds the rows from {@code from} of the targets and weights.
     */
    public static double forward(int rows, int classes, double[] z, int[] targets, double[] w, int from) {
        double loss = 0;
        double[] row = new double[classes];
        for (int r = 0; r < rows; r++) {
            int o = r * classes;
            double max = Double.NEGATIVE_INFINITY, min = Double.POSITIVE_INFINITY;
            for (int j = 0; j < classes; j++) {
                max = Math.max(max, z[o + j]);
                min = Math.min(min, z[o + j]);
            }
            for (int j = 0; j < classes; j++) {
                row[j] = z[o + j] - max;
            }
            Exp.expInPlace(row, classes, max - min);
            double sum = 0;
            for (int j = 0; j < classes; j++) {
                sum += row[j];
            }
            loss += w[from + r] * (max + Math.log(sum) - z[o + targets[from + r]]);
            for (int j = 0; j < classes; j++) {
                z[o + j] = row[j] / sum;
            }
        }
        return loss;
    }

    /**
     * The float form of {@link #forward(int, int, double[], int[], double[], int)} (float32 models): the
     * probabilities in float through {@link Exp#expf}, the loss summed in double.
     */
    public static double forward(int rows, int classes, float[] z, int[] targets, double[] w, int from) {
        Shifted e = exponentials(rows, classes, z, targets, from);
        double loss = 0;
        for (int r = 0; r < rows; r++) {
            int o = r * classes;
            float sum = e.sums()[r];
            loss += e.loss(r, w[from + r]);
            for (int j = 0; j < classes; j++) {
                z[o + j] /= sum;
            }
        }
        return loss;
    }

    /**
     * {@link #forward(int, int, float[], int[], double[], int)} then {@link #backward(int, int, float[],
     * int[], double[], int)} in one, for a training step: the gradient w_r (p_r - onehot(target_r)) as
     * e_r (w_r / s_r) with e_r = exp(z_r - max z_r), one multiplication an entry where the two took a
     * division and a multiplication (the division was half the kernel's time at 41 classes). The same
     * loss; the gradient within a rounding or two of theirs.
     */
    public static double lossAndGradient(int rows, int classes, float[] z, int[] targets, double[] w, int from) {
        Shifted e = exponentials(rows, classes, z, targets, from);
        double loss = 0;
        for (int r = 0; r < rows; r++) {
            int o = r * classes;
            float wr = (float) w[from + r], scale = wr / e.sums()[r];
            loss += e.loss(r, w[from + r]);
            for (int j = 0; j < classes; j++) {
                z[o + j] *= scale;
            }
            z[o + targets[from + r]] -= wr;
        }
        return loss;
    }

    /** Each row's maximum, target logit and sum of e = exp(z - max), which replaces z. */
    private record Shifted(float[] max, float[] picked, float[] sums) {
        /** Row r's loss term w (max + log s - z[target]), in double. */
        double loss(int r, double w) {
            return w * ((double) max[r] + Math.log(sums[r]) - picked[r]);
        }
    }

    /**
     * The shared first passes: maxima, target logits, z - max, then the exponentials in one call per
     * vector-width of rows, whole vectors (a row at a time, 41 classes left the vector loop a scalar tail
     * each row); a group with a value out of the vector form's range takes the scalar form alone.
     */
    private static Shifted exponentials(int rows, int classes, float[] z, int[] targets, int from) {
        float[] max = rowMaxima(rows, classes, z), picked = Arena.floats(rows);
        for (int r = 0; r < rows; r++) {
            int o = r * classes;
            float m = max[r];
            picked[r] = z[o + targets[from + r]];
            for (int j = 0; j < classes; j++) {
                z[o + j] -= m;
            }
        }
        int group = (Simd.on() ? VectorLoops.FLOAT_LANES : 16) * classes; // VectorLoops needs the module
        for (int o = 0; o < rows * classes; o += group) {
            Exp.expInPlace(z, o, Math.min(group, rows * classes - o));
        }
        return new Shifted(max, picked, rowSums(rows, classes, z));
    }

    /**
     * Each row's maximum and sum of [rows, n]: a row's is a chain of n dependent operations, so a vector's
     * worth of rows run side by side a row to a lane ({@link RowSumsFloatVector}), or four rows without the
     * vector forms, each in its own order (the numbers of a row at a time); the maxima of rows of at least
     * a vector read along each row ({@link RowSumsFloatVector#maximaAlong}). The maximum is a
     * comparison, not Math.max (whose NaN and signed-zero rules cost three times as much here): a NaN
     * logit still makes its row's loss NaN through its exponential, and -0 and +0 shift alike.
     */
    static float[] rowMaxima(int rows, int n, float[] z) {
        float[] out = Arena.floats(rows);
        int r = 0;
        if (Simd.on()) {
            int[] map = RowSumsFloatVector.map(n);
            float[] lanes = new float[RowSumsFloatVector.ROWS];
            boolean along = n >= lanes.length; // a row of at least a vector: read along it, not by gathers
            for (; r + lanes.length <= rows; r += lanes.length) {
                if (along) {
                    RowSumsFloatVector.maximaAlong(z, r, n, lanes);
                } else {
                    RowSumsFloatVector.maxima(z, r, n, map, lanes);
                }
                System.arraycopy(lanes, 0, out, r, lanes.length);
            }
        }
        for (; r + 4 <= rows; r += 4) {
            int o = r * n;
            float a = Float.NEGATIVE_INFINITY, b = a, c = a, d = a;
            for (int j = 0; j < n; j++) {
                float p = z[o + j], q = z[o + n + j], u = z[o + 2 * n + j], v = z[o + 3 * n + j];
                a = p > a ? p : a;
                b = q > b ? q : b;
                c = u > c ? u : c;
                d = v > d ? v : d;
            }
            out[r] = a;
            out[r + 1] = b;
            out[r + 2] = c;
            out[r + 3] = d;
        }
        for (; r < rows; r++) {
            float a = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                float p = z[r * n + j];
                a = p > a ? p : a;
            }
            out[r] = a;
        }
        return out;
    }

    /** See {@link #rowMaxima}. */
    static float[] rowSums(int rows, int n, float[] z) {
        float[] out = Arena.floats(rows);
        int r = 0;
        if (Simd.on()) {
            int[] map = RowSumsFloatVector.map(n);
            float[] lanes = new float[RowSumsFloatVector.ROWS];
            for (; r + lanes.length <= rows; r += lanes.length) {
                RowSumsFloatVector.sums(z, r, n, map, lanes);
                System.arraycopy(lanes, 0, out, r, lanes.length);
            }
        }
        for (; r + 4 <= rows; r += 4) {
            int o = r * n;
            float a = 0, b = 0, c = 0, d = 0;
            for (int j = 0; j < n; j++) {
                a += z[o + j];
                b += z[o + n + j];
                c += z[o + 2 * n + j];
                d += z[o + 3 * n + j];
            }
            out[r] = a;
            out[r + 1] = b;
            out[r + 2] = c;
            out[r + 3] = d;
        }
        for (; r < rows; r++) {
            float a = 0;
            for (int j = 0; j < n; j++) {
                a += z[r * n + j];
            }
            out[r] = a;
        }
        return out;
    }

    /** The float form of {@link #backward(int, int, double[], int[], double[], int)}. */
    public static void backward(int rows, int classes, float[] p, int[] targets, double[] w, int from) {
        for (int r = 0; r < rows; r++) {
            int o = r * classes;
            float wr = (float) w[from + r];
            for (int j = 0; j < classes; j++) {
                p[o + j] *= wr;
            }
            p[o + targets[from + r]] -= wr;
        }
    }

    /** Turns probabilities p [rows, classes] into the loss gradient in place: w_r (p_r - onehot(target_r)). */
    public static void backward(int rows, int classes, double[] p, int[] targets, double[] w, int from) {
        for (int r = 0; r < rows; r++) {
            int o = r * classes;
            double wr = w[from + r];
            for (int j = 0; j < classes; j++) {
                p[o + j] *= wr;
            }
            p[o + targets[from + r]] -= wr;
        }
    }
}
