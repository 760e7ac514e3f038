package org.selectivbench.models.ops;

/**
 * The float form of {@link QkRope} (float32 models on the CPU path): the same head split, per-head q/k
 * norm and RoPE, on float arrays, with the rotation tables rounded to float. The norm weights'
 * gradients are sums over every row and head, so they run in double, in row order after the parallel
 * part, as in the double form. Checked against the double form in QkRopeFloatTest, and in the whole
 * model against the SameDiff graph in float32.
 */
public final class QkRopeFloat {
    private QkRopeFloat() {
    }

    /** The rotation tables [T, floor(hd / 2)] rounded to float. */
    public record Tables(float[] cos, float[] sin) {
        public static Tables of(QkRope.Tables t) {
            return new Tables(Loops.floats(t.cos()), Loops.floats(t.sin()));
        }
    }

    /** The rows, weights and per (row, head, q|k) rms and 1 / (rms + eps). */
    public record Saved(QkRope.Dims dims, float[] rows, float[] wq, float[] wk, float[] rms, float[] inv,
                        Tables rope) {
    }

    public record Result(float[] q, float[] k, float[] v, Saved saved) {
    }

    public static Result forward(QkRope.Dims d, float[] rows, float[] wq, float[] wk, Tables rope, boolean keep) {
        int hd = d.headDim(), w = d.width(), n = d.rows() * d.heads();
        float[] q = Arena.uninitialized(d.rows() * w), k = Arena.uninitialized(q.length);
        float[] v = Arena.uninitialized(q.length);
        float[] rms = Arena.uninitialized(2 * n), inv = Arena.uninitialized(2 * n);
        Parallel.forRange(d.rows(), (from, to) -> {
            for (int r = from; r < to; r++) {
                int t = r % d.steps();
                for (int h = 0; h < d.heads(); h++) {
                    int src = r * 3 * w + h * hd, dst = d.headOffset(r, h), i = 2 * (r * d.heads() + h);
                    normRotate(rows, src, wq, hd, rope, t, q, dst, rms, inv, i);
                    normRotate(rows, src + w, wk, hd, rope, t, k, dst, rms, inv, i + 1);
                    System.arraycopy(rows, src + 2 * w, v, dst, hd);
                }
            }
        });
        return new Result(q, k, v, keep ? new Saved(d, rows, wq, wk, rms, inv, rope) : null);
    }

    private static void normRotate(float[] x, int xo, float[] wt, int hd, Tables rope, int t, float[] out, int oo,
                                   float[] rms, float[] inv, int i) {
        float ss = 0;
        for (int j = 0; j < hd; j++) {
            ss += x[xo + j] * x[xo + j];
        }
        float rm = (float) Math.sqrt(ss / hd), iv = 1 / (rm + (float) QkRope.EPS);
        rms[i] = rm;
        inv[i] = iv;
        int half = hd / 2;
        for (int j = 0; j < half; j++) {
            float c = rope.cos()[t * half + j], s = rope.sin()[t * half + j];
            float x1 = x[xo + j] * iv * wt[j], x2 = x[xo + half + j] * iv * wt[half + j];
            out[oo + j] = x1 * c + x2 * s;
            out[oo + half + j] = x2 * c - x1 * s;
        }
        if (hd % 2 == 1) {
            out[oo + hd - 1] = x[xo + hd - 1] * iv * wt[hd - 1];
        }
    }

    /** The gradients of the rows [B*T, 3d] from those of q, k, v [B*H, T, hd]; the weights' in {@code dw}. */
    public static float[] backward(Saved sv, float[] dq, float[] dk, float[] dv, double[] dwq, double[] dwk) {
        QkRope.Dims d = sv.dims();
        int hd = d.headDim(), w = d.width();
        float[] dRows = Arena.uninitialized(d.rows() * 3 * w);
        // the weights' float terms dn x inv per (row, head), [B*T*H, hd]: summed in double over (row, head)
        // in order after the parallel part, so that the bits do not depend on the thread count
        float[] tq = Arena.uninitialized(d.rows() * w), tk = Arena.uninitialized(tq.length);
        Parallel.forRange(d.rows(), (from, to) -> {
            float[] dn = Arena.floats(hd);
            for (int r = from; r < to; r++) {
                int t = r % d.steps();
                for (int h = 0; h < d.heads(); h++) {
                    int src = r * 3 * w + h * hd, go = d.headOffset(r, h), i = 2 * (r * d.heads() + h);
                    int term = r * w + h * hd;
                    unrotate(dq, go, hd, sv.rope(), t, dn);
                    normBackward(sv.rows(), src, sv.wq(), hd, dn, sv.rms()[i], sv.inv()[i], dRows, tq, term);
                    unrotate(dk, go, hd, sv.rope(), t, dn);
                    normBackward(sv.rows(), src + w, sv.wk(), hd, dn, sv.rms()[i + 1], sv.inv()[i + 1], dRows, tk,
                            term);
                    System.arraycopy(dv, go, dRows, src + 2 * w, hd);
                }
            }
        });
        RowNormsFloat.addColumnSums(tq, d.rows() * d.heads(), hd, dwq);
        RowNormsFloat.addColumnSums(tk, d.rows() * d.heads(), hd, dwk);
        return dRows;
    }

    private static void unrotate(float[] g, int go, int hd, Tables rope, int t, float[] dn) {
        int half = hd / 2;
        for (int j = 0; j < half; j++) {
            float c = rope.cos()[t * half + j], s = rope.sin()[t * half + j];
            float g1 = g[go + j], g2 = g[go + half + j];
            dn[j] = g1 * c - g2 * s;
            dn[half + j] = g2 * c + g1 * s;
        }
        if (hd % 2 == 1) {
            dn[hd - 1] = g[go + hd - 1];
        }
    }

    /** dx from dn (the norm's output gradient); the weight's terms dn x inv to terms[to, to + hd). */
    private static void normBackward(float[] x, int xo, float[] wt, int hd, float[] dn, float rms, float inv,
                                     float[] dx, float[] terms, int to) {
        float dot = 0;
        for (int j = 0; j < hd; j++) {
            dot += dn[j] * wt[j] * x[xo + j];
        }
        float coef = dot * inv * inv / (rms * hd);
        for (int j = 0; j < hd; j++) {
            dx[xo + j] = dn[j] * wt[j] * inv - x[xo + j] * coef;
            terms[to + j] = dn[j] * x[xo + j] * inv;
        }
    }

    /** Per-head sequences [B*H, T, hd] to rows [B*T, H*hd]. */
    public static float[] toRows(QkRope.Dims d, float[] heads) {
        return QkRope.relayout(d, heads, Arena.uninitialized(heads.length), true);
    }

    /** Rows [B*T, H*hd] to per-head sequences [B*H, T, hd]. */
    public static float[] toHeads(QkRope.Dims d, float[] rows) {
        return QkRope.relayout(d, rows, Arena.uninitialized(rows.length), false);
    }
}
