package org.selectivbench.models.ops;

/**
 * {@link RowNorms}' L2 norm in float, for float32 models (the delta family's q and k): a row's sum in
 * float, a vector's worth of rows side by side where the vector forms run, rows of half a vector two to
 * a vector ({@link RowNormsFloatVector}). Tested against the double form.
 */
public final class L2NormFloat {
    private L2NormFloat() {
    }

    /** y = x scale / sqrt(sum x^2 + eps) per row; keeps y and scale / norm for backward. */
    public static void l2Norm(int rows, int n, float[] x, double scale, double eps, float[] y, float[] rn) {
        boolean pairs = RowNormsFloat.pairs(n);
        Parallel.forRange(rows, (from, to) -> {
            int r = from;
            if (Simd.on()) {
                int[] map = RowSumsFloatVector.map(n);
                float[] ss = new float[RowSumsFloatVector.ROWS];
                double[] wide = new double[ss.length];
                for (; r + ss.length <= to; r += ss.length) {
                    RowSumsFloatVector.sumsOfSquares(x, r, n, map, ss);
                    RowNormsFloatVector.l2Factors(ss, scale, eps, rn, r, wide);
                    l2NormRows(r, r + ss.length, n, x, pairs, rn, y);
                }
            }
            for (int l = r; l < to; l++) {
                rn[l] = l2Factor(RowNormsFloat.sumOfSquares(x, l * n, n), scale, eps);
            }
            l2NormRows(r, to, n, x, pairs, rn, y);
        });
    }

    /** Rows [r0, r1) of {@link #l2Norm} from their factors. */
    private static void l2NormRows(int r0, int r1, int n, float[] x, boolean pairs, float[] rn, float[] y) {
        int r = r0;
        for (; pairs && r + 2 <= r1; r += 2) {
            RowNormsFloatVector.scalePair(x, r * n, rn[r], rn[r + 1], y);
        }
        for (; r < r1; r++) {
            int o = r * n;
            for (int j = Simd.on() ? RowNormsFloatVector.scale(x, o, rn[r], y, n) : 0; j < n; j++) {
                y[o + j] = x[o + j] * rn[r];
            }
        }
    }

    /** scale / sqrt(sum x^2 + eps) from the row's sum of squares. */
    private static float l2Factor(float ss, double scale, double eps) {
        return (float) (scale / Math.sqrt(ss + eps));
    }

    /** dx = (dy - y (y . dy) / scale^2) scale / norm. */
    public static void l2NormBackward(int rows, int n, float[] dy, float[] y, float[] rn, double scale,
                                      float[] dx) {
        float s2 = (float) (scale * scale);
        boolean pairs = RowNormsFloat.pairs(n);
        Parallel.forRange(rows, (from, to) -> {
            boolean lanes = Simd.on();
            float[] dot = new float[lanes ? RowSumsFloatVector.ROWS : 16];
            int[] map = lanes ? RowSumsFloatVector.map(n) : null;
            for (int r = from; r < to; r += dot.length) {
                int end = Math.min(r + dot.length, to);
                if (lanes && end - r == dot.length) {
                    RowSumsFloatVector.dots(y, dy, r, n, map, dot);
                    for (int l = 0; l < dot.length; l++) {
                        dot[l] /= s2;
                    }
                } else {
                    for (int l = r; l < end; l++) {
                        dot[l - r] = scaledDot(y, dy, l * n, n, s2);
                    }
                }
                l2NormBackwardRows(r, end, n, dy, y, pairs, rn, dot, dx);
            }
        });
    }

    /** Rows [r0, r1) of {@link #l2NormBackward}, dot[r - r0] row r's (y . dy) / scale^2. */
    private static void l2NormBackwardRows(int r0, int r1, int n, float[] dy, float[] y, boolean pairs, float[] rn,
                                           float[] dot, float[] dx) {
        int r = r0;
        for (; pairs && r + 2 <= r1; r += 2) {
            RowNormsFloatVector.l2NormBackwardPair(dy, y, r * n, dot[r - r0], dot[r + 1 - r0], rn[r], rn[r + 1], dx);
        }
        for (; r < r1; r++) {
            int o = r * n;
            float d = dot[r - r0];
            int j0 = Simd.on() ? RowNormsFloatVector.l2NormBackward(dy, y, o, d, rn[r], dx, n) : 0;
            for (int j = j0; j < n; j++) {
                dx[o + j] = (dy[o + j] - y[o + j] * d) * rn[r];
            }
        }
    }

    /** (y . dy) / s2 over the row at o. */
    private static float scaledDot(float[] y, float[] dy, int o, int n, float s2) {
        float dot = 0;
        for (int j = 0; j < n; j++) {
            dot += y[o + j] * dy[o + j];
        }
        return dot / s2;
    }
}
