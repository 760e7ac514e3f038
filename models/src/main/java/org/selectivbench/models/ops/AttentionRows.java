package org.selectivbench.models.ops;

/**
 * Causal softmax attention one query row at a time (the CPU kernel of {@link Attention}): per sequence g
 * (a batch row times a head) and query i, with q already scaled,
 * <pre>
 *   s_j = q_i . k_j,  p_j = exp(s_j - max s) / sum exp(s - max s)  (j <= i),  o_i = sum_j p_j v_j
 * </pre>
 * Only the causal half of the scores is formed, and the mask, softmax and readout are one pass. Training
 * keeps each row's max, sum and min, not the probabilities ([G, T, T] arrays made the heap churn): backward
 * recomputes them with the same operations, the same bits, then (dP_ij = dO_i . v_j, dS_ij = P_ij (dP_ij
 * - dO_i . o_i)) takes the queries in order, adding each one's terms into dk and dv. Every sum over j or i runs in index order and every sum over the head width in
 * column order; {@link AttentionVector} computes the same numbers with one key or one column per lane.
 *
 * <p>Layouts: q, k, v, o [G, T, hd]; row statistics [G, T, 3] (max, sum, min).
 */
public final class AttentionRows {
    private AttentionRows() {
    }

    /** Queries per pass over the keys: the vector form reads each key once for all of them. */
    static final int BLOCK = 4;

    public record Dims(int sequences, int steps, int width) {
    }

    /** q scaled; what backward needs. */
    public record Saved(Dims dims, double[] q, double[] k, double[] v, double[] stats, double[] o, double scale) {
    }

    /** o [G, T, hd] from q (unscaled), k, v. */
    public static Saved forward(Dims d, double[] q, double[] k, double[] v, double scale, double[] o, boolean keep) {
        int t = d.steps(), hd = d.width();
        double[] qs = new double[q.length];
        for (int i = 0; i < q.length; i++) {
            qs[i] = q[i] * scale;
        }
        double[] stats = keep ? new double[d.sequences() * t * 3] : null;
        boolean simd = Simd.on();
        Parallel.forRange(d.sequences(), (from, to) -> {
            double[][] rows = new double[BLOCK][t];
            double[] kt = new double[hd * t];
            for (int g = from; g < to; g++) {
                int base = g * t * hd;
                Loops.transpose(k, base, t, hd, kt, 0);
                for (int i0 = 0; i0 < t; i0 += BLOCK) {
                    int nb = Math.min(BLOCK, t - i0), qo = base + i0 * hd;
                    scores(simd, qs, qo, kt, t, hd, i0, nb, rows);
                    for (int b = 0; b < nb; b++) {
                        double[] row = rows[b];
                        int n = i0 + b + 1;
                        double max = simd ? AttentionVector.max(row, n) : max(row, n);
                        double min = simd ? AttentionVector.min(row, n) : min(row, n);
                        shiftExp(row, n, max, max - min);
                        double sum = 0;
                        for (int j = 0; j < n; j++) {
                            sum += row[j];
                        }
                        if (simd) {
                            AttentionVector.divide(row, n, sum);
                        } else {
                            divide(row, n, sum);
                        }
                        if (stats != null) {
                            int so = (g * t + i0 + b) * 3;
                            stats[so] = max;
                            stats[so + 1] = sum;
                            stats[so + 2] = min;
                        }
                    }
                    if (simd) {
                        AttentionVector.mixBlock(rows, i0, nb, v, base, hd, o, qo);
                    } else {
                        mixBlock(rows, i0, nb, v, base, hd, o, qo);
                    }
                }
            }
        });
        return keep ? new Saved(d, qs, k, v, stats, o, scale) : null;
    }

    /** {dq, dk, dv} from dO [G, T, hd]. */
    public static double[][] backward(Saved sv, double[] dO) {
        Dims d = sv.dims();
        int t = d.steps(), hd = d.width();
        double[] dq = new double[dO.length], dk = new double[dO.length], dv = new double[dO.length];
        boolean simd = Simd.on();
        Parallel.forRange(d.sequences(), (from, to) -> {
            double[][] ds = new double[BLOCK][t], p = new double[BLOCK][t];
            double[] vt = new double[hd * t], kt = new double[hd * t];
            for (int g = from; g < to; g++) {
                int base = g * t * hd;
                Loops.transpose(sv.v(), base, t, hd, vt, 0);
                Loops.transpose(sv.k(), base, t, hd, kt, 0);
                for (int i0 = 0; i0 < t; i0 += BLOCK) {
                    int nb = Math.min(BLOCK, t - i0), qo = base + i0 * hd;
                    scores(simd, sv.q(), qo, kt, t, hd, i0, nb, p);
                    scores(simd, dO, qo, vt, t, hd, i0, nb, ds);
                    for (int b = 0; b < nb; b++) {
                        int n = i0 + b + 1, io = qo + b * hd, so = (g * t + i0 + b) * 3;
                        // the probabilities again, as forward formed them: the shifted scores lie in
                        // [min - max, 0], so max - min bounds them for the exponential
                        double[] pb = p[b], db = ds[b];
                        double max = sv.stats()[so], sum = sv.stats()[so + 1], min = sv.stats()[so + 2];
                        shiftExp(pb, n, max, max - min);
                        double rowDot = 0;
                        for (int c = 0; c < hd; c++) {
                            rowDot += dO[io + c] * sv.o()[io + c];
                        }
                        if (simd) {
                            AttentionVector.divide(pb, n, sum);
                            AttentionVector.scoreGrads(db, pb, n, rowDot);
                        } else {
                            divide(pb, n, sum);
                            scoreGrads(db, pb, n, rowDot);
                        }
                    }
                    if (simd) {
                        AttentionVector.mixBlock(ds, i0, nb, sv.k(), base, hd, dq, qo);
                        AttentionVector.spreadBlock(ds, p, i0, nb, sv.q(), dO, base, hd, dk, dv);
                    } else {
                        mixBlock(ds, i0, nb, sv.k(), base, hd, dq, qo);
                        spreadBlock(ds, p, i0, nb, sv.q(), dO, base, hd, 0, dk, dv);
                    }
                    for (int c = qo; c < qo + nb * hd; c++) {
                        dq[c] *= sv.scale();
                    }
                }
            }
        });
        return new double[][] {dq, dk, dv};
    }

    /**
     * rows[b][j] = a row (ao + b hd) . column j of bt for the nb queries from i0, each over its own keys
     * j <= i0 + b; the vector form may fill entries past that, which nothing reads.
     */
    private static void scores(boolean simd, double[] a, int ao, double[] bt, int t, int hd, int i0, int nb,
                               double[][] rows) {
        if (simd) {
            AttentionVector.scores(a, ao, bt, t, hd, i0, nb, rows);
        } else {
            for (int b = 0; b < nb; b++) {
                dots(a, ao + b * hd, bt, t, hd, 0, i0 + b + 1, rows[b]);
            }
        }
    }

    static double max(double[] row, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, row[j]);
        }
        return max;
    }

    static double min(double[] row, int n) {
        double min = Double.POSITIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            min = Math.min(min, row[j]);
        }
        return min;
    }

    static void divide(double[] row, int n, double sum) {
        divide(row, 0, n, sum);
    }

    static void divide(double[] row, int j0, int n, double sum) {
        for (int j = j0; j < n; j++) {
            row[j] /= sum;
        }
    }

    /** dP to dS: ds[j] = p[j] (ds[j] - rowDot). */
    static void scoreGrads(double[] ds, double[] p, int n, double rowDot) {
        scoreGrads(ds, p, 0, n, rowDot);
    }

    static void scoreGrads(double[] ds, double[] p, int j0, int n, double rowDot) {
        for (int j = j0; j < n; j++) {
            ds[j] = p[j] * (ds[j] - rowDot);
        }
    }

    /** out rows oo + b hd = sum_j rows[b][j] x_j over j <= i0 + b, for the nb queries from i0. */
    private static void mixBlock(double[][] rows, int i0, int nb, double[] x, int base, int hd, double[] out,
                                 int oo) {
        for (int b = 0; b < nb; b++) {
            mix(rows[b], i0 + b + 1, x, base, hd, 0, out, oo + b * hd);
        }
    }

    /**
     * dk_j += dS_bj q_b and dv_j += P_bj dO_b for the nb queries b from i0 and their keys j <= i0 + b,
     * columns from c0: each key's terms in query order, as one query at a time adds them.
     */
    static void spreadBlock(double[][] ds, double[][] p, int i0, int nb, double[] q, double[] dO, int base, int hd,
                            int c0, double[] dk, double[] dv) {
        for (int b = 0; b < nb; b++) {
            spread(ds[b], p[b], i0 + b + 1, q, dO, base + (i0 + b) * hd, base, hd, c0, dk, dv);
        }
    }

    /** out[j] = a[ao..ao+hd) . column j of bt [hd, T], for j in [j0, n): the sum in column order. */
    static void dots(double[] a, int ao, double[] bt, int t, int hd, int j0, int n, double[] out) {
        for (int j = j0; j < n; j++) {
            double acc = 0;
            for (int c = 0; c < hd; c++) {
                acc += a[ao + c] * bt[c * t + j];
            }
            out[j] = acc;
        }
    }

    /** row[j] = exp(row[j] - max) for j in [0, n), given max - min of the row. */
    private static void shiftExp(double[] row, int n, double max, double bound) {
        for (int j = 0; j < n; j++) {
            row[j] -= max;
        }
        Exp.expInPlace(row, n, bound);
    }

    /** out[oo + c] = sum_j w[j] x[base + j hd + c] over j in [0, n), for columns c in [c0, hd). */
    static void mix(double[] w, int n, double[] x, int base, int hd, int c0, double[] out, int oo) {
        for (int c = c0; c < hd; c++) {
            double acc = 0;
            for (int j = 0; j < n; j++) {
                acc += w[j] * x[base + j * hd + c];
            }
            out[oo + c] = acc;
        }
    }

    /** dk_j += dS_j q_i and dv_j += P_ij dO_i for j in [0, n), columns from c0. */
    static void spread(double[] ds, double[] p, int n, double[] q, double[] dO, int io, int base, int hd, int c0,
                       double[] dk, double[] dv) {
        for (int j = 0; j < n; j++) {
            int jo = base + j * hd;
            double sj = ds[j], pj = p[j];
            for (int c = c0; c < hd; c++) {
                dk[jo + c] += sj * q[io + c];
                dv[jo + c] += pj * dO[io + c];
            }
        }
    }
}
