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
     * Head h's pairwise decays D_ij (j &lt;= i, else 0) into dec and the masked scores M = scores D into m,
     * both [i][j], or only M, [j][i], when {@code transposed} (and scores then [j][i] too; the forward
     * needs no D). Each row runs along its own index, so that its writes are contiguous: D_ij =
     * D_i,j+1 exp(a_{j+1}) by rows i, D_ij = D_i-1,j exp(a_i) by rows j. Four rows go side by side,
     * each its own chain of products (a row alone waited on each multiply), the same products in the
     * same order per entry.
     */
    void pairs(int h, int len, boolean transposed) {
        int go = h * len, r = 0;
        for (; r + 3 < len; r += 4) {
            if (transposed) {
                pairRowsUp(go, r, len);
            } else {
                pairRowsDown(go, r, len);
            }
        }
        for (; r < len; r++) {
            int o = r * len;
            float run = 1;
            if (transposed) { // row j: i from j up
                Arrays.fill(m, o, o + r, 0);
                for (int i = r; i < len; i++) {
                    if (i > r) {
                        run *= alphas[go + i];
                    }
                    m[o + i] = scores[o + i] * run;
                }
            } else { // row i: j from i down
                for (int c = r; c >= 0; c--) {
                    dec[o + c] = run;
                    m[o + c] = scores[o + c] * run;
                    run *= alphas[go + c];
                }
                Arrays.fill(dec, o + r + 1, o + len, 0);
                Arrays.fill(m, o + r + 1, o + len, 0);
            }
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

    /** Rows i = r..r+3 of D and M: each from its diagonal down, together from column r. */
    private void pairRowsDown(int go, int r, int len) {
        float u0 = rowDown(go, r, 0, len), u1 = rowDown(go, r, 1, len), u2 = rowDown(go, r, 2, len);
        float u3 = rowDown(go, r, 3, len);
        int o0 = r * len, o1 = o0 + len, o2 = o1 + len, o3 = o2 + len;
        for (int c = r; c >= 0; c--) {
            float a = alphas[go + c];
            dec[o0 + c] = u0;
            dec[o1 + c] = u1;
            dec[o2 + c] = u2;
            dec[o3 + c] = u3;
            m[o0 + c] = scores[o0 + c] * u0;
            m[o1 + c] = scores[o1 + c] * u1;
            m[o2 + c] = scores[o2 + c] * u2;
            m[o3 + c] = scores[o3 + c] * u3;
            u0 *= a;
            u1 *= a;
            u2 *= a;
            u3 *= a;
        }
    }

    /** Row j = r + k of the transposed M up to column r + 3 (zeros before its diagonal); its running product. */
    private float rowUp(int go, int r, int k, int len) {
        int o = (r + k) * len;
        Arrays.fill(m, o, o + r + k, 0);
        float run = 1;
        for (int i = r + k; i < r + 4; i++) {
            if (i > r + k) {
                run *= alphas[go + i];
            }
            m[o + i] = scores[o + i] * run;
        }
        return run;
    }

    /** Row i = r + k of D and M down to column r + 1 (zeros past its diagonal); its running product. */
    private float rowDown(int go, int r, int k, int len) {
        int o = (r + k) * len;
        float run = 1;
        for (int c = r + k; c > r; c--) {
            dec[o + c] = run;
            m[o + c] = scores[o + c] * run;
            run *= alphas[go + c];
        }
        Arrays.fill(dec, o + r + k + 1, o + len, 0);
        Arrays.fill(m, o + r + k + 1, o + len, 0);
        return run;
    }
}
