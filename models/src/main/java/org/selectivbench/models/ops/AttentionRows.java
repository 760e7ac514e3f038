package org.selectivbench.models.ops;

/**
 * Causal softmax attention one query row at a time (the CPU kernel of {@link Attention}): per sequence g
 * (a batch row times a head) and query i, with q already scaled,
 * <pre>
 *   s_j = q_i . k_j,  p_j = exp(s_j - max s) / sum exp(s - max s)  (j <= i),  o_i = sum_j p_j v_j
 * </pre>
 * Only the causal half of the scores is formed, and the mask, softmax and readout are one pass. Training
 * keeps each row's max and sum, not the probabilities ([G, T, T] arrays made the heap churn): backward
 * recomputes them with the same operations, the same bits, then (dP_ij = dO_i . v_j, dS_ij = P_ij (dP_ij
 * - dO_i . o_i)) takes the queries in order, adding each one's terms into dk and dv. Every sum over j or i runs in index order and every sum over the head width in
 * column order; {@link AttentionVector} computes the same numbers with one key or one column per lane.
 *
 * <p>Layouts: q, k, v, o [G, T, hd]; row statistics [G, T, 2] (max, sum).
 */
public final class AttentionRows {
    private AttentionRows() {
    }

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
        double[] stats = keep ? new double[d.sequences() * t * 2] : null;
        boolean simd = Simd.on();
        Parallel.forRange(d.sequences(), (from, to) -> {
            double[] row = new double[t], kt = new double[hd * t];
            for (int g = from; g < to; g++) {
                int base = g * t * hd;
                Loops.transpose(k, base, t, hd, kt, 0);
                for (int i = 0; i < t; i++) {
                    int n = i + 1, qo = base + i * hd;
                    if (simd) {
                        AttentionVector.dots(qs, qo, kt, t, hd, n, row);
                    } else {
                        dots(qs, qo, kt, t, hd, 0, n, row);
                    }
                    double max = Double.NEGATIVE_INFINITY, min = Double.POSITIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        max = Math.max(max, row[j]);
                        min = Math.min(min, row[j]);
                    }
                    shiftExp(row, n, max, max - min);
                    double sum = 0;
                    for (int j = 0; j < n; j++) {
                        sum += row[j];
                    }
                    for (int j = 0; j < n; j++) {
                        row[j] /= sum;
                    }
                    if (simd) {
                        AttentionVector.mix(row, n, v, base, hd, o, qo);
                    } else {
                        mix(row, n, v, base, hd, 0, o, qo);
                    }
                    if (stats != null) {
                        int so = (g * t + i) * 2;
                        stats[so] = max;
                        stats[so + 1] = sum;
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
            double[] ds = new double[t], p = new double[t], vt = new double[hd * t], kt = new double[hd * t];
            for (int g = from; g < to; g++) {
                int base = g * t * hd;
                Loops.transpose(sv.v(), base, t, hd, vt, 0);
                Loops.transpose(sv.k(), base, t, hd, kt, 0);
                for (int i = 0; i < t; i++) {
                    int n = i + 1, io = base + i * hd, so = (g * t + i) * 2;
                    // the probabilities again, as forward formed them: the shifted scores lie in
                    // [min - max, 0], so max - min bounds them for the exponential
                    if (simd) {
                        AttentionVector.dots(sv.q(), io, kt, t, hd, n, p);
                    } else {
                        dots(sv.q(), io, kt, t, hd, 0, n, p);
                    }
                    double max = sv.stats()[so], sum = sv.stats()[so + 1], min = Double.POSITIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        min = Math.min(min, p[j]);
                    }
                    shiftExp(p, n, max, max - min);
                    for (int j = 0; j < n; j++) {
                        p[j] /= sum;
                    }
                    double rowDot = 0;
                    for (int c = 0; c < hd; c++) {
                        rowDot += dO[io + c] * sv.o()[io + c];
                    }
                    if (simd) {
                        AttentionVector.dots(dO, io, vt, t, hd, n, ds);
                    } else {
                        dots(dO, io, vt, t, hd, 0, n, ds);
                    }
                    for (int j = 0; j < n; j++) { // dP to dS
                        ds[j] = p[j] * (ds[j] - rowDot);
                    }
                    if (simd) {
                        AttentionVector.mix(ds, n, sv.k(), base, hd, dq, io);
                        AttentionVector.spread(ds, p, n, sv.q(), dO, io, base, hd, dk, dv);
                    } else {
                        mix(ds, n, sv.k(), base, hd, 0, dq, io);
                        spread(ds, p, n, sv.q(), dO, io, base, hd, 0, dk, dv);
                    }
                    for (int c = 0; c < hd; c++) {
                        dq[io + c] *= sv.scale();
                    }
                }
            }
        });
        return new double[][] {dq, dk, dv};
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
