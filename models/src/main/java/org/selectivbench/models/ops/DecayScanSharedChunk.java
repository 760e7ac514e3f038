package org.selectivbench.models.ops;

import static org.selectivbench.models.ops.DecayScanSharedFloatChunked.CHUNK;
import static org.selectivbench.models.ops.DecayScanSharedFloatChunked.transpose;

import java.util.Arrays;
import org.selectivbench.models.ops.DecayScanRecurrent.Dims;

/**
 * One thread's arrays for {@link DecayScanSharedFloatChunked}: a chunk's inputs, its decays and scores, and
 * the products' outputs, with the loads and pairwise decays that fill them.
 */
final class DecayScanSharedChunk {
    final float[] q, k, qt, vt, ot, rows, ve, dq, dk, dvt, s, ds, scores, dScores, dp, m, dec, headA, headB, g,
            toEnd, total, dgam, last, acc, cols, alphas;
    /**
     * The layout whose zeros m holds before the diagonal: minus the chunk length for the transposed M, 0
     * for none yet. Filling them once, not per head and row, saved the hundreds of short fills a chunk took.
     */
    private int zeroed;

    DecayScanSharedChunk(Dims d) {
        int kd = d.k(), hh = d.heads(), vd = d.v(), w = hh * vd;
        q = Arena.uninitialized(CHUNK * kd);
        k = Arena.uninitialized(CHUNK * kd);
        qt = Arena.uninitialized(CHUNK * kd);
        dq = Arena.uninitialized(CHUNK * kd);
        dk = Arena.uninitialized(CHUNK * kd);
        vt = Arena.uninitialized(CHUNK * w);
        ot = Arena.uninitialized(CHUNK * w);
        rows = Arena.uninitialized(CHUNK * w);
        ve = Arena.uninitialized(CHUNK * w);
        dvt = Arena.uninitialized(CHUNK * w);
        s = Arena.uninitialized(kd * w);
        ds = Arena.uninitialized(kd * w);
        scores = Arena.uninitialized(CHUNK * CHUNK);
        dScores = Arena.uninitialized(CHUNK * CHUNK);
        dp = Arena.uninitialized(CHUNK * CHUNK);
        m = Arena.uninitialized(CHUNK * CHUNK);
        dec = Arena.uninitialized(CHUNK * CHUNK);
        headA = Arena.uninitialized(CHUNK * vd);
        headB = Arena.uninitialized(CHUNK * vd);
        g = Arena.uninitialized(CHUNK * hh);
        toEnd = Arena.uninitialized(CHUNK * hh);
        dgam = Arena.uninitialized(CHUNK * hh);
        alphas = Arena.uninitialized(CHUNK * hh);
        acc = new float[CHUNK];
        cols = new float[CHUNK];
        total = new float[hh];
        last = new float[hh];
    }

    /**
     * Rows [r0, r0 + len) of q and k, v^T [W, len], and per head [H][len] the steps' decays, g (the decay
     * from the chunk's start through each step), e (from each step to the chunk's end) and the total.
     */
    void load(Dims d, int r0, int len, float[] qa, float[] ka, float[] va, float[] alpha) {
        int kd = d.k(), hh = d.heads(), w = hh * d.v();
        System.arraycopy(qa, r0 * kd, q, 0, len * kd);
        System.arraycopy(ka, r0 * kd, k, 0, len * kd);
        transpose(va, r0 * w, len, w, vt, 0);
        for (int h = 0; h < hh; h++) {
            int go = h * len;
            float run = 1;
            for (int i = 0; i < len; i++) {
                float al = alpha == null ? 1f : alpha[(r0 + i) * hh + h];
                alphas[go + i] = al;
                run *= al;
                g[go + i] = run;
            }
            total[h] = run;
            float e = 1;
            for (int j = len - 1; j >= 0; j--) {
                toEnd[go + j] = e;
                e *= alphas[go + j];
            }
        }
    }

    /**
     * Head h's masked scores M = scores D, [j][i] (as scores then are), for the forward, which needs no D:
     * each row runs along its own index, D_ij = D_i-1,j exp(a_i), so that its writes are contiguous. Four
     * rows go side by side, each its own chain of products (a row alone waited on each multiply), the same
     * products in the same order per entry.
     */
    void pairsTransposed(int h, int len) {
        zero(-len);
        int go = h * len, r = 0;
        for (; r + 3 < len; r += 4) {
            pairRowsUp(go, r, len);
        }
        for (; r < len; r++) { // row j: i from j up
            int o = r * len;
            float run = 1;
            for (int i = r; i < len; i++) {
                if (i > r) {
                    run *= alphas[go + i];
                }
                m[o + i] = scores[o + i] * run;
            }
        }
    }

    /**
     * Head h's pairwise decays D_ij (j &lt;= i, else 0) into dec and M = scores D into m, both [i][j], for
     * the backward: row i is row i-1 times exp(a_i) with 1 on its diagonal, whole rows at a time (zeros
     * past the diagonal stay zeros), so that each row is a few vector operations; the entry-by-entry
     * chains along each row took 7% of the backward. The same products in the same order as the forward's
     * D (from step j + 1 up).
     */
    void pairs(int h, int len) {
        int go = h * len;
        Arrays.fill(dec, 0, len, 0);
        dec[0] = 1;
        for (int i = 1, o = len; i < len; i++, o += len) {
            Loops.scaled(dec, o - len, alphas[go + i], dec, o, len);
            dec[o + i] = 1;
        }
        float[] dec = this.dec, m = this.m, scores = this.scores;
        for (int p = 0; p < len * len; p++) {
            m[p] = scores[p] * dec[p];
        }
    }

    /** m's zeros before the diagonal for the transposed layout of this length, written once. */
    private void zero(int layout) {
        if (zeroed != layout) {
            Arrays.fill(m, 0);
            zeroed = layout;
        }
    }

    /** Rows j = r..r+3 of the transposed M: each from its diagonal up, together from column r + 4. */
    private void pairRowsUp(int go, int r, int len) {
        float u0 = rowUp(go, r, 0, len), u1 = rowUp(go, r, 1, len), u2 = rowUp(go, r, 2, len);
        float u3 = rowUp(go, r, 3, len);
        int o0 = r * len, o1 = o0 + len, o2 = o1 + len, o3 = o2 + len;
        for (int i = r + 4; i < len; i++) {
            float a = alphas[go + i];
            u0 *= a;
            u1 *= a;
            u2 *= a;
            u3 *= a;
            m[o0 + i] = scores[o0 + i] * u0;
            m[o1 + i] = scores[o1 + i] * u1;
            m[o2 + i] = scores[o2 + i] * u2;
            m[o3 + i] = scores[o3 + i] * u3;
        }
    }

    /** Row j = r + k of the transposed M up to column r + 3; its running product. */
    private float rowUp(int go, int r, int k, int len) {
        int o = (r + k) * len;
        float run = 1;
        for (int i = r + k; i < r + 4; i++) {
            if (i > r + k) {
                run *= alphas[go + i];
            }
            m[o + i] = scores[o + i] * run;
        }
        return run;
    }
}
