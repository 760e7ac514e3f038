package org.selectivbench.models.ops;

/**
 * {@link RowNorms}' LayerNorm and RMSNorm in float, for float32 models: the same passes over a row on float
 * arrays, the row's statistics summed in float (rows of 8 to 1,024), the parameter gradients summed over
 * rows in double ({@link ColumnSumsFloat}: thousands of rows) and handed back as double. Tested against the
 * double forms. The L2 norm is {@link L2NormFloat}.
 */
public final class RowNormsFloat {
    private RowNormsFloat() {
    }

    /**
     * LayerNorm: y = (x - mean) rstd g + b, rstd = 1 / sqrt(var + eps). Keeps xhat and rstd for backward.
     * Rows of a multiple of 16 entries (the models' widths) sum in {@link RowTree}'s order, 16 partials to
     * a vector. Other rows sum in one chain of dependent adds each; with the vector forms a vector's worth
     * of rows run theirs side by side, a row to a lane ({@link RowSumsFloatVector}), without them four rows
     * at a time. Each form keeps its row's order, so the numbers are the same. RMSNorm's statistics go the
     * same way.
     */
    public static void layerNorm(int rows, int n, float[] x, float[] g, float[] b, double eps, float[] y,
                                 float[] xhat, float[] rstd) {
        Parallel.forRange(rows, (from, to) -> {
            int r = from;
            if (RowTree.applies(n)) {
                if (Simd.on()) { // a block's statistics first, then their factors a vector of doubles at a time
                    float[] mean = new float[RowSumsFloatVector.ROWS], var = new float[mean.length];
                    double[] wide = new double[mean.length];
                    float[] scratch = RowTree.scratch();
                    boolean rows16 = mean.length == RowTree.ROWS && RowNormsFloatVector.vectors(n);
                    for (; r + mean.length <= to; r += mean.length) {
                        if (rows16) { // the block's folds side by side, then its rows in one loop
                            RowTree.sums(x, r * n, n, scratch, mean);
                            for (int l = 0; l < mean.length; l++) {
                                mean[l] /= n;
                            }
                            RowTree.centeredSquares(x, r * n, n, mean, scratch, var);
                            RowNormsFloatVector.rmsInverses(var, n, eps, rstd, r, wide);
                            RowNormsFloatVector.layerNormRows(x, r, r + mean.length, n, mean, rstd, g, b, xhat, y);
                            continue;
                        }
                        for (int l = 0; l < mean.length; l++) {
                            mean[l] = RowTree.sum(x, (r + l) * n, n) / n;
                            var[l] = RowTree.centeredSquares(x, (r + l) * n, n, mean[l]);
                        }
                        RowNormsFloatVector.rmsInverses(var, n, eps, rstd, r, wide);
                        for (int l = 0; l < mean.length; l++) {
                            normalized(r + l, n, x, g, b, y, xhat, mean[l], rstd[r + l]);
                        }
                    }
                }
                for (; r < to; r++) {
                    float mean = RowTree.sum(x, r * n, n) / n;
                    normalize(r, n, x, g, b, eps, y, xhat, rstd, mean, RowTree.centeredSquares(x, r * n, n, mean));
                }
                return;
            }
            if (Simd.on()) { // a vector's worth of rows at a time, a row to a lane
                int[] map = RowSumsFloatVector.map(n);
                float[] mean = new float[RowSumsFloatVector.ROWS], var = new float[mean.length];
                for (; r + mean.length <= to; r += mean.length) {
                    RowSumsFloatVector.sums(x, r, n, map, mean);
                    for (int l = 0; l < mean.length; l++) {
                        mean[l] /= n;
                    }
                    RowSumsFloatVector.centeredSquares(x, r, n, map, mean, var);
                    for (int l = 0; l < mean.length; l++) {
                        normalize(r + l, n, x, g, b, eps, y, xhat, rstd, mean[l], var[l]);
                    }
                }
            }
            for (; r + 4 <= to; r += 4) {
                int o0 = r * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
                float m0 = 0, m1 = 0, m2 = 0, m3 = 0;
                for (int j = 0; j < n; j++) {
                    m0 += x[o0 + j];
                    m1 += x[o1 + j];
                    m2 += x[o2 + j];
                    m3 += x[o3 + j];
                }
                m0 /= n;
                m1 /= n;
                m2 /= n;
                m3 /= n;
                float v0 = 0, v1 = 0, v2 = 0, v3 = 0;
                for (int j = 0; j < n; j++) {
                    float c0 = x[o0 + j] - m0, c1 = x[o1 + j] - m1, c2 = x[o2 + j] - m2, c3 = x[o3 + j] - m3;
                    v0 += c0 * c0;
                    v1 += c1 * c1;
                    v2 += c2 * c2;
                    v3 += c3 * c3;
                }
                normalize(r, n, x, g, b, eps, y, xhat, rstd, m0, v0);
                normalize(r + 1, n, x, g, b, eps, y, xhat, rstd, m1, v1);
                normalize(r + 2, n, x, g, b, eps, y, xhat, rstd, m2, v2);
                normalize(r + 3, n, x, g, b, eps, y, xhat, rstd, m3, v3);
            }
            for (; r < to; r++) {
                int o = r * n;
                float mean = 0;
                for (int j = 0; j < n; j++) {
                    mean += x[o + j];
                }
                mean /= n;
                float var = 0;
                for (int j = 0; j < n; j++) {
                    float c = x[o + j] - mean;
                    var += c * c;
                }
                normalize(r, n, x, g, b, eps, y, xhat, rstd, mean, var);
            }
        });
    }

    /** Row r of {@link #layerNorm} from its mean and its sum of squared deviations. */
    private static void normalize(int r, int n, float[] x, float[] g, float[] b, double eps, float[] y, float[] xhat,
                                  float[] rstd, float mean, float var) {
        float rs = (float) (1 / Math.sqrt(var / n + eps)); // RowNormsFloatVector.rmsInverses' factor
        rstd[r] = rs;
        normalized(r, n, x, g, b, y, xhat, mean, rs);
    }

    /** Row r of {@link #layerNorm} from its mean and its factor rs. */
    private static void normalized(int r, int n, float[] x, float[] g, float[] b, float[] y, float[] xhat, float mean,
                                   float rs) {
        int o = r * n;
        int j0 = Simd.on() ? RowNormsFloatVector.layerNorm(x, o, mean, rs, g, b, xhat, y, n) : 0;
        for (int j = j0; j < n; j++) {
            float h = (x[o + j] - mean) * rs;
            xhat[o + j] = h;
            y[o + j] = h * g[j] + b[j];
        }
    }

    /**
     * dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = dy g; adds into dg and db. Rows on
     * {@link RowTree}'s lanes go 16 at a time where they fill whole vectors of 16 lanes, and when one range
     * takes every row (one thread) dg's and db's sums join that pass, each column's rows still in order.
     */
    public static void layerNormBackward(int rows, int n, float[] dy, float[] g, float[] xhat, float[] rstd,
                                         float[] dx, double[] dg, double[] db) {
        boolean[] summed = new boolean[1];
        Parallel.forRange(rows, (from, to) -> {
            int r = from;
            if (RowTree.applies(n)) {
                boolean whole = from == 0 && to == rows;
                if (Simd.on() && RowSumsFloatVector.ROWS == RowTree.ROWS && RowNormsFloatVector.vectors(n)) {
                    float[] m1 = new float[RowTree.ROWS], m2 = new float[RowTree.ROWS];
                    float[] p = RowTree.scratch(), q = RowTree.scratch();
                    for (; r + RowTree.ROWS <= to; r += RowTree.ROWS) {
                        RowTree.weightedRows(dy, g, xhat, r * n, n, p, q, m1, m2);
                        for (int l = 0; l < RowTree.ROWS; l++) {
                            m1[l] /= n;
                            m2[l] /= n;
                        }
                        RowNormsFloatVector.layerNormBackwardRows(dy, r, r + RowTree.ROWS, n, g, xhat, m1, m2, rstd, dx);
                        if (whole) {
                            ColumnSumsFloat.addColumnSums(RowTree.ROWS, n, dy, r * n, xhat, r * n, dg);
                            ColumnSumsFloat.addColumnSums(RowTree.ROWS, n, dy, r * n, null, 0, db);
                        }
                    }
                }
                float[] m = new float[2];
                int r0 = r;
                for (; r < to; r++) {
                    RowTree.weighted(dy, g, xhat, r * n, n, m);
                    layerNormRowBackward(r, n, dy, g, xhat, rstd, dx, m[0] / n, m[1] / n);
                }
                if (whole && r0 < to) { // the rows past the blocks, after them
                    ColumnSumsFloat.addColumnSums(to - r0, n, dy, r0 * n, xhat, r0 * n, dg);
                    ColumnSumsFloat.addColumnSums(to - r0, n, dy, r0 * n, null, 0, db);
                }
                summed[0] = whole;
                return;
            }
            if (Simd.on()) {
                int[] map = RowSumsFloatVector.map(n);
                float[] m1 = new float[RowSumsFloatVector.ROWS], m2 = new float[m1.length];
                for (; r + m1.length <= to; r += m1.length) {
                    RowSumsFloatVector.weightedSums(dy, g, xhat, r, n, map, m1, m2);
                    for (int l = 0; l < m1.length; l++) {
                        layerNormRowBackward(r + l, n, dy, g, xhat, rstd, dx, m1[l] / n, m2[l] / n);
                    }
                }
            }
            for (; r + 2 <= to; r += 2) { // two rows' chains side by side, as the forward pass's four
                int o = r * n, p = o + n;
                float m1 = 0, m2 = 0, q1 = 0, q2 = 0;
                for (int j = 0; j < n; j++) {
                    float d = dy[o + j] * g[j], e = dy[p + j] * g[j];
                    m1 += d;
                    m2 += d * xhat[o + j];
                    q1 += e;
                    q2 += e * xhat[p + j];
                }
                layerNormRowBackward(r, n, dy, g, xhat, rstd, dx, m1 / n, m2 / n);
                layerNormRowBackward(r + 1, n, dy, g, xhat, rstd, dx, q1 / n, q2 / n);
            }
            for (; r < to; r++) {
                int o = r * n;
                float m1 = 0, m2 = 0;
                for (int j = 0; j < n; j++) {
                    float d = dy[o + j] * g[j];
                    m1 += d;
                    m2 += d * xhat[o + j];
                }
                layerNormRowBackward(r, n, dy, g, xhat, rstd, dx, m1 / n, m2 / n);
            }
        });
        if (!summed[0]) {
            ColumnSumsFloat.addColumnSums(rows, n, dy, xhat, dg);
            ColumnSumsFloat.addColumnSums(rows, n, dy, null, db);
        }
    }

    private static void layerNormRowBackward(int r, int n, float[] dy, float[] g, float[] xhat, float[] rstd,
                                             float[] dx, float m1, float m2) {
        int o = r * n;
        int j0 = Simd.on() ? RowNormsFloatVector.layerNormBackward(dy, o, g, xhat, m1, m2, rstd[r], dx, n) : 0;
        for (int j = j0; j < n; j++) {
            dx[o + j] = rstd[r] * (dy[o + j] * g[j] - m1 - xhat[o + j] * m2);
        }
    }

    /**
     * RMSNorm with weight, optionally gated: y = x r w (times silu(gate) when gate is not null),
     * r = 1 / sqrt(mean x^2 + eps). Keeps xhat = x r, r and the gate's sigmoid for backward. A block of
     * rows at a time takes its sums, then its outputs.
     */
    public static void rmsNorm(int rows, int n, float[] x, float[] w, float[] gate, double eps, float[] y,
                               float[] xhat, float[] rinv, float[] sig) {
        if (gate != null) {
            Exp.sigmoids(gate, sig, rows * n); // all at once: at rows of 64 a block's call cost more than it saved
        }
        float[] w2 = pairs(n) ? twice(w) : null;
        boolean tree = RowTree.applies(n);
        Parallel.forRange(rows, (from, to) -> {
            // a vector's worth of rows: their factors a vector of doubles at a time, the sums a row to a lane
            // (RowSumsFloatVector) or on the lane tree; the same numbers as a row at a time
            int block = Simd.on() ? RowSumsFloatVector.ROWS : 16; // the vector class loads only with the module
            float[] ss = new float[block];
            double[] wide = new double[block];
            int[] map = Simd.on() && !tree ? RowSumsFloatVector.map(n) : null;
            float[] scratch = tree ? RowTree.scratch() : null;
            boolean fills = Simd.on() && RowNormsFloatVector.fills(n);
            for (int r = from; r < to; r += block) {
                int end = Math.min(to, r + block);
                if (Simd.on() && end - r == block) {
                    if (tree && block == RowTree.ROWS) {
                        RowTree.dots(x, x, r * n, n, scratch, ss);
                    } else if (tree) {
                        for (int l = 0; l < block; l++) {
                            ss[l] = RowTree.dot(x, x, (r + l) * n, n);
                        }
                    } else {
                        RowSumsFloatVector.sumsOfSquares(x, r, n, map, ss);
                    }
                    RowNormsFloatVector.rmsInverses(ss, n, eps, rinv, r, wide);
                } else {
                    for (int l = r; l < end; l++) {
                        rinv[l] = rmsInverse(tree ? RowTree.dot(x, x, l * n, n) : sumOfSquares(x, l * n, n), n, eps);
                    }
                }
                if (fills) { // as in the backward pass
                    RowNormsFloatVector.rmsNormRows(x, r, end, rinv, w, gate, sig, xhat, y);
                } else {
                    rmsNormRows(r, end, n, x, w, w2, gate, sig, xhat, y, rinv);
                }
            }
        });
    }

    /** Rows [r0, r1) of {@link #rmsNorm} from their rinv; pairs of rows when w2 is w twice. */
    private static void rmsNormRows(int r0, int r1, int n, float[] x, float[] w, float[] w2, float[] gate, float[] sig,
                                    float[] xhat, float[] y, float[] rinv) {
        int r = r0;
        for (; w2 != null && r + 2 <= r1; r += 2) {
            RowNormsFloatVector.rmsNormPair(x, r * n, rinv[r], rinv[r + 1], w2, gate, sig, xhat, y);
        }
        for (; r < r1; r++) {
            int o = r * n;
            float ri = rinv[r];
            int j0 = Simd.on() ? RowNormsFloatVector.rmsNorm(x, o, ri, w, gate, sig, xhat, y, n) : 0;
            for (int j = j0; j < n; j++) {
                float h = x[o + j] * ri;
                xhat[o + j] = h;
                y[o + j] = h * w[j];
            }
            if (gate != null) {
                for (int j = j0; j < n; j++) {
                    y[o + j] *= gate[o + j] * sig[o + j];
                }
            }
        }
    }

    /**
     * From dy: dx = r (dn w - xhat mean(dn w xhat)) with dn = dy silu(gate) (dy without a gate), and
     * dgate = dy xhat w silu'(gate); adds into dw. When one range takes every row (one thread), dw's sums
     * join the blocks' pass while their rows are in cache, each column's rows still in order; else they
     * take a pass of their own after.
     */
    public static void rmsNormBackward(int rows, int n, float[] dy, float[] w, float[] gate, float[] xhat,
                                       float[] rinv, float[] sig, float[] dx, float[] dgate, double[] dw) {
        float[] w2 = pairs(n) ? twice(w) : null;
        boolean[] summed = new boolean[1];
        Parallel.forRange(rows, (from, to) -> {
            // rows of half a vector keep the sums' pass of their own: per block their pair loop cost more
            boolean lanes = Simd.on(), whole = from == 0 && to == rows && RowTree.applies(n);
            boolean fills = lanes && RowNormsFloatVector.fills(n);
            float[] m = new float[lanes ? RowSumsFloatVector.ROWS : 16];
            float[] dn = whole && gate != null ? new float[m.length * n] : null;
            int[] map = lanes ? RowSumsFloatVector.map(n) : null;
            float[] scratch = RowTree.applies(n) ? RowTree.scratch() : null;
            for (int r = from; r < to; r += m.length) {
                int end = Math.min(r + m.length, to);
                if (scratch != null && end - r == RowTree.ROWS && m.length == RowTree.ROWS) {
                    RowTree.gradSums(dy, w, gate, sig, xhat, r * n, n, scratch, m);
                    for (int l = 0; l < m.length; l++) {
                        m[l] /= n;
                    }
                } else if (RowTree.applies(n)) {
                    for (int l = r; l < end; l++) {
                        m[l - r] = RowTree.gradSum(dy, w, gate, sig, xhat, l * n, n) / n;
                    }
                } else if (lanes && end - r == m.length) {
                    RowSumsFloatVector.gradSums(dy, w, w2, gate, sig, xhat, r, n, map, m);
                    for (int l = 0; l < m.length; l++) {
                        m[l] /= n;
                    }
                } else {
                    for (int l = r; l < end; l++) {
                        m[l - r] = gradMean(dy, w, gate, sig, xhat, l * n, n);
                    }
                }
                if (fills) { // here, not in rmsNormBackwardRows: C2 stopped inlining that with the branch in it
                    RowNormsFloatVector.rmsNormBackwardRows(dy, r, end, w, gate, sig, xhat, m, rinv, dx, dgate);
                } else {
                    rmsNormBackwardRows(r, end, n, dy, w, w2, gate, sig, xhat, rinv, m, dx, dgate);
                }
                if (whole) {
                    addWeightGrads(r * n, (end - r) * n, n, dy, gate, sig, xhat, dn, dw);
                }
            }
            summed[0] = whole;
        });
        if (!summed[0]) {
            float[] dn = gate == null ? dy : Arena.uninitialized(rows * n);
            if (gate != null) {
                addWeightGrads(0, rows * n, n, dy, gate, sig, xhat, dn, null);
            }
            ColumnSumsFloat.addColumnSums(rows, n, dn, xhat, dw);
        }
    }

    /**
     * dw += the column sums of dn xhat over the entries [o, o + len) (whole rows of n), dn = dy gate
     * sigmoid(gate) written into dn from 0 first (dy itself without a gate); without dw only dn is written.
     */
    private static void addWeightGrads(int o, int len, int n, float[] dy, float[] gate, float[] sig, float[] xhat,
                                       float[] dn, double[] dw) {
        int dno = o;
        if (gate != null) { // dn first: with four factors in its loop C2 kept the sums' vectors as heap objects
            Loops.products(dy, o, gate, o, dn, 0, len);
            Loops.multiply(dn, 0, sig, o, len);
            dno = 0;
        }
        if (dw != null) {
            ColumnSumsFloat.addColumnSums(len / n, n, gate == null ? dy : dn, dno, xhat, o, dw);
        }
    }

    /** Rows [r0, r1) of {@link #rmsNormBackward}, m[r - r0] row r's mean(dn w xhat); pairs when w2 is w twice. */
    private static void rmsNormBackwardRows(int r0, int r1, int n, float[] dy, float[] w, float[] w2, float[] gate,
                                            float[] sig, float[] xhat, float[] rinv, float[] m, float[] dx,
                                            float[] dgate) {
        int r = r0;
        for (; w2 != null && r + 2 <= r1; r += 2) {
            RowNormsFloatVector.rmsNormBackwardPair(dy, r * n, w2, gate, sig, xhat, m[r - r0], m[r + 1 - r0], rinv[r],
                    rinv[r + 1], dx, dgate);
        }
        for (; r < r1; r++) {
            int o = r * n;
            float mr = m[r - r0];
            int j0 = Simd.on()
                    ? RowNormsFloatVector.rmsNormBackward(dy, o, w, gate, sig, xhat, mr, rinv[r], dx, dgate, n) : 0;
            for (int j = j0; j < n; j++) {
                float dn = gate == null ? dy[o + j] : dy[o + j] * gate[o + j] * sig[o + j];
                dx[o + j] = rinv[r] * (dn * w[j] - xhat[o + j] * mr);
                if (gate != null) {
                    float s = sig[o + j], z = gate[o + j];
                    dgate[o + j] = dy[o + j] * xhat[o + j] * w[j] * s * (1 + z * (1 - s));
                }
            }
        }
    }

    /** Whether rows of n go two to a vector (RMSNorm's and the L2 norm's pairs): n is half a vector. */
    static boolean pairs(int n) {
        return Simd.on() && n == RowNormsFloatVector.HALF && n > 1;
    }

    private static float[] twice(float[] w) {
        float[] w2 = java.util.Arrays.copyOf(w, 2 * w.length);
        System.arraycopy(w, 0, w2, w.length, w.length);
        return w2;
    }

    /** 1 / sqrt(mean square + eps) of a row of n from its sum of squares. */
    private static float rmsInverse(float ss, int n, double eps) {
        return (float) (1 / Math.sqrt(ss / n + eps));
    }

    static float sumOfSquares(float[] x, int o, int n) {
        float ss = 0;
        for (int j = 0; j < n; j++) {
            ss += x[o + j] * x[o + j];
        }
        return ss;
    }

    /** mean(dn w xhat) of the row at o, dn = dy silu(gate) (dy without a gate). */
    private static float gradMean(float[] dy, float[] w, float[] gate, float[] sig, float[] xhat, int o, int n) {
        float m = 0;
        for (int j = 0; j < n; j++) {
            float dn = gate == null ? dy[o + j] : dy[o + j] * gate[o + j] * sig[o + j];
            m += dn * w[j] * xhat[o + j];
        }
        return m / n;
    }
}
