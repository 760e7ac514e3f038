package org.selectivbench.models.ops;

import java.util.Arrays;
import org.selectivbench.models.ops.DecayScanRecurrent.Dims;

/**
 * Mamba2's shared-key scan ({@link DecayScanSharedFloat}'s recurrence: q and k shared by the heads, one
 * decay per head or none) in float32 in its chunked form, {@link DecayScanChunked}'s equations on Java
 * arrays: per sequence and chunk of {@link #CHUNK} steps the state's work is matmuls through
 * {@link GemmFloat} ([W, K] x [K, C] and [W, C] x [C, K] for W = H*V value columns), where the step-by-step
 * form streams the [K, W] state through memory twice a step, load and store bound at a fraction of the
 * matmuls' rate. The pairwise decays are products of the steps' exp(a), never exp(gam_i) / exp(gam_j), so
 * nothing overflows however fast a chunk decays.
 *
 * <p>Per chunk, entering state S [K, W] (head h in columns [hV, hV + V)), g_i the decay from the chunk's
 * start through step i, D_ij the decay from step j to i (j &lt;= i), e_j = D_{C-1, j}, per head:
 * <pre>
 *   o_i = g_i (q_i S) + sum_{j &lt;= i} (q_i . k_j) D_ij v_j          S' = g_{C-1} S + sum_j e_j k_j v_j^T
 * </pre>
 * Backward is {@link DecayScanChunked}'s (see there). The state is held transposed, [W, K], and a chunk's
 * values and outputs as [W, C], so that every product has rows of the long axis and each head's own pairs
 * are a [V, C] x [C, C] product on its rows. Every sum runs in an order that does not depend on the lane
 * count (the matmuls' own, loops whose lanes are independent outputs, or {@link RowTree}'s), so results are
 * bit-identical with and without the vector module and on any thread count.
 */
final class DecayScanSharedFloatChunked {
    /** Steps per chunk: the scores and pairwise decays grow with it, the state's passes shrink. */
    static final int CHUNK = 32;

    private DecayScanSharedFloatChunked() {
    }

    /**
     * What backward needs: the inputs, exp(a) (null without decay), the state entering each chunk [W, K], and
     * (q S)^T per chunk ([W, len] at the chunk's first row times W).
     */
    record Saved(Dims dims, float[] q, float[] k, float[] v, float[] alpha, float[][] states, float[] qs) {
    }

    /**
     * Whether this form beats the step-by-step one: with 128 keys (the default state size) a small-shape
     * Mamba2 step took 58-61 ms against 89-105; with 16 (conf/local.conf) 32.9 against 27.3, the state
     * small enough to stay in cache (docs/engine-log.md).
     */
    static boolean pays(Dims d) {
        return d.k() >= MIN_KEYS;
    }

    /** The fewest keys (state size) for which {@link #pays}. */
    static final int MIN_KEYS = 64;

    static int chunks(int steps) {
        return (steps + CHUNK - 1) / CHUNK;
    }

    /**
     * o [B*T, W]; start and end states [B, H, K, V] (null for zero / not wanted); a [B*T, H] log decays or
     * null. Returns what backward needs when {@code keep}.
     */
    static Saved forward(Dims d, float[] q, float[] k, float[] v, float[] a, float[] start, float[] o, float[] end,
                         boolean keep) {
        if (!d.sharedKeys() || d.decay() == DecayScanRecurrent.Decay.CHANNEL) {
            throw new IllegalArgumentException("the chunked float kernel takes shared keys with a decay per head or none");
        }
        float[] alpha = null;
        if (a != null) {
            alpha = Arena.uninitialized(a.length);
            System.arraycopy(a, 0, alpha, 0, a.length);
            Exp.expInPlace(alpha, alpha.length);
        }
        float[] al = alpha;
        int st = d.k() * d.heads() * d.v(), nc = chunks(d.steps());
        float[][] kept = keep ? arrays(d.batch() * nc, st) : null;
        float[] qs = keep ? Arena.uninitialized(d.batch() * d.steps() * d.heads() * d.v()) : null;
        Parallel.forRange(d.batch(), (from, to) -> {
            DecayScanSharedChunk x = new DecayScanSharedChunk(d);
            for (int b = from; b < to; b++) {
                float[] s = kept != null ? kept[b * nc] : x.s;
                if (start != null) {
                    toState(start, b * st, s, d);
                } else {
                    Arrays.fill(s, 0);
                }
                for (int c = 0; c < nc; c++) {
                    // the state leaving the chunk: in place, or the next chunk's kept array (the last one's
                    // into the work array, for the end state)
                    float[] next = s;
                    if (kept != null) {
                        next = c + 1 < nc ? kept[b * nc + c + 1] : x.s;
                    }
                    chunkForward(d, b * d.steps() + c * CHUNK, Math.min(CHUNK, d.steps() - c * CHUNK), q, k, v,
                            al, o, qs, x, s, next);
                    s = next;
                }
                if (end != null) {
                    fromState(s, end, b * st, d);
                }
            }
        });
        return keep ? new Saved(d, q, k, v, alpha, kept, qs) : null;
    }

    /**
     * Arrays for each chunk's entering state, where the chunk before writes it: kept there, not copied there
     * and back.
     */
    private static float[][] arrays(int count, int size) {
        float[][] out = new float[count][];
        for (int i = 0; i < count; i++) {
            out[i] = Arena.uninitialized(size);
        }
        return out;
    }

    /**
     * The chunk of rows [r0, r0 + len) from its entering state s: its outputs into o (and (q S)^T into qs), the
     * state leaving it into next (s itself, or another array).
     */
    private static void chunkForward(Dims d, int r0, int len, float[] q, float[] k, float[] v, float[] alpha,
                                     float[] o, float[] qs, DecayScanSharedChunk x, float[] s, float[] next) {
        int kd = d.k(), hh = d.heads(), vd = d.v(), w = hh * vd;
        x.load(d, r0, len, null, k, v, alpha); // q only transposed here: from where it lies, not a copy
        transpose(q, r0 * kd, len, kd, x.qt);
        GemmFloat.nnRows(x.k, x.qt, null, x.scores, false, 0, len, kd, len); // [j][i] = k_j . q_i
        // (q S)^T = S^T q^T, each head's rows by g, then the chunk's own pairs
        GemmFloat.nnRows(s, x.qt, null, x.ot, false, 0, w, kd, len);
        if (qs != null) {
            System.arraycopy(x.ot, 0, qs, r0 * w, w * len);
        }
        scaleAlong(x.ot, x.g, len, d);
        for (int h = 0; h < hh; h++) {
            x.pairsTransposed(h, len);
            GemmFloat.nnRows(x.vt, x.m, null, x.ot, h * vd, (h + 1) * vd, len, len);
        }
        transpose(x.ot, 0, w, len, o, r0 * w);
        // S' = g_last S + (e v)^T k
        scaleHeads(s, x.total, next, d);
        scaleAlong(x.vt, x.toEnd, len, d);
        GemmFloat.nnRows(x.vt, x.k, null, next, 0, w, len, kd);
    }

    static void backward(Saved sv, float[] dO, float[] dEnd, float[] dq, float[] dk, float[] dv, float[] da,
                         float[] dStart) {
        Dims d = sv.dims();
        int st = d.k() * d.heads() * d.v(), nc = chunks(d.steps());
        Parallel.forRange(d.batch(), (from, to) -> {
            DecayScanSharedChunk x = new DecayScanSharedChunk(d);
            for (int b = from; b < to; b++) {
                if (dEnd != null) {
                    toState(dEnd, b * st, x.ds, d);
                } else {
                    Arrays.fill(x.ds, 0);
                }
                for (int c = nc - 1; c >= 0; c--) {
                    chunkBackward(sv, b * d.steps() + c * CHUNK, Math.min(CHUNK, d.steps() - c * CHUNK), dO, dq, dk,
                            dv, da, x, sv.states()[b * nc + c]);
                }
                if (dStart != null) {
                    fromState(x.ds, dStart, b * st, d);
                }
            }
        });
    }

    /**
     * The chunk of rows [r0, r0 + len) in reverse, s its entering state (read only): its gradients written,
     * x.ds (the gradient of the state leaving it) carried to the state entering it.
     */
    private static void chunkBackward(Saved sv, int r0, int len, float[] dO, float[] dq, float[] dk, float[] dv,
                                      float[] da, DecayScanSharedChunk x, float[] s) {
        Dims d = sv.dims();
        int kd = d.k(), hh = d.heads(), vd = d.v(), w = hh * vd;
        x.load(d, r0, len, sv.q(), sv.k(), sv.v(), sv.alpha());
        transpose(x.k, 0, len, kd, x.qt); // k^T here
        GemmFloat.nnRows(x.q, x.qt, null, x.scores, false, 0, len, kd, len); // [i][j] = q_i . k_j
        transpose(dO, r0 * w, len, w, x.ot); // dO^T
        float[] dog = x.rows;
        System.arraycopy(dO, r0 * w, dog, 0, len * w);
        scaleRows(dog, x.g, len, d);
        // the decay's gradient through the entering state's readout: g_i sum_y dO_iy (q S)_iy
        Arrays.fill(x.dgam, 0, hh * len, 0);
        float[] qs = sv.qs();
        for (int h = 0; h < hh; h++) {
            int go = h * len;
            for (int y = h * vd; y < (h + 1) * vd; y++) {
                Loops.addProducts(x.dgam, go, x.ot, y * len, qs, r0 * w + y * len, len);
            }
            for (int i = 0; i < len; i++) {
                x.dgam[go + i] *= x.g[go + i];
            }
        }
        // dq = (dO g) S^T, dk = (e v) dS'^T, dv^T = e (dS'^T k^T)
        GemmFloat.nnRows(dog, s, null, x.dq, false, 0, len, w, kd);
        float[] ve = x.ve;
        System.arraycopy(sv.v(), r0 * w, ve, 0, len * w); // v's rows: vt transposed back
        scaleRows(ve, x.toEnd, len, d);
        GemmFloat.nnRows(ve, x.ds, null, x.dk, false, 0, len, w, kd);
        GemmFloat.nnRows(x.ds, x.qt, null, x.dvt, false, 0, w, kd, len);
        // r_j = e_j sum_y (dS'^T k^T)_yj v_jy leaves step j's gradient and joins the chunk's last, with the
        // carried state's share g_last <dS', S>
        for (int h = 0; h < hh; h++) {
            int go = h * len;
            Arrays.fill(x.acc, 0, len, 0);
            for (int y = h * vd; y < (h + 1) * vd; y++) {
                Loops.addProducts(x.acc, 0, x.dvt, y * len, x.vt, y * len, len);
            }
            float sumR = 0, carried;
            for (int j = 0; j < len; j++) {
                float r = x.acc[j] * x.toEnd[go + j];
                x.dgam[go + j] -= r;
                sumR += r;
            }
            // on a lane tree where the head's block takes one (a vector a step), else eight chains, not one
            int bo = h * vd * kd, n = vd * kd;
            carried = RowTree.applies(n) ? RowTree.dot(x.ds, s, bo, n) : Loops.stripedDot(x.ds, bo, s, bo, n);
            x.last[h] = sumR + carried * x.total[h];
        }
        scaleAlong(x.dvt, x.toEnd, len, d);
        // the state entering the chunk: dS^T = g_last dS'^T + (dO g)^T q
        scaleHeads(x.ds, x.total, x.ds, d);
        GemmFloat.tnAddRows(dog, x.q, x.ds, len, w, kd, 0, w);
        // the chunk's own pairs, per head: dP = dO v^T, M = (q k^T) D
        Arrays.fill(x.dScores, 0, len * len, 0);
        for (int h = 0; h < hh; h++) {
            System.arraycopy(x.ot, h * vd * len, x.headA, 0, vd * len);
            System.arraycopy(x.vt, h * vd * len, x.headB, 0, vd * len);
            Arrays.fill(x.dp, 0, len * len, 0);
            GemmFloat.tnAddRows(x.headA, x.headB, x.dp, vd, len, len, 0, len);
            x.pairs(h, len);
            GemmFloat.nnRows(x.ot, x.m, null, x.dvt, h * vd, (h + 1) * vd, len, len);
            int go = h * len;
            // dScores and the columns' sums (over i in order) over whole rows, loops the JIT vectorizes: past
            // the diagonal dec and m are zeros, so those terms add zeros; then each row's own sum
            float[] dScores = x.dScores, dp = x.dp, dec = x.dec, m = x.m, cols = x.cols;
            for (int p = 0; p < len * len; p++) {
                dScores[p] += dp[p] * dec[p];
            }
            Arrays.fill(cols, 0, len, 0);
            Loops.addDots(cols, 0, dp, 0, m, 0, len, len);
            for (int i = 0; i < len; i++) {
                // a row's sum in four chains (j mod 4), not one that waits on each add
                float u0 = 0, u1 = 0, u2 = 0, u3 = 0;
                int j = 0, p = i * len;
                for (; j + 3 <= i; j += 4, p += 4) {
                    u0 += dp[p] * m[p];
                    u1 += dp[p + 1] * m[p + 1];
                    u2 += dp[p + 2] * m[p + 2];
                    u3 += dp[p + 3] * m[p + 3];
                }
                for (; j <= i; j++, p++) {
                    u0 += dp[p] * m[p];
                }
                x.dgam[go + i] += (u0 + u1) + (u2 + u3);
            }
            for (int j = 0; j < len; j++) {
                x.dgam[go + j] -= x.cols[j];
            }
        }
        GemmFloat.nnRows(x.dScores, x.k, null, x.dq, 0, len, len, kd);
        GemmFloat.tnAddRows(x.dScores, x.q, x.dk, len, len, kd, 0, len);
        System.arraycopy(x.dq, 0, dq, r0 * kd, len * kd);
        System.arraycopy(x.dk, 0, dk, r0 * kd, len * kd);
        transpose(x.dvt, 0, w, len, dv, r0 * w);
        if (da != null) {
            for (int h = 0; h < hh; h++) {
                int go = h * len;
                x.dgam[go + len - 1] += x.last[h];
                float acc = 0;
                for (int i = len - 1; i >= 0; i--) {
                    acc += x.dgam[go + i];
                    da[(r0 + i) * hh + h] = acc;
                }
            }
        }
    }

    /** A state [W, K] times f [H] into out (s itself, or another): head h's V rows by f[h]. */
    private static void scaleHeads(float[] s, float[] f, float[] out, Dims d) {
        int block = d.v() * d.k();
        for (int h = 0; h < d.heads(); h++) {
            float fh = f[h]; // a local: s and f might be one array, so C2 reloaded f[h] and kept the loop scalar
            for (int i = h * block; i < (h + 1) * block; i++) {
                out[i] = s[i] * fh;
            }
        }
    }

    /** x [rows, W] times f [H][rows], each head's columns by its own factor. */
    private static void scaleRows(float[] x, float[] f, int rows, Dims d) {
        int hh = d.heads(), vd = d.v(), w = hh * vd;
        for (int i = 0; i < rows; i++) {
            for (int h = 0; h < hh; h++) {
                int o = i * w + h * vd;
                Loops.scaled(x, o, f[h * rows + i], x, o, vd);
            }
        }
    }

    /** x [W, len] times f [H][len] along each row: row hy by head h's factors. */
    private static void scaleAlong(float[] x, float[] f, int len, Dims d) {
        int hh = d.heads(), vd = d.v();
        for (int h = 0; h < hh; h++) {
            for (int y = h * vd; y < (h + 1) * vd; y++) {
                Loops.multiply(x, y * len, f, h * len, len);
            }
        }
    }

    /** a [rows, cols] from offset ao into out [cols, rows]. */
    private static void transpose(float[] a, int ao, int rows, int cols, float[] out) {
        transpose(a, ao, rows, cols, out, 0);
    }

    /**
     * a [rows, cols] from offset ao into out [cols, rows] from offset oo, eight rows of a at a time: each
     * column's eight entries land side by side in out (0.37-0.41 ns an entry at these shapes against
     * 0.57-0.61 a row at a time).
     */
    static void transpose(float[] a, int ao, int rows, int cols, float[] out, int oo) {
        int r = 0;
        for (; r + 7 < rows; r += 8) {
            int x = ao + r * cols;
            for (int c = 0, o = oo + r; c < cols; c++, o += rows) {
                out[o] = a[x + c];
                out[o + 1] = a[x + cols + c];
                out[o + 2] = a[x + 2 * cols + c];
                out[o + 3] = a[x + 3 * cols + c];
                out[o + 4] = a[x + 4 * cols + c];
                out[o + 5] = a[x + 5 * cols + c];
                out[o + 6] = a[x + 6 * cols + c];
                out[o + 7] = a[x + 7 * cols + c];
            }
        }
        for (; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[oo + c * rows + r] = a[ao + r * cols + c];
            }
        }
    }

    /** Sequence b's state [H, K, V] (start and end states' layout) as [W, K], or back. */
    private static void toState(float[] hkv, int base, float[] s, Dims d) {
        int hh = d.heads(), kd = d.k(), vd = d.v();
        for (int h = 0; h < hh; h++) {
            for (int x = 0; x < kd; x++) {
                for (int y = 0; y < vd; y++) {
                    s[(h * vd + y) * kd + x] = hkv[base + (h * kd + x) * vd + y];
                }
            }
        }
    }

    private static void fromState(float[] s, float[] hkv, int base, Dims d) {
        int hh = d.heads(), kd = d.k(), vd = d.v();
        for (int h = 0; h < hh; h++) {
            for (int x = 0; x < kd; x++) {
                for (int y = 0; y < vd; y++) {
                    hkv[base + (h * kd + x) * vd + y] = s[(h * vd + y) * kd + x];
                }
            }
        }
    }
}
