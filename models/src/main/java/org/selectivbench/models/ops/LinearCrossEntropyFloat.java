package org.selectivbench.models.ops;


/**
 * A float32 training step's output layer and loss in one pass over blocks of rows, as Liger's and
 * flash-linear-attention's fused linear cross-entropy: for rows x [m, d], weights W [d, C] and bias b
 * [C], a block's logits z = x W + b ({@link GemmFloat}), their loss and gradient G = d loss / d z
 * ({@link SoftmaxRows}), then dW += x^T G, db += G's column sums (in double, rows in order) and dx = G
 * W^T, before the next block. The logits never exist whole (164 MB at the bench shape, 820 MB for a
 * paper-scale batch) and each block is reread while it is in cache. Every number is the one of the
 * unfused calls over all rows ({@link #unfused}, the reference beside it): a weight gradient's sums
 * run over the rows in order, block after block, so the block size changes no bit.
 */
public final class LinearCrossEntropyFloat {
    /** Logits per block: 64K floats, 256 KB, which a core's L2 holds beside the block's rows. */
    private static final int BLOCK_VALUES = 1 << 16;

    private LinearCrossEntropyFloat() {
    }

    /**
     * The loss sum_r weights[r] (lse(z_r) - z_r[targets[r]]); adds the weight gradient into dw [d, C] and
     * the bias gradient into db [C], and writes dx [m, d].
     */
    public static double run(float[] x, int m, int d, float[] w, float[] b, int c, int[] targets,
                             double[] weights, float[] dw, double[] db, float[] dx) {
        return run(x, m, d, w, b, c, targets, weights, dw, db, dx, Math.max(1, BLOCK_VALUES / c));
    }

    static double run(float[] x, int m, int d, float[] w, float[] b, int c, int[] targets, double[] weights,
                      float[] dw, double[] db, float[] dx, int blockRows) {
        int rows = Math.min(m, blockRows);
        float[] wt = Loops.transposed(w, d, c), xb = Arena.uninitialized(rows * d);
        float[] z = Arena.uninitialized(rows * c), dxb = Arena.uninitialized(rows * d);
        double loss = 0;
        for (int r0 = 0; r0 < m; r0 += rows) {
            int n = Math.min(rows, m - r0);
            System.arraycopy(x, r0 * d, xb, 0, n * d);
            GemmFloat.nn(xb, w, b, z, false, n, d, c);
            loss += SoftmaxRows.lossAndGradient(n, c, z, targets, weights, r0);
            ColumnSumsFloat.addColumnSums(z, n, c, db);
            GemmFloat.tnAdd(xb, z, dw, n, d, c);
            GemmFloat.nn(z, wt, null, dxb, false, n, c, d);
            System.arraycopy(dxb, 0, dx, r0 * d, n * d);
        }
        return loss;
    }

    /** The same step unfused, on whole arrays: logits, loss and gradient, then the three products. */
    static double unfused(float[] x, int m, int d, float[] w, float[] b, int c, int[] targets, double[] weights,
                          float[] dw, double[] db, float[] dx) {
        float[] z = GemmFloat.nn(x, w, b, m, d, c);
        double loss = SoftmaxRows.lossAndGradient(m, c, z, targets, weights, 0);
        ColumnSumsFloat.addColumnSums(z, m, c, db);
        GemmFloat.tnAdd(x, z, dw, m, d, c);
        System.arraycopy(GemmFloat.nt(z, w, null, m, c, d), 0, dx, 0, m * d);
        return loss;
    }
}
