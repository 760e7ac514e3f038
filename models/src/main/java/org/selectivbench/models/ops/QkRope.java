package org.selectivbench.models.ops;

/**
 * The Transformer's attention inputs in one pass over the rows, the Java form of what its layer does
 * in a dozen array operations (head split, per-head q/k norm, RoPE): from the qkv projection's rows
 * [B*T, 3d] to per-head sequences q, k, v [B*H, T, hd]. q and k are normalized per head vector,
 * t / (rms(t) + 1e-8) * w, and rotated over the halves of their first 2 floor(hd / 2) entries,
 * [x1 cos + x2 sin, x2 cos - x1 sin] (an odd last entry passes unrotated); v is only split. Backward
 * gives the rows' gradient and the two norm weights'. The weights' sums run over rows in order, after
 * the parallel part, so the bits do not depend on the thread count. Checked against finite differences
 * and a plain reference in QkRopeTest, and in the whole model against the SameDiff graph.
 */
public final class QkRope {
    static final double EPS = 1e-8;

    private QkRope() {
    }

    public record Dims(int batch, int steps, int heads, int headDim) {
        int width() {
            return heads * headDim;
        }

        int rows() {
            return batch * steps;
        }

        /** Offset of (row, head) in the per-head layout [B*H, T, hd]. */
        int headOffset(int row, int h) {
            return ((row / steps * heads + h) * steps + row % steps) * headDim;
        }
    }

    /** cos and sin of t * base^(-2i / hd), [T, floor(hd / 2)]. */
    public record Tables(double[] cos, double[] sin) {
        public static Tables of(int steps, int hd, double base) {
            int half = hd / 2;
            double[] cos = new double[steps * half], sin = new double[steps * half];
            for (int s = 0; s < steps; s++) {
                for (int i = 0; i < half; i++) {
                    double ang = s * Math.pow(base, -2.0 * i / hd);
                    cos[s * half + i] = Math.cos(ang);
                    sin[s * half + i] = Math.sin(ang);
                }
            }
            return new Tables(cos, sin);
        }
    }

    /** The rows, weights and per (row, head, q|k) rms and 1 / (rms + eps). */
    public record Saved(Dims dims, double[] rows, double[] wq, double[] wk, double[] rms, double[] inv,
                        Tables rope) {
    }

    public record Result(double[] q, double[] k, double[] v, Saved saved) {
    }

    public static Result forward(Dims d, double[] rows, double[] wq, double[] wk, Tables rope, boolean keep) {
        int hd = d.headDim(), w = d.width(), n = d.rows() * d.heads();
        double[] q = new double[d.rows() * w], k = new double[q.length], v = new double[q.length];
        double[] rms = new double[2 * n], inv = new double[2 * n];
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

    private static void normRotate(double[] x, int xo, double[] wt, int hd, Tables rope, int t, double[] out, int oo,
                                   double[] rms, double[] inv, int i) {
        double ss = 0;
        for (int j = 0; j < hd; j++) {
            ss += x[xo + j] * x[xo + j];
        }
        double rm = Math.sqrt(ss / hd), iv = 1 / (rm + EPS);
        rms[i] = rm;
        inv[i] = iv;
        int half = hd / 2;
        for (int j = 0; j < half; j++) {
            double c = rope.cos()[t * half + j], s = rope.sin()[t * half + j];
            double x1 = x[xo + j] * iv * wt[j], x2 = x[xo + half + j] * iv * wt[half + j];
            out[oo + j] = x1 * c + x2 * s;
            out[oo + half + j] = x2 * c - x1 * s;
        }
        if (hd % 2 == 1) {
            out[oo + hd - 1] = x[xo + hd - 1] * iv * wt[hd - 1];
        }
    }

    /** {d rows [B*T, 3d], d wq [hd], d wk [hd]} from the gradients of q, k, v [B*H, T, hd]. */
    public static double[][] backward(Saved sv, double[] dq, double[] dk, double[] dv) {
        Dims d = sv.dims();
        int hd = d.headDim(), w = d.width();
        double[] dRows = new double[d.rows() * 3 * w];
        Parallel.forRange(d.rows(), (from, to) -> {
            double[] dn = new double[hd];
            for (int r = from; r < to; r++) {
                int t = r % d.steps();
                for (int h = 0; h < d.heads(); h++) {
                    int src = r * 3 * w + h * hd, go = d.headOffset(r, h), i = 2 * (r * d.heads() + h);
                    unrotate(dq, go, hd, sv.rope(), t, dn);
                    normBackward(sv.rows(), src, sv.wq(), hd, dn, sv.rms()[i], sv.inv()[i], dRows);
                    unrotate(dk, go, hd, sv.rope(), t, dn);
                    normBackward(sv.rows(), src + w, sv.wk(), hd, dn, sv.rms()[i + 1], sv.inv()[i + 1], dRows);
                    System.arraycopy(dv, go, dRows, src + 2 * w, hd);
                }
            }
        });
        double[] dwq = new double[hd], dwk = new double[hd], dn = new double[hd];
        for (int r = 0; r < d.rows(); r++) {
            int t = r % d.steps();
            for (int h = 0; h < d.heads(); h++) {
                int src = r * 3 * w + h * hd, go = d.headOffset(r, h), i = 2 * (r * d.heads() + h);
                unrotate(dq, go, hd, sv.rope(), t, dn);
                addWeightGrad(sv.rows(), src, hd, dn, sv.inv()[i], dwq);
                unrotate(dk, go, hd, sv.rope(), t, dn);
                addWeightGrad(sv.rows(), src + w, hd, dn, sv.inv()[i + 1], dwk);
            }
        }
        return new double[][] {dRows, dwq, dwk};
    }

    /** The transpose of the rotation: the gradient of the normalized vector. */
    private static void unrotate(double[] g, int go, int hd, Tables rope, int t, double[] dn) {
        int half = hd / 2;
        for (int j = 0; j < half; j++) {
            double c = rope.cos()[t * half + j], s = rope.sin()[t * half + j];
            double g1 = g[go + j], g2 = g[go + half + j];
            dn[j] = g1 * c - g2 * s;
            dn[half + j] = g2 * c + g1 * s;
        }
        if (hd % 2 == 1) {
            dn[hd - 1] = g[go + hd - 1];
        }
    }

    /** dx = dxh inv - x dot(dxh, x) inv^2 / (hd rms), dxh = dn w. */
    private static void normBackward(double[] x, int xo, double[] wt, int hd, double[] dn, double rms, double inv,
                                     double[] dx) {
        double dot = 0;
        for (int j = 0; j < hd; j++) {
            dot += dn[j] * wt[j] * x[xo + j];
        }
        double coef = dot * inv * inv / (rms * hd);
        for (int j = 0; j < hd; j++) {
            dx[xo + j] = dn[j] * wt[j] * inv - x[xo + j] * coef;
        }
    }

    private static void addWeightGrad(double[] x, int xo, int hd, double[] dn, double inv, double[] dw) {
        for (int j = 0; j < hd; j++) {
            dw[j] += dn[j] * x[xo + j] * inv;
        }
    }

    /** Per-head sequences [B*H, T, hd] to rows [B*T, H*hd]. */
    public static double[] toRows(Dims d, double[] heads) {
        return relayout(d, heads, new double[heads.length], true);
    }

    /** Rows [B*T, H*hd] to per-head sequences [B*H, T, hd]. */
    public static double[] toHeads(Dims d, double[] rows) {
        return relayout(d, rows, new double[rows.length], false);
    }

    /**
     * Copies every (row, head) vector of {@code from} into {@code to}, from the per-head layout to the rows'
     * ({@code toRows}) or back.
     */
    private static double[] relayout(Dims d, double[] from, double[] to, boolean toRows) {
        int hd = d.headDim();
        for (int r = 0; r < d.rows(); r++) {
            for (int h = 0; h < d.heads(); h++) {
                int rowAt = (r * d.heads() + h) * hd, headAt = d.headOffset(r, h);
                System.arraycopy(from, toRows ? headAt : rowAt, to, toRows ? rowAt : headAt, hd);
            }
        }
        return to;
    }
}
