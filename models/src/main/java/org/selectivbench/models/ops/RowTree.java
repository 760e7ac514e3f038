package org.selectivbench.models.ops;

/**
 * Sums over rows of a multiple of {@link #PARTS} entries: the float norms' row statistics (LayerNorm's and
 * RMSNorm's rows of 16 to 64), and the carried state's share in Mamba2's chunked scan (a head's block of
 * the state times its gradient, 1,024 entries at the small shape). Entry j adds into partial j mod 16,
 * each partial in column order from zero, and the 16 partials fold in halves (k + 8 into k, then k + 4,
 * k + 2, k + 1). One vector of 16 lanes holds a row's partials, so a row's sum is a few loads and adds
 * and four shuffles; the
 * row-per-lane gathers these rows took before cost about 5 ns each on the AMD host, and made
 * LayerNorm's statistics two thirds of its forward pass (docs/engine-log.md, "Norms on a lane tree").
 * The scalar form here is the order's definition; {@link RowSumsFloatVector}'s tree forms give the same
 * bits in one vector of 16 lanes or two of 8 (AVX2), and other vector widths run this form. Without the
 * vector module this form takes about twice as long as the chains per row it replaced (LayerNorm 236
 * -> 471 us a forward pass over 5,120 rows of 32); every launcher and the tests load the module. Other
 * row lengths keep one chain per row.
 */
final class RowTree {
    /** Partials per row: a vector of 16 floats. */
    static final int PARTS = 16;

    private RowTree() {
    }

    /** Whether rows of n take this order. */
    static boolean applies(int n) {
        return n > 0 && n % PARTS == 0;
    }

    private static boolean vector() {
        return Simd.on() && RowSumsFloatVector.treeLanes();
    }

    /** The sum of x[o, o + n). */
    static float sum(float[] x, int o, int n) {
        if (vector()) {
            return RowSumsFloatVector.treeSum(x, o, n);
        }
        float[] p = new float[PARTS];
        for (int j0 = 0; j0 < n; j0 += PARTS) {
            for (int k = 0, j = j0; k < PARTS; k++, j++) {
                p[k] += x[o + j];
            }
        }
        return fold(p);
    }

    /** The sum of (x - mean)^2 over x[o, o + n). */
    static float centeredSquares(float[] x, int o, int n, float mean) {
        if (vector()) {
            return RowSumsFloatVector.treeCenteredSquares(x, o, n, mean);
        }
        float[] p = new float[PARTS];
        for (int j0 = 0; j0 < n; j0 += PARTS) {
            for (int k = 0, j = j0; k < PARTS; k++, j++) {
                float c = x[o + j] - mean;
                p[k] += c * c;
            }
        }
        return fold(p);
    }

    /** The sum of a b over [o, o + n) (a a: the sum of squares). */
    static float dot(float[] a, float[] b, int o, int n) {
        if (vector()) {
            return RowSumsFloatVector.treeDot(a, b, o, n);
        }
        float[] p = new float[PARTS];
        for (int j0 = 0; j0 < n; j0 += PARTS) {
            for (int k = 0, j = j0; k < PARTS; k++, j++) {
                p[k] += a[o + j] * b[o + j];
            }
        }
        return fold(p);
    }

    /** Rows per call of the forms that take several ({@link #dots} and those after it). */
    static final int ROWS = 16;

    /** Scratch for the forms that take {@link #ROWS} rows. */
    static float[] scratch() {
        return new float[ROWS * PARTS];
    }

    /**
     * {@link #dot} of the {@link #ROWS} rows of n from o (at stride n) into out[0, ROWS): with 16 lanes
     * their folds side by side ({@link RowSumsFloatVector#fold16}), the same numbers.
     */
    static void dots(float[] a, float[] b, int o, int n, float[] scratch, float[] out) {
        if (sixteen()) {
            RowSumsFloatVector.treeDots(a, b, o, n, scratch, out);
            return;
        }
        for (int l = 0; l < ROWS; l++) {
            out[l] = dot(a, b, o + l * n, n);
        }
    }

    /** {@link #gradSum} of the {@link #ROWS} rows of n from o into out[0, ROWS), as {@link #dots}. */
    static void gradSums(float[] dy, float[] w, float[] gate, float[] sig, float[] xhat, int o, int n, float[] scratch,
                         float[] out) {
        if (sixteen()) {
            RowSumsFloatVector.treeGradSums(dy, w, gate, sig, xhat, o, n, scratch, out);
            return;
        }
        for (int l = 0; l < ROWS; l++) {
            out[l] = gradSum(dy, w, gate, sig, xhat, o + l * n, n);
        }
    }

    /** {@link #sum} of the {@link #ROWS} rows of n from o into out[0, ROWS), as {@link #dots}. */
    static void sums(float[] x, int o, int n, float[] scratch, float[] out) {
        if (sixteen()) {
            RowSumsFloatVector.treeSums(x, o, n, scratch, out);
            return;
        }
        for (int l = 0; l < ROWS; l++) {
            out[l] = sum(x, o + l * n, n);
        }
    }

    /** {@link #centeredSquares} of the {@link #ROWS} rows of n from o, row l's mean at mean[l], as {@link #dots}. */
    static void centeredSquares(float[] x, int o, int n, float[] mean, float[] scratch, float[] out) {
        if (sixteen()) {
            RowSumsFloatVector.treeCenteredSquares(x, o, n, mean, scratch, out);
            return;
        }
        for (int l = 0; l < ROWS; l++) {
            out[l] = centeredSquares(x, o + l * n, n, mean[l]);
        }
    }

    /** {@link #weighted} of the {@link #ROWS} rows of n from o: sums of d = dy g into d1, of d xhat into d2. */
    static void weightedRows(float[] dy, float[] g, float[] xhat, int o, int n, float[] scratch, float[] scratch2,
                             float[] d1, float[] d2) {
        if (sixteen()) {
            RowSumsFloatVector.treeWeightedRows(dy, g, xhat, o, n, scratch, scratch2, d1, d2);
            return;
        }
        float[] m = new float[2];
        for (int l = 0; l < ROWS; l++) {
            weighted(dy, g, xhat, o + l * n, n, m);
            d1[l] = m[0];
            d2[l] = m[1];
        }
    }

    private static boolean sixteen() {
        return Simd.on() && RowSumsFloatVector.sixteen();
    }

    /** LayerNorm backward's sums over the row at o: out[0] of d = dy g, out[1] of d xhat. */
    static void weighted(float[] dy, float[] g, float[] xhat, int o, int n, float[] out) {
        if (vector()) {
            RowSumsFloatVector.treeWeighted(dy, g, xhat, o, n, out);
            return;
        }
        float[] p = new float[PARTS], q = new float[PARTS];
        for (int j0 = 0; j0 < n; j0 += PARTS) {
            for (int k = 0, j = j0; k < PARTS; k++, j++) {
                float d = dy[o + j] * g[j];
                p[k] += d;
                q[k] += d * xhat[o + j];
            }
        }
        out[0] = fold(p);
        out[1] = fold(q);
    }

    /** RMSNorm backward's sum over the row at o of (dn w) xhat, dn = (dy gate) sig (dy without a gate). */
    static float gradSum(float[] dy, float[] w, float[] gate, float[] sig, float[] xhat, int o, int n) {
        if (vector()) {
            return RowSumsFloatVector.treeGradSum(dy, w, gate, sig, xhat, o, n);
        }
        float[] p = new float[PARTS];
        for (int j0 = 0; j0 < n; j0 += PARTS) {
            for (int k = 0, j = j0; k < PARTS; k++, j++) {
                float dn = gate == null ? dy[o + j] : dy[o + j] * gate[o + j] * sig[o + j];
                p[k] += dn * w[j] * xhat[o + j];
            }
        }
        return fold(p);
    }

    /** The partials folded in halves: p[k] + p[k + h] into p[k] for h = 8, 4, 2, 1. */
    static float fold(float[] p) {
        for (int h = PARTS / 2; h >= 1; h /= 2) {
            for (int k = 0; k < h; k++) {
                p[k] = p[k] + p[k + h];
            }
        }
        return p[0];
    }
}
