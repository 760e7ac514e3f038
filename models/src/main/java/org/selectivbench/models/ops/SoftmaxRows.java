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
        double loss = 0;
        float[] row = new float[classes];
        for (int r = 0; r < rows; r++) {
            int o = r * classes;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < classes; j++) {
                max = Math.max(max, z[o + j]);
            }
            for (int j = 0; j < classes; j++) {
                row[j] = z[o + j] - max;
            }
            Exp.expInPlace(row, classes);
            float sum = 0;
            for (int j = 0; j < classes; j++) {
                sum += row[j];
            }
            loss += w[from + r] * ((double) max + Math.log(sum) - z[o + targets[from + r]]);
            for (int j = 0; j < classes; j++) {
                z[o + j] = row[j] / sum;
            }
        }
        return loss;
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
