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
     * Rows [r0, r0 + len) of q (when qa is not null) and k, v^T [W, len], and per head [H][len] the steps'
     * decays, g (the decay from the chunk's start through each step), e (from each step to the chunk's
     * end) and the total.
     */
    void load(Dims d, int r0, int len, float[] qa, float[] ka, float[] va, float[] alpha) {
        int kd = d.k(), hh = d.heads(), w = hh * d.v();
        if (qa != null) {
            System.arraycopy(qa, r0 * kd, q, 0, len * kd);
        }
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
     * Head h's masked scores M = scores D, [j][i] (as scores then are), for the forward, which needs no D
     * but holds it [j][i] in dec: row j is row j+1 times exp(a_{j+1}) with 1 on its diagonal, whole rows at
     * a time as in {@link #pairs}, so D_ij's products run from step i down (the backward's from j + 1 up:
     * the two differ in their last bits).
     */
    void pairsTransposed(int h, int len) {
        int go = h * len, last = (len - 1) * len;
        Arrays.fill(dec, last, last + len, 0);
        dec[last + len - 1] = 1;
        for (int j = len - 2, o = last - len; j >= 0; j--, o -= len) {
            Loops.scaled(dec, o + len, alphas[go + j + 1], dec, o, len);
            dec[o + j] = 1;
        }
        products(len);
    }

    /**
     * Head h's pairwise decays D_ij (j &lt;= i, else 0) into dec and M = scores D into m, both [i][j], for
     * the backward: row i is row i-1 times exp(a_i) with 1 on its diagonal, whole rows at a time (zeros
     * past the diagonal stay zeros, and make M's), so that each row is a few vector operations; the
     * entry-by-entry chains along each row took 7% of the backward.
     */
    void pairs(int h, int len) {
        int go = h * len;
        Arrays.fill(dec, 0, len, 0);
        dec[0] = 1;
        for (int i = 1, o = len; i < len; i++, o += len) {
            Loops.scaled(dec, o - len, alphas[go + i], dec, o, len);
            dec[o + i] = 1;
        }
        products(len);
    }

    /** m = scores dec, entry by entry (one index for all three arrays: C2 vectorizes it). */
    private void products(int len) {
        float[] dec = this.dec, m = this.m, scores = this.scores;
        for (int p = 0; p < len * len; p++) {
            m[p] = scores[p] * dec[p];
        }
    }
}
