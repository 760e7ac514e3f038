package org.selectivbench.models.ops;

/**
 * Causal softmax attention on float arrays (float32 models on the CPU path), o = softmax(q k^T scale +
 * causal mask) v per sequence g (a batch row times a head), with {@link #LANES} queries or keys side by
 * side, one per lane, so that no sum runs across lanes:
 * <ul>
 *   <li>forward, per block of 16 queries i: s_ij = q_i . k_j (over the head's columns in order) for the
 *       keys up to the block's end, max_i, e_ij = expf(s_ij - max_i), p_ij = e_ij r_i with
 *       r_i = 1 / sum_j e_ij (keys in order), o_i = sum_j p_ij v_j (keys in order); keys past a query
 *       get p = 0 (their terms add exact zeros);</li>
 *   <li>backward recomputes p from the saved max_i and r_i, the same operations, the same bits; per block
 *       of 16 keys j, over the queries i from the block's first key in order, dS_ij = p_ij (dO_i . v_j -
 *       dO_i . o_i), dk_j = sum_i dS_ij q_i and dv_j = sum_i p_ij dO_i, and each query's dq_i gets the
 *       block's terms dS_ij k_j in key order (the blocks in order, so dq_i = scale sum_j dS_ij k_j sums
 *       its keys in order). One pass over the keys' blocks forms each dS once: a second pass by blocks of
 *       queries, for dq, formed them all again (docs/engine-log.md).</li>
 * </ul>
 * The scores and the mixes sum their terms by fused multiply-adds (one operation a term where a
 * multiplication and an addition were two; docs/engine-log.md), dq's terms by multiplications and adds.
 * Each lane's numbers depend only on the block layout, not on how many lanes a vector has: the scalar
 * form here and {@link AttentionFloatVector} (4, 8 or 16 lanes) give the same bits. Checked against the
 * double kernels ({@link AttentionRows}) in AttentionRowsTest, and in the whole model against the
 * SameDiff graph in float32.
 *
 * <p>Layouts: q, k, v, o [G, T, hd]; row statistics [G, T, 2] (max, r). Block buffers put a lane's
 * entries LANES apart: s [rows, LANES], a transposed head [hd, LANES].
 */
public final class AttentionFloat {
    /** Queries (or keys) per block, one per lane; 16, 8 and 4 lane vectors all divide it. */
    static final int LANES = 16;

    private AttentionFloat() {
    }

    /** q scaled; what backward needs. */
    public record Saved(AttentionRows.Dims dims, float[] q, float[] k, float[] v, float[] stats, float[] o,
                        float scale) {
    }

    /** o [G, T, hd] from q (unscaled), k, v. */
    public static Saved forward(AttentionRows.Dims d, float[] q, float[] k, float[] v, float scale, float[] o,
                                boolean keep) {
        int t = d.steps(), hd = d.width();
        float[] qs = Arena.uninitialized(q.length);
        for (int i = 0; i < q.length; i++) {
            qs[i] = q[i] * scale;
        }
        float[] stats = keep ? Arena.uninitialized(d.sequences() * t * 2) : null;
        BlockOps ops = BlockOps.of(hd);
        Parallel.forRange(d.sequences(), (from, to) -> {
            float[] s = Arena.floats(t * LANES), e = Arena.floats(t * LANES);
            float[] qT = Arena.floats(hd * LANES), oT = Arena.floats(hd * LANES);
            float[] max = Arena.floats(LANES), r = Arena.floats(LANES);
            for (int g = from; g < to; g++) {
                int base = g * t * hd;
                for (int i0 = 0; i0 < t; i0 += LANES) {
                    int nb = Math.min(LANES, t - i0), n = i0 + nb;
                    ops.transposeIn(qs, base + i0 * hd, nb, hd, qT);
                    ops.attend(qT, k, v, base, hd, i0, nb, s, e, max, r, oT);
                    ops.transposeOut(oT, nb, hd, 1, o, base + i0 * hd);
                    if (stats != null) {
                        for (int l = 0; l < nb; l++) {
                            stats[(g * t + i0 + l) * 2] = max[l];
                            stats[(g * t + i0 + l) * 2 + 1] = r[l];
                        }
                    }
                }
            }
        });
        return keep ? new Saved(d, qs, k, v, stats, o, scale) : null;
    }

    /** {dq, dk, dv} from dO [G, T, hd]. */
    public static float[][] backward(Saved sv, float[] dO) {
        AttentionRows.Dims d = sv.dims();
        int t = d.steps(), hd = d.width();
        // every entry of dk and dv is a block's transposeOut, so neither needs a zero first; dq is summed
        float[] dq = Arena.uninitialized(dO.length), dk = Arena.uninitialized(dO.length);
        float[] dv = Arena.uninitialized(dO.length);
        float[] rowDot = Arena.uninitialized(d.sequences() * t);
        for (int i = 0; i < rowDot.length; i++) {
            float acc = 0;
            for (int c = 0; c < hd; c++) {
                acc += dO[i * hd + c] * sv.o()[i * hd + c];
            }
            rowDot[i] = acc;
        }
        float[] st = sv.stats();
        BlockOps ops = BlockOps.of(hd);
        Parallel.forRange(d.sequences(), (from, to) -> {
            float[] p = Arena.floats(t * LANES), ds = Arena.floats(t * LANES);
            float[] aT = Arena.floats(hd * LANES), bT = Arena.floats(hd * LANES), outT = Arena.floats(hd * LANES);
            float[] outT2 = Arena.floats(hd * LANES), keys = Arena.floats(LANES * LANES);
            float[] rowMax = Arena.floats(t), rowR = Arena.floats(t), rowD = Arena.floats(t);
            for (int g = from; g < to; g++) {
                int base = g * t * hd;
                for (int i = 0; i < t; i++) {
                    rowMax[i] = st[(g * t + i) * 2];
                    rowR[i] = st[(g * t + i) * 2 + 1];
                    rowD[i] = rowDot[g * t + i];
                }
                java.util.Arrays.fill(dq, base, base + t * hd, 0);
                // keys by blocks, over the queries from the block's first key: dk, dv, and each query's dq
                // terms for the block's keys, added to dq in key order
                for (int j0 = 0; j0 < t; j0 += LANES) {
                    int nk = Math.min(LANES, t - j0), rows = t - j0;
                    ops.transposeIn(sv.k(), base + j0 * hd, nk, hd, aT);
                    ops.transposeIn(sv.v(), base + j0 * hd, nk, hd, bT);
                    ops.keyBlock(aT, bT, sv.q(), dO, base + j0 * hd, hd, rows, rowMax, rowR, rowD, j0, p, ds);
                    ops.addQueryGrads(ds, rows, nk, sv.k(), base + j0 * hd, hd, dq, base + j0 * hd, keys);
                    ops.mixPair(ds, p, rows, sv.q(), dO, base + j0 * hd, hd, outT, outT2);
                    ops.transposeOut(outT, nk, hd, 1, dk, base + j0 * hd);
                    ops.transposeOut(outT2, nk, hd, 1, dv, base + j0 * hd);
                }
                if (sv.scale() != 1) {
                    for (int c = base; c < base + t * hd; c++) {
                        dq[c] *= sv.scale();
                    }
                }
            }
        });
        return new float[][] {dq, dk, dv};
    }

    /**
     * Shifted scores of a block of queries [n, LANES] to e = expf(.), with the keys past each query (the
     * block's diagonal) 0 before and after the exponential: its vector form wants finite arguments.
     */
    private static void probabilities(float[] s, int i0, int nb, int n) {
        mask(s, i0, nb, 0);
        Exp.expInPlace(s, 0, n * LANES);
        mask(s, i0, nb, 0);
    }

    /** The same for a block of keys [rows, LANES] against the queries from its first key. */
    private static void keyProbabilities(float[] s, int rows) {
        maskKeys(s, Math.min(rows, LANES), 0);
        Exp.expInPlace(s, 0, rows * LANES);
        maskKeys(s, Math.min(rows, LANES), 0);
    }

    /** s[j][l] = value for the keys j in [i0, i0 + nb) past query i0 + l of the block. */
    private static void mask(float[] s, int i0, int nb, float value) {
        for (int j = i0 + 1; j < i0 + nb; j++) {
            java.util.Arrays.fill(s, j * LANES, j * LANES + j - i0, value);
        }
    }

    /** s[i][l] = value for key j0 + l past query j0 + i, over the first {@code rows} queries. */
    private static void maskKeys(float[] s, int rows, float value) {
        for (int i = 0; i < rows; i++) {
            java.util.Arrays.fill(s, i * LANES + i + 1, (i + 1) * LANES, value);
        }
    }

    /**
     * The block operations, per lane: the scalar form here, the Vector API form in
     * {@link AttentionFloatVector}. Every lane's arithmetic is the same in both.
     */
    static class BlockOps {
        static BlockOps of(int hd) {
            if (!Simd.on() || LANES % AttentionFloatVector.lanes() != 0) {
                return new BlockOps();
            }
            return hd == 8 ? new AttentionEightFloatVector() : new AttentionFloatVector();
        }

        /**
         * A block of queries i0.. (nb of them, their columns transposed in qT, scaled) against the keys up
         * to the block's end: their row maxima in max, reciprocal sums in r and the mix in oT. s and e:
         * scratch of [n, LANES] (the weights; e for the vector form).
         */
        void attend(float[] qT, float[] k, float[] v, int base, int hd, int i0, int nb, float[] s, float[] e,
                    float[] max, float[] r, float[] oT) {
            int n = i0 + nb;
            scores(qT, k, base, hd, n, s);
            mask(s, i0, nb, Float.NEGATIVE_INFINITY);
            max(s, n, max);
            shift(s, n, max);
            probabilities(s, i0, nb, n);
            sum(s, n, r);
            reciprocals(r);
            scale(s, n, r);
            mix(s, n, v, base, hd, oT);
        }

        /** r[l] = 1 / r[l]. */
        static void reciprocals(float[] r) {
            for (int l = 0; l < LANES; l++) {
                r[l] = 1 / r[l];
            }
        }

        /**
         * A block of keys (columns transposed in kT, their values' in vT) against the queries from its first
         * key, rows of them, at offset at in q and dO: the weights p recomputed from the rows' maxima and
         * reciprocal sums, and the score gradients ds.
         */
        void keyBlock(float[] kT, float[] vT, float[] q, float[] dO, int at, int hd, int rows, float[] rowMax,
                      float[] rowR, float[] rowD, int j0, float[] p, float[] ds) {
            scores(kT, q, at, hd, rows, p);
            shiftRows(p, rows, rowMax, j0);
            keyProbabilities(p, rows);
            scaleRows(p, rows, rowR, j0);
            scores(vT, dO, at, hd, rows, ds);
            scoreGradsRows(ds, p, rows, rowD, j0);
        }

        /** The key block's dk (ds against q) into dkT and dv (p against dO) into dvT. */
        void mixPair(float[] ds, float[] p, int rows, float[] q, float[] dO, int at, int hd, float[] dkT,
                     float[] dvT) {
            mix(ds, rows, q, at, hd, dkT);
            mix(p, rows, dO, at, hd, dvT);
        }

        /** outT[c][l] = x[xo + l hd + c] for l < nb, 0 past them. */
        void transposeIn(float[] x, int xo, int nb, int hd, float[] outT) {
            java.util.Arrays.fill(outT, 0);
            for (int l = 0; l < nb; l++) {
                for (int c = 0; c < hd; c++) {
                    outT[c * LANES + l] = x[xo + l * hd + c];
                }
            }
        }

        /** out[oo + l hd + c] = xT[c][l] scale for l < nb. */
        void transposeOut(float[] xT, int nb, int hd, float scale, float[] out, int oo) {
            for (int l = 0; l < nb; l++) {
                for (int c = 0; c < hd; c++) {
                    out[oo + l * hd + c] = scale == 1 ? xT[c * LANES + l] : xT[c * LANES + l] * scale;
                }
            }
        }

        /** out[r][l] = sum_c aT[c][l] a[ao + r hd + c] for r < rows (the head's columns in order). */
        void scores(float[] aT, float[] a, int ao, int hd, int rows, float[] out) {
            for (int r = 0; r < rows; r++) {
                for (int l = 0; l < LANES; l++) {
                    float acc = 0;
                    for (int c = 0; c < hd; c++) {
                        acc = Math.fma(aT[c * LANES + l], a[ao + r * hd + c], acc);
                    }
                    out[r * LANES + l] = acc;
                }
            }
        }

        /** outT[c][l] = sum_r w[r][l] a[ao + r hd + c] (rows in order). */
        void mix(float[] w, int rows, float[] a, int ao, int hd, float[] outT) {
            for (int c = 0; c < hd; c++) {
                for (int l = 0; l < LANES; l++) {
                    float acc = 0;
                    for (int r = 0; r < rows; r++) {
                        acc = Math.fma(w[r * LANES + l], a[ao + r * hd + c], acc);
                    }
                    outT[c * LANES + l] = acc;
                }
            }
        }

        void max(float[] s, int rows, float[] out) {
            for (int l = 0; l < LANES; l++) {
                float m = Float.NEGATIVE_INFINITY;
                for (int r = 0; r < rows; r++) {
                    m = Math.max(m, s[r * LANES + l]);
                }
                out[l] = m;
            }
        }

        void sum(float[] s, int rows, float[] out) {
            for (int l = 0; l < LANES; l++) {
                float acc = 0;
                for (int r = 0; r < rows; r++) {
                    acc += s[r * LANES + l];
                }
                out[l] = acc;
            }
        }

        /** s[r][l] -= by[l]. */
        void shift(float[] s, int rows, float[] by) {
            for (int r = 0; r < rows; r++) {
                for (int l = 0; l < LANES; l++) {
                    s[r * LANES + l] -= by[l];
                }
            }
        }

        /** s[r][l] *= by[l]. */
        void scale(float[] s, int rows, float[] by) {
            for (int r = 0; r < rows; r++) {
                for (int l = 0; l < LANES; l++) {
                    s[r * LANES + l] *= by[l];
                }
            }
        }

        /**
         * dq[qo + r hd + c] += sum_l ds[r][l] k[ko + l hd + c] over the block's nk keys l in order, for the
         * rows r < rows (queries from the block's first key): with dq zeroed first and the key blocks in
         * order, each query's dq sums its keys in order, as one pass over a block of queries would.
         * {@code keys}: scratch of LANES * LANES floats for the vector form.
         */
        void addQueryGrads(float[] ds, int rows, int nk, float[] k, int ko, int hd, float[] dq, int qo, float[] keys) {
            addQueryGrads(ds, rows, nk, k, ko, hd, dq, qo, keys, 0);
        }

        /** The same for the rows from r0. */
        final void addQueryGrads(float[] ds, int rows, int nk, float[] k, int ko, int hd, float[] dq, int qo,
                                 float[] keys, int r0) {
            for (int r = r0; r < rows; r++) {
                for (int c = 0; c < hd; c++) {
                    float acc = dq[qo + r * hd + c];
                    for (int l = 0; l < nk; l++) {
                        acc += ds[r * LANES + l] * k[ko + l * hd + c];
                    }
                    dq[qo + r * hd + c] = acc;
                }
            }
        }

        /** s[r][l] -= by[from + r]. */
        void shiftRows(float[] s, int rows, float[] by, int from) {
            for (int r = 0; r < rows; r++) {
                for (int l = 0; l < LANES; l++) {
                    s[r * LANES + l] -= by[from + r];
                }
            }
        }

        /** s[r][l] *= by[from + r]. */
        void scaleRows(float[] s, int rows, float[] by, int from) {
            for (int r = 0; r < rows; r++) {
                for (int l = 0; l < LANES; l++) {
                    s[r * LANES + l] *= by[from + r];
                }
            }
        }

        /** ds[r][l] = p[r][l] (ds[r][l] - dot[from + r]). */
        void scoreGradsRows(float[] ds, float[] p, int rows, float[] dot, int from) {
            for (int r = 0; r < rows; r++) {
                for (int l = 0; l < LANES; l++) {
                    ds[r * LANES + l] = p[r * LANES + l] * (ds[r * LANES + l] - dot[from + r]);
                }
            }
        }
    }
}
