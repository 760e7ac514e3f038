package org.selectivbench.models.ops;

/**
 * The float form of {@link AttentionRows} (float32 models on the CPU path): the same causal softmax
 * attention one block of queries at a time, and the same recomputation of the probabilities in backward
 * from each row's max and sum (the float exponential needs no bound from the row's min), on float
 * arrays. A row's sum of exponentials runs in eight stripes combined in a fixed order ({@link #sum})
 * instead of one chain of adds. {@link AttentionFloatVector} computes the same numbers with one key or
 * one column per lane. Checked against the double form in AttentionRowsFloatTest, and in the whole model
 * against the SameDiff graph in float32.
 *
 * <p>Layouts: q, k, v, o [G, T, hd]; row statistics [G, T, 2] (max, sum).
 */
public final class AttentionRowsFloat {
    private AttentionRowsFloat() {
    }

    /**
     * Heads narrower than this run the double kernels on widened copies: the float forms put a head's
     * columns in the lanes, and a narrower head leaves most of a 16-lane vector idle (8-wide heads, the
     * embedded default's, took 2 to 3 times the double kernels' time). A width, not a lane count, so
     * that the choice, and so the bits, are the same on every machine.
     */
    static final int MIN_WIDTH = 16;

    /** q scaled; what backward needs (or the double kernels' saved arrays, for a narrow head). */
    public record Saved(AttentionRows.Dims dims, float[] q, float[] k, float[] v, float[] stats, float[] o,
                        float scale, AttentionRows.Saved wide) {
    }

    /** o [G, T, hd] from q (unscaled), k, v. */
    public static Saved forward(AttentionRows.Dims d, float[] q, float[] k, float[] v, float scale, float[] o,
                                boolean keep) {
        int t = d.steps(), hd = d.width();
        if (hd < MIN_WIDTH) {
            double[] wide = new double[o.length];
            AttentionRows.Saved sv = AttentionRows.forward(d, Loops.doubles(q), Loops.doubles(k), Loops.doubles(v),
                    scale, wide, keep);
            System.arraycopy(Loops.floats(wide), 0, o, 0, o.length);
            return keep ? new Saved(d, null, null, null, null, null, scale, sv) : null;
        }
        float[] qs = new float[q.length];
        for (int i = 0; i < q.length; i++) {
            qs[i] = q[i] * scale;
        }
        float[] stats = keep ? new float[d.sequences() * t * 2] : null;
        boolean simd = Simd.on();
        Parallel.forRange(d.sequences(), (from, to) -> {
            float[][] rows = new float[AttentionRows.BLOCK][t];
            float[] kt = new float[hd * t];
            for (int g = from; g < to; g++) {
                int base = g * t * hd;
                transpose(k, base, t, hd, kt);
                for (int i0 = 0; i0 < t; i0 += AttentionRows.BLOCK) {
                    int nb = Math.min(AttentionRows.BLOCK, t - i0), qo = base + i0 * hd;
                    scores(simd, qs, qo, kt, t, hd, i0, nb, rows);
                    for (int b = 0; b < nb; b++) {
                        float[] row = rows[b];
                        int n = i0 + b + 1;
                        float max = simd ? AttentionFloatVector.max(row, n) : max(row, n);
                        shiftExp(row, n, max);
                        float sum = sum(row, n);
                        if (simd) {
                            AttentionFloatVector.divide(row, n, sum);
                        } else {
                            divide(row, 0, n, sum);
                        }
                        if (stats != null) {
                            int so = (g * t + i0 + b) * 2;
                            stats[so] = max;
                            stats[so + 1] = sum;
                        }
                    }
                    if (simd) {
                        AttentionFloatVector.mixBlock(rows, i0, nb, v, base, hd, o, qo);
                    } else {
                        for (int b = 0; b < nb; b++) {
                            mix(rows[b], i0 + b + 1, v, base, hd, 0, o, qo + b * hd);
                        }
                    }
                }
            }
        });
        return keep ? new Saved(d, qs, k, v, stats, o, scale, null) : null;
    }

    /** {dq, dk, dv} from dO [G, T, hd]. */
    public static float[][] backward(Saved sv, float[] dO) {
        if (sv.wide() != null) {
            double[][] g = AttentionRows.backward(sv.wide(), Loops.doubles(dO));
            return new float[][] {Loops.floats(g[0]), Loops.floats(g[1]), Loops.floats(g[2])};
        }
        AttentionRows.Dims d = sv.dims();
        int t = d.steps(), hd = d.width();
        float[] dq = new float[dO.length], dk = new float[dO.length], dv = new float[dO.length];
        boolean simd = Simd.on();
        Parallel.forRange(d.sequences(), (from, to) -> {
            float[][] ds = new float[AttentionRows.BLOCK][t], p = new float[AttentionRows.BLOCK][t];
            float[] vt = new float[hd * t], kt = new float[hd * t];
            for (int g = from; g < to; g++) {
                int base = g * t * hd;
                transpose(sv.v(), base, t, hd, vt);
                transpose(sv.k(), base, t, hd, kt);
                for (int i0 = 0; i0 < t; i0 += AttentionRows.BLOCK) {
                    int nb = Math.min(AttentionRows.BLOCK, t - i0), qo = base + i0 * hd;
                    scores(simd, sv.q(), qo, kt, t, hd, i0, nb, p);
                    scores(simd, dO, qo, vt, t, hd, i0, nb, ds);
                    for (int b = 0; b < nb; b++) {
                        int n = i0 + b + 1, io = qo + b * hd, so = (g * t + i0 + b) * 2;
                        // the probabilities again, as forward formed them
                        float[] pb = p[b], db = ds[b];
                        shiftExp(pb, n, sv.stats()[so]);
                        float rowDot = 0;
                        for (int c = 0; c < hd; c++) {
                            rowDot += dO[io + c] * sv.o()[io + c];
                        }
                        if (simd) {
                            AttentionFloatVector.divide(pb, n, sv.stats()[so + 1]);
                            AttentionFloatVector.scoreGrads(db, pb, n, rowDot);
                        } else {
                            divide(pb, 0, n, sv.stats()[so + 1]);
                            scoreGrads(db, pb, 0, n, rowDot);
                        }
                    }
                    if (simd) {
                        AttentionFloatVector.mixBlock(ds, i0, nb, sv.k(), base, hd, dq, qo);
                        AttentionFloatVector.spreadBlock(ds, p, i0, nb, sv.q(), dO, base, hd, dk, dv);
                    } else {
                        for (int b = 0; b < nb; b++) {
                            mix(ds[b], i0 + b + 1, sv.k(), base, hd, 0, dq, qo + b * hd);
                        }
                        spreadBlock(ds, p, i0, nb, sv.q(), dO, base, hd, 0, dk, dv);
                    }
                    for (int c = qo; c < qo + nb * hd; c++) {
                        dq[c] *= sv.scale();
                    }
                }
            }
        });
        return new float[][] {dq, dk, dv};
    }

    /** rows[b][j] = a row (ao + b hd) . column j of bt, for the nb queries from i0 and their keys j <= i0 + b. */
    private static void scores(boolean simd, float[] a, int ao, float[] bt, int t, int hd, int i0, int nb,
                               float[][] rows) {
        if (simd) {
            AttentionFloatVector.scores(a, ao, bt, t, hd, i0, nb, rows);
        } else {
            for (int b = 0; b < nb; b++) {
                dots(a, ao + b * hd, bt, t, hd, 0, i0 + b + 1, rows[b]);
            }
        }
    }

    private static void transpose(float[] a, int ao, int rows, int cols, float[] out) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = a[ao + r * cols + c];
            }
        }
    }

    static float max(float[] row, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, row[j]);
        }
        return max;
    }

    /** row[j] = expf(row[j] - max) for j in [0, n). */
    private static void shiftExp(float[] row, int n, float max) {
        for (int j = 0; j < n; j++) {
            row[j] -= max;
        }
        Exp.expInPlace(row, n);
    }

    /**
     * row[0] + ... + row[n - 1] as eight stripes (j mod 8) over the first n - n % 8 entries, combined as
     * ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)), then the rest in order: eight chains of adds.
     */
    static float sum(float[] row, int n) {
        int n8 = n - n % 8;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        for (int j = 0; j < n8; j += 8) {
            s0 += row[j];
            s1 += row[j + 1];
            s2 += row[j + 2];
            s3 += row[j + 3];
            s4 += row[j + 4];
            s5 += row[j + 5];
            s6 += row[j + 6];
            s7 += row[j + 7];
        }
        float sum = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        for (int j = n8; j < n; j++) {
            sum += row[j];
        }
        return sum;
    }

    static void divide(float[] row, int j0, int n, float sum) {
        for (int j = j0; j < n; j++) {
            row[j] /= sum;
        }
    }

    /** dP to dS: ds[j] = p[j] (ds[j] - rowDot). */
    static void scoreGrads(float[] ds, float[] p, int j0, int n, float rowDot) {
        for (int j = j0; j < n; j++) {
            ds[j] = p[j] * (ds[j] - rowDot);
        }
    }

    /** out[j] = a[ao..ao+hd) . column j of bt [hd, T], for j in [j0, n): the sum in column order. */
    static void dots(float[] a, int ao, float[] bt, int t, int hd, int j0, int n, float[] out) {
        for (int j = j0; j < n; j++) {
            float acc = 0;
            for (int c = 0; c < hd; c++) {
                acc += a[ao + c] * bt[c * t + j];
            }
            out[j] = acc;
        }
    }

    /** out[oo + c] = sum_j w[j] x[base + j hd + c] over j in [0, n), for columns c in [c0, hd). */
    static void mix(float[] w, int n, float[] x, int base, int hd, int c0, float[] out, int oo) {
        for (int c = c0; c < hd; c++) {
            float acc = 0;
            for (int j = 0; j < n; j++) {
                acc += w[j] * x[base + j * hd + c];
            }
            out[oo + c] = acc;
        }
    }

    /**
     * dk_j += dS_bj q_b and dv_j += P_bj dO_b for the nb queries b from i0 and their keys j <= i0 + b,
     * columns from c0: each key's terms in query order, as one query at a time adds them.
     */
    static void spreadBlock(float[][] ds, float[][] p, int i0, int nb, float[] q, float[] dO, int base, int hd,
                            int c0, float[] dk, float[] dv) {
        for (int b = 0; b < nb; b++) {
            int io = base + (i0 + b) * hd;
            float[] sb = ds[b], pb = p[b];
            for (int j = 0; j <= i0 + b; j++) {
                int jo = base + j * hd;
                float sj = sb[j], pj = pb[j];
                for (int c = c0; c < hd; c++) {
                    dk[jo + c] += sj * q[io + c];
                    dv[jo + c] += pj * dO[io + c];
                }
            }
        }
    }
}
