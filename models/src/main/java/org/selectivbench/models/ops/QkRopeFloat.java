package org.selectivbench.models.ops;

/**
 * The float form of {@link QkRope} (float32 models on the CPU path): the same head split, per-head q/k
 * norm and RoPE, on float arrays, with the rotation tables rounded to float. The norm weights'
 * gradients are sums over every row and head, so they run in double, in row order after the parallel
 * part, as in the double form. Heads of 8 (the embedded default's) run written out, and with the
 * Vector API two to a vector ({@link QkRopeFloatVector}), the same bits. Checked against the double
 * form in QkRopeTest (the vector form against this one exactly), and in the whole model against the
 * SameDiff graph in float32.
 */
public final class QkRopeFloat {
    private QkRopeFloat() {
    }

    /**
     * The rotation tables [T, floor(hd / 2)] rounded to float; at heads of 8, also as the vector form reads
     * them ({@link QkRopeFloatVector}), two heads side by side a step [T, 16]: cos, and sin with its sign
     * for the head's first half and -sin for its second (null at other widths).
     */
    public record Tables(float[] cos, float[] sin, float[] cosLanes, float[] sinLanes) {
        /** From the tables of heads of hd. */
        public static Tables of(QkRope.Tables t, int hd) {
            float[] cos = Loops.floats(t.cos()), sin = Loops.floats(t.sin());
            if (hd != 8) {
                return new Tables(cos, sin, null, null);
            }
            float[] cosLanes = new float[cos.length * 4], sinLanes = new float[cosLanes.length];
            for (int i = 0; i < cosLanes.length; i++) {
                int j = i / 16 * 4 + i % 4;
                cosLanes[i] = cos[j];
                sinLanes[i] = i % 8 < 4 ? sin[j] : -sin[j];
            }
            return new Tables(cos, sin, cosLanes, sinLanes);
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
        boolean simd = hd == 8 && Simd.on() && QkRopeFloatVector.HEADS > 0;
        Parallel.forRange(d.rows(), (from, to) -> {
            float[] wq2 = simd ? twice(wq) : null, wk2 = simd ? twice(wk) : null, lane = Arena.floats(16);
            for (int r = from; r < to; r++) {
                int t = r % d.steps();
                int h0 = simd ? QkRopeFloatVector.forward(d, r, to, rows, wq2, wk2, rope, q, k, v, rms, inv, lane) : 0;
                for (int h = h0; h < d.heads(); h++) {
                    copyHead(rows, r * 3 * w + 2 * w + h * hd, v, d.headOffset(r, h), hd);
                }
                for (int h = h0; h < d.heads(); h++) {
                    int src = r * 3 * w + h * hd, dst = d.headOffset(r, h), i = 2 * (r * d.heads() + h);
                    if (hd == 8) {
                        normRotate8(rows, src, wq, rope.cos(), rope.sin(), t * 4, q, dst, rms, inv, i);
                        normRotate8(rows, src + w, wk, rope.cos(), rope.sin(), t * 4, k, dst, rms, inv, i + 1);
                    } else {
                        normRotate(rows, src, wq, hd, rope, t, q, dst, rms, inv, i);
                        normRotate(rows, src + w, wk, hd, rope, t, k, dst, rms, inv, i + 1);
                    }
                }
            }
        });
        return new Result(q, k, v, keep ? new Saved(d, rows, wq, wk, rms, inv, rope) : null);
    }

    /** A head of 8's weights twice over: the vector form's two heads a vector (one at 8 lanes reads half). */
    private static float[] twice(float[] wt) {
        float[] out = Arena.floats(16);
        System.arraycopy(wt, 0, out, 0, 8);
        System.arraycopy(wt, 0, out, 8, 8);
        return out;
    }

    static void normRotate(float[] x, int xo, float[] wt, int hd, Tables rope, int t, float[] out, int oo,
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

    /**
     * {@link #normRotate} at heads of 8 (the embedded default's), written out: C2 compiles loops of 8
     * and 4 trips with pre- and post-loops that cost more than their bodies. The same operations in the
     * same order.
     */
    static void normRotate8(float[] x, int xo, float[] wt, float[] cos, float[] sin, int co, float[] out,
                            int oo, float[] rms, float[] inv, int i) {
        float x0 = x[xo], x1 = x[xo + 1], x2 = x[xo + 2], x3 = x[xo + 3];
        float x4 = x[xo + 4], x5 = x[xo + 5], x6 = x[xo + 6], x7 = x[xo + 7];
        float rm = (float) Math.sqrt(sumOfSquares8(x, xo) / 8), iv = 1 / (rm + (float) QkRope.EPS);
        rms[i] = rm;
        inv[i] = iv;
        rotate(x0 * iv * wt[0], x4 * iv * wt[4], cos[co], sin[co], out, oo);
        rotate(x1 * iv * wt[1], x5 * iv * wt[5], cos[co + 1], sin[co + 1], out, oo + 1);
        rotate(x2 * iv * wt[2], x6 * iv * wt[6], cos[co + 2], sin[co + 2], out, oo + 2);
        rotate(x3 * iv * wt[3], x7 * iv * wt[7], cos[co + 3], sin[co + 3], out, oo + 3);
    }

    /** A head of 8's sum of squares, entries in order. */
    static float sumOfSquares8(float[] x, int o) {
        float ss = 0;
        ss += x[o] * x[o];
        ss += x[o + 1] * x[o + 1];
        ss += x[o + 2] * x[o + 2];
        ss += x[o + 3] * x[o + 3];
        ss += x[o + 4] * x[o + 4];
        ss += x[o + 5] * x[o + 5];
        ss += x[o + 6] * x[o + 6];
        ss += x[o + 7] * x[o + 7];
        return ss;
    }

    /** out[o] and out[o + 4]: the pair (a, b) of a head of 8 rotated by (c, s). */
    private static void rotate(float a, float b, float c, float s, float[] out, int o) {
        out[o] = a * c + b * s;
        out[o + 4] = b * c - a * s;
    }

    /** The gradients of the rows [B*T, 3d] from those of q, k, v [B*H, T, hd]; the weights' in {@code dw}. */
    public static float[] backward(Saved sv, float[] dq, float[] dk, float[] dv, double[] dwq, double[] dwk) {
        QkRope.Dims d = sv.dims();
        int hd = d.headDim(), w = d.width();
        float[] dRows = Arena.uninitialized(d.rows() * 3 * w);
        // the weights' float terms dn x inv per (row, head), [B*T*H, hd]: summed in double over (row, head)
        // in order after the parallel part, so that the bits do not depend on the thread count
        float[] tq = Arena.uninitialized(d.rows() * w), tk = Arena.uninitialized(tq.length);
        boolean simd = hd == 8 && Simd.on() && QkRopeFloatVector.HEADS > 0;
        Parallel.forRange(d.rows(), (from, to) -> {
            float[] dn = Arena.floats(hd);
            float[] wq2 = simd ? twice(sv.wq()) : null, wk2 = simd ? twice(sv.wk()) : null;
            for (int r = from; r < to; r++) {
                int t = r % d.steps();
                int h0 = simd ? QkRopeFloatVector.backward(d, r, sv.rows(), wq2, wk2, sv.rope(), dq, dk, sv.rms(),
                        sv.inv(), dRows, tq, tk, dv) : 0;
                for (int h = h0; h < d.heads(); h++) {
                    copyHead(dv, d.headOffset(r, h), dRows, r * 3 * w + 2 * w + h * hd, hd);
                }
                for (int h = h0; h < d.heads(); h++) {
                    int src = r * 3 * w + h * hd, go = d.headOffset(r, h), i = 2 * (r * d.heads() + h);
                    int term = r * w + h * hd;
                    if (hd == 8) {
                        float[] cos = sv.rope().cos(), sin = sv.rope().sin();
                        back8(dq, go, cos, sin, t * 4, sv.rows(), src, sv.wq(), sv.rms()[i], sv.inv()[i], dRows, tq,
                                term);
                        back8(dk, go, cos, sin, t * 4, sv.rows(), src + w, sv.wk(), sv.rms()[i + 1], sv.inv()[i + 1],
                                dRows, tk, term);
                    } else {
                        unrotate(dq, go, hd, sv.rope(), t, dn);
                        normBackward(sv.rows(), src, sv.wq(), hd, dn, sv.rms()[i], sv.inv()[i], dRows, tq, term);
                        unrotate(dk, go, hd, sv.rope(), t, dn);
                        normBackward(sv.rows(), src + w, sv.wk(), hd, dn, sv.rms()[i + 1], sv.inv()[i + 1], dRows,
                                tk, term);
                    }
                }
            }
        });
        ColumnSumsFloat.addColumnSums(tq, d.rows() * d.heads(), hd, dwq);
        ColumnSumsFloat.addColumnSums(tk, d.rows() * d.heads(), hd, dwk);
        return dRows;
    }

    static void unrotate(float[] g, int go, int hd, Tables rope, int t, float[] dn) {
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

    /**
     * {@link #unrotate} then {@link #normBackward} at heads of 8, written out as {@link #normRotate8}: the
     * same operations in the same order.
     */
    static void back8(float[] g, int go, float[] cos, float[] sin, int co, float[] x, int xo, float[] wt,
                      float rms, float inv, float[] dx, float[] terms, int to) {
        float c0 = cos[co], c1 = cos[co + 1], c2 = cos[co + 2], c3 = cos[co + 3];
        float s0 = sin[co], s1 = sin[co + 1], s2 = sin[co + 2], s3 = sin[co + 3];
        float g0 = g[go], g1 = g[go + 1], g2 = g[go + 2], g3 = g[go + 3];
        float g4 = g[go + 4], g5 = g[go + 5], g6 = g[go + 6], g7 = g[go + 7];
        float n0 = g0 * c0 - g4 * s0, n4 = g4 * c0 + g0 * s0;
        float n1 = g1 * c1 - g5 * s1, n5 = g5 * c1 + g1 * s1;
        float n2 = g2 * c2 - g6 * s2, n6 = g6 * c2 + g2 * s2;
        float n3 = g3 * c3 - g7 * s3, n7 = g7 * c3 + g3 * s3;
        float x0 = x[xo], x1 = x[xo + 1], x2 = x[xo + 2], x3 = x[xo + 3];
        float x4 = x[xo + 4], x5 = x[xo + 5], x6 = x[xo + 6], x7 = x[xo + 7];
        float dot = 0;
        dot += n0 * wt[0] * x0;
        dot += n1 * wt[1] * x1;
        dot += n2 * wt[2] * x2;
        dot += n3 * wt[3] * x3;
        dot += n4 * wt[4] * x4;
        dot += n5 * wt[5] * x5;
        dot += n6 * wt[6] * x6;
        dot += n7 * wt[7] * x7;
        float coef = dot * inv * inv / (rms * 8);
        entryGrads(n0, wt[0], x0, inv, coef, dx, xo, terms, to);
        entryGrads(n1, wt[1], x1, inv, coef, dx, xo + 1, terms, to + 1);
        entryGrads(n2, wt[2], x2, inv, coef, dx, xo + 2, terms, to + 2);
        entryGrads(n3, wt[3], x3, inv, coef, dx, xo + 3, terms, to + 3);
        entryGrads(n4, wt[4], x4, inv, coef, dx, xo + 4, terms, to + 4);
        entryGrads(n5, wt[5], x5, inv, coef, dx, xo + 5, terms, to + 5);
        entryGrads(n6, wt[6], x6, inv, coef, dx, xo + 6, terms, to + 6);
        entryGrads(n7, wt[7], x7, inv, coef, dx, xo + 7, terms, to + 7);
    }

    /** One entry of {@link #normBackward}'s last loop. */
    private static void entryGrads(float n, float w, float x, float inv, float coef, float[] dx, int o, float[] terms,
                                   int to) {
        dx[o] = n * w * inv - x * coef;
        terms[to] = n * x * inv;
    }

    /** dx from dn (the norm's output gradient); the weight's terms dn x inv to terms[to, to + hd). */
    static void normBackward(float[] x, int xo, float[] wt, int hd, float[] dn, float rms, float inv,
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
        float[] rows = Arena.uninitialized(heads.length);
        boolean simd = d.headDim() == 8 && Simd.on() && QkRopeFloatVector.HEADS > 0;
        for (int r = 0; r < d.rows(); r++) {
            for (int h = simd ? QkRopeFloatVector.toRows(d, heads, rows, r) : 0; h < d.heads(); h++) {
                copyHead(heads, d.headOffset(r, h), rows, (r * d.heads() + h) * d.headDim(), d.headDim());
            }
        }
        return rows;
    }

    /** Rows [B*T, H*hd] to per-head sequences [B*H, T, hd]. */
    public static float[] toHeads(QkRope.Dims d, float[] rows) {
        float[] heads = Arena.uninitialized(rows.length);
        boolean simd = d.headDim() == 8 && Simd.on() && QkRopeFloatVector.HEADS > 0;
        float[] lane = simd ? Arena.floats(16) : null;
        for (int r = 0; r < d.rows(); r++) {
            for (int h = simd ? QkRopeFloatVector.toHeads(d, rows, heads, r, d.rows(), lane) : 0; h < d.heads(); h++) {
                copyHead(rows, (r * d.heads() + h) * d.headDim(), heads, d.headOffset(r, h), d.headDim());
            }
        }
        return heads;
    }

    /**
     * One head's hd floats: written out at heads of 8, where System.arraycopy of a length C2 cannot see
     * is a call to a copy stub per head.
     */
    static void copyHead(float[] from, int fo, float[] to, int at, int hd) {
        if (hd != 8) {
            System.arraycopy(from, fo, to, at, hd);
            return;
        }
        to[at] = from[fo];
        to[at + 1] = from[fo + 1];
        to[at + 2] = from[fo + 2];
        to[at + 3] = from[fo + 3];
        to[at + 4] = from[fo + 4];
        to[at + 5] = from[fo + 5];
        to[at + 6] = from[fo + 6];
        to[at + 7] = from[fo + 7];
    }
}
