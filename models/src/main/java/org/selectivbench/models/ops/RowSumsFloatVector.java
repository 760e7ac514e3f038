package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row statistics of {@link RowNormsFloat} and {@link SoftmaxRows} a row to a lane: a vector's worth of
 * rows at once, gathered a column at a time. The scalar form sums a row in one chain of dependent adds
 * (32 of them, each waiting on the last, at width 32); here each lane runs its row's chain in the same
 * order with the same float operations, so the numbers are the same, and a vector of rows shares each
 * add's latency. Alone, the sums of squares of 5,120 rows took 53 us scalar and 33 us here at 32
 * columns, 25 and 8 at 8. Loaded only when {@link Simd#on}; every gathering method takes rows r to r +
 * {@link #ROWS} of n at stride n. Each column's gather is written out where it is used: a method returning
 * the vector, not inlined by C2 in some JVM, would return it as a heap object ({@link Simd}). The "tree"
 * forms take one row each, of a multiple of 16 entries, in {@link RowTree}'s order instead.
 */
final class RowSumsFloatVector {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Rows per call. */
    static final int ROWS = F.length();
    /** {@link RowTree}'s folds: lane k takes lane k + h (mod the length), for h = 8, 4, 2, 1. */
    private static final VectorShuffle<Float> H8 = VectorShuffle.fromOp(F, k -> (k + 8) % F.length());
    private static final VectorShuffle<Float> H4 = VectorShuffle.fromOp(F, k -> (k + 4) % F.length());
    private static final VectorShuffle<Float> H2 = VectorShuffle.fromOp(F, k -> (k + 2) % F.length());
    private static final VectorShuffle<Float> H1 = VectorShuffle.fromOp(F, k -> (k + 1) % F.length());

    /**
     * {@link #fold16}'s lane masks (the lanes whose index has bit h set) and swaps (lane k takes lane k xor h),
     * for h = 8, 4, 2, 1; built modulo the length so that other widths load the class too.
     */
    private static final VectorMask<Float> M8 = VectorMask.fromLong(F, 0xFF00L), M4 = VectorMask.fromLong(F, 0xF0F0L),
            M2 = VectorMask.fromLong(F, 0xCCCCL), M1 = VectorMask.fromLong(F, 0xAAAAL);
    private static final VectorShuffle<Float> X8 = VectorShuffle.fromOp(F, k -> (k ^ 8) % F.length()),
            X4 = VectorShuffle.fromOp(F, k -> (k ^ 4) % F.length()), X2 = VectorShuffle.fromOp(F, k -> (k ^ 2) % F.length()),
            X1 = VectorShuffle.fromOp(F, k -> (k ^ 1) % F.length());

    /** Whether a vector holds 8 floats, so that {@link RowTree}'s 16 partials take two (AVX2). */
    private static final boolean EIGHT = F.length() == RowTree.PARTS / 2;

    private RowSumsFloatVector() {
    }

    /** Whether {@link RowTree}'s partials fill one vector or two here, so that its tree forms apply. */
    static boolean treeLanes() {
        return F.length() == RowTree.PARTS || EIGHT;
    }

    /**
     * {@link RowTree#sum}: the partials in one vector, folded by shuffles; on 8 lanes partials 8 to 15 in a
     * second vector, which the first fold adds. Each tree form writes its fold out: a method taking the
     * vector, not inlined by C2 in some JVM, would take it as a heap object.
     */
    static float treeSum(float[] x, int o, int n) {
        FloatVector s = FloatVector.zero(F), s2 = s;
        for (int j = 0; j < n; j += RowTree.PARTS) {
            s = s.add(FloatVector.fromArray(F, x, o + j));
            if (EIGHT) {
                s2 = s2.add(FloatVector.fromArray(F, x, o + j + 8));
            }
        }
        s = EIGHT ? s.add(s2) : s.add(s.rearrange(H8));
        s = s.add(s.rearrange(H4));
        s = s.add(s.rearrange(H2));
        return s.add(s.rearrange(H1)).lane(0);
    }

    /** {@link RowTree#centeredSquares}. */
    static float treeCenteredSquares(float[] x, int o, int n, float mean) {
        FloatVector s = FloatVector.zero(F), s2 = s;
        for (int j = 0; j < n; j += RowTree.PARTS) {
            FloatVector c = FloatVector.fromArray(F, x, o + j).sub(mean);
            s = s.add(c.mul(c));
            if (EIGHT) {
                FloatVector c2 = FloatVector.fromArray(F, x, o + j + 8).sub(mean);
                s2 = s2.add(c2.mul(c2));
            }
        }
        s = EIGHT ? s.add(s2) : s.add(s.rearrange(H8));
        s = s.add(s.rearrange(H4));
        s = s.add(s.rearrange(H2));
        return s.add(s.rearrange(H1)).lane(0);
    }

    /** {@link RowTree#dot}. */
    static float treeDot(float[] a, float[] b, int o, int n) {
        FloatVector s = FloatVector.zero(F), s2 = s;
        for (int j = 0; j < n; j += RowTree.PARTS) {
            s = s.add(FloatVector.fromArray(F, a, o + j).mul(FloatVector.fromArray(F, b, o + j)));
            if (EIGHT) {
                s2 = s2.add(FloatVector.fromArray(F, a, o + j + 8).mul(FloatVector.fromArray(F, b, o + j + 8)));
            }
        }
        s = EIGHT ? s.add(s2) : s.add(s.rearrange(H8));
        s = s.add(s.rearrange(H4));
        s = s.add(s.rearrange(H2));
        return s.add(s.rearrange(H1)).lane(0);
    }

    /** {@link RowTree#weighted}. */
    static void treeWeighted(float[] dy, float[] g, float[] xhat, int o, int n, float[] out) {
        FloatVector s = FloatVector.zero(F), t = s, s2 = s, t2 = s;
        for (int j = 0; j < n; j += RowTree.PARTS) {
            FloatVector d = FloatVector.fromArray(F, dy, o + j).mul(FloatVector.fromArray(F, g, j));
            s = s.add(d);
            t = t.add(d.mul(FloatVector.fromArray(F, xhat, o + j)));
            if (EIGHT) {
                FloatVector d2 = FloatVector.fromArray(F, dy, o + j + 8).mul(FloatVector.fromArray(F, g, j + 8));
                s2 = s2.add(d2);
                t2 = t2.add(d2.mul(FloatVector.fromArray(F, xhat, o + j + 8)));
            }
        }
        s = EIGHT ? s.add(s2) : s.add(s.rearrange(H8));
        s = s.add(s.rearrange(H4));
        s = s.add(s.rearrange(H2));
        out[0] = s.add(s.rearrange(H1)).lane(0);
        t = EIGHT ? t.add(t2) : t.add(t.rearrange(H8));
        t = t.add(t.rearrange(H4));
        t = t.add(t.rearrange(H2));
        out[1] = t.add(t.rearrange(H1)).lane(0);
    }

    /** Whether 16 rows' folds run side by side here ({@link #fold16}): a vector holds 16 floats. */
    static boolean sixteen() {
        return F.length() == RowTree.PARTS;
    }

    /**
     * {@link RowTree}'s fold of 16 rows at once: p holds row l's 16 partials from 16 l (and is overwritten),
     * out[l] gets row l's sum. Each step folds two vectors of the step before into one: the lanes whose
     * index has bit h set from the second, the others from the first, each lane adding lane k xor h of the
     * same vector, so that every lane adds the two partials the single-row fold adds there (in either order:
     * a + b is b + a, bit for bit); after the four steps (h = 8, 4, 2, 1) lane l holds row l. A row at a
     * time each fold is four dependent shuffles and adds and a lane read; here 15 adds fold all 16.
     */
    static void fold16(float[] p, float[] out) {
        for (int i = 0; i < 8; i++) { // rows i and i + 8: row i's folds in lanes 0-7, row i + 8's in 8-15
            FloatVector a = FloatVector.fromArray(F, p, 16 * i), b = FloatVector.fromArray(F, p, 16 * (i + 8));
            a.blend(b, M8).add(b.blend(a, M8).rearrange(X8)).intoArray(p, 16 * i);
        }
        for (int i = 0; i < 4; i++) {
            FloatVector a = FloatVector.fromArray(F, p, 16 * i), b = FloatVector.fromArray(F, p, 16 * (i + 4));
            a.blend(b, M4).add(b.blend(a, M4).rearrange(X4)).intoArray(p, 16 * i);
        }
        for (int i = 0; i < 2; i++) {
            FloatVector a = FloatVector.fromArray(F, p, 16 * i), b = FloatVector.fromArray(F, p, 16 * (i + 2));
            a.blend(b, M2).add(b.blend(a, M2).rearrange(X2)).intoArray(p, 16 * i);
        }
        FloatVector a = FloatVector.fromArray(F, p, 0), b = FloatVector.fromArray(F, p, 16);
        a.blend(b, M1).add(b.blend(a, M1).rearrange(X1)).intoArray(out, 0);
    }

    /** {@link RowTree#dot} of the 16 rows of n from o into out[0, 16), p 256 floats of scratch. */
    static void treeDots(float[] a, float[] b, int o, int n, float[] p, float[] out) {
        for (int l = 0; l < 16; l++) {
            FloatVector s = FloatVector.zero(F);
            for (int x = o + l * n, end = x + n; x < end; x += 16) {
                s = s.add(FloatVector.fromArray(F, a, x).mul(FloatVector.fromArray(F, b, x)));
            }
            s.intoArray(p, 16 * l);
        }
        fold16(p, out);
    }

    /** {@link RowTree#sum} of the 16 rows of n from o into out[0, 16), p 256 floats of scratch. */
    static void treeSums(float[] x, int o, int n, float[] p, float[] out) {
        for (int l = 0; l < 16; l++) {
            FloatVector s = FloatVector.zero(F);
            for (int at = o + l * n, end = at + n; at < end; at += 16) {
                s = s.add(FloatVector.fromArray(F, x, at));
            }
            s.intoArray(p, 16 * l);
        }
        fold16(p, out);
    }

    /** {@link RowTree#centeredSquares} of the 16 rows of n from o, row l's mean at mean[l], as {@link #treeSums}. */
    static void treeCenteredSquares(float[] x, int o, int n, float[] mean, float[] p, float[] out) {
        for (int l = 0; l < 16; l++) {
            FloatVector s = FloatVector.zero(F);
            float m = mean[l];
            for (int at = o + l * n, end = at + n; at < end; at += 16) {
                FloatVector c = FloatVector.fromArray(F, x, at).sub(m);
                s = s.add(c.mul(c));
            }
            s.intoArray(p, 16 * l);
        }
        fold16(p, out);
    }

    /** {@link RowTree#weighted} of the 16 rows of n from o: out1[l] of d = dy g, out2[l] of d xhat (p, q scratch). */
    static void treeWeightedRows(float[] dy, float[] g, float[] xhat, int o, int n, float[] p, float[] q, float[] out1,
                                 float[] out2) {
        for (int l = 0; l < 16; l++) {
            FloatVector s = FloatVector.zero(F), t = s;
            for (int j = 0, at = o + l * n; j < n; j += 16, at += 16) {
                FloatVector d = FloatVector.fromArray(F, dy, at).mul(FloatVector.fromArray(F, g, j));
                s = s.add(d);
                t = t.add(d.mul(FloatVector.fromArray(F, xhat, at)));
            }
            s.intoArray(p, 16 * l);
            t.intoArray(q, 16 * l);
        }
        fold16(p, out1);
        fold16(q, out2);
    }

    /** {@link RowTree#gradSum} of the 16 rows of n from o into out[0, 16), p 256 floats of scratch. */
    static void treeGradSums(float[] dy, float[] w, float[] gate, float[] sig, float[] xhat, int o, int n, float[] p,
                             float[] out) {
        for (int l = 0; l < 16; l++) {
            FloatVector s = FloatVector.zero(F);
            for (int j = 0, x = o + l * n; j < n; j += 16, x += 16) {
                FloatVector dn = FloatVector.fromArray(F, dy, x);
                if (gate != null) {
                    dn = dn.mul(FloatVector.fromArray(F, gate, x)).mul(FloatVector.fromArray(F, sig, x));
                }
                s = s.add(dn.mul(FloatVector.fromArray(F, w, j)).mul(FloatVector.fromArray(F, xhat, x)));
            }
            s.intoArray(p, 16 * l);
        }
        fold16(p, out);
    }

    /** {@link RowTree#gradSum}. */
    static float treeGradSum(float[] dy, float[] w, float[] gate, float[] sig, float[] xhat, int o, int n) {
        FloatVector s = FloatVector.zero(F), s2 = s;
        for (int j = 0; j < n; j += RowTree.PARTS) {
            FloatVector dn = FloatVector.fromArray(F, dy, o + j);
            if (gate != null) {
                dn = dn.mul(FloatVector.fromArray(F, gate, o + j)).mul(FloatVector.fromArray(F, sig, o + j));
            }
            s = s.add(dn.mul(FloatVector.fromArray(F, w, j)).mul(FloatVector.fromArray(F, xhat, o + j)));
            if (EIGHT) {
                FloatVector dn2 = FloatVector.fromArray(F, dy, o + j + 8);
                if (gate != null) {
                    dn2 = dn2.mul(FloatVector.fromArray(F, gate, o + j + 8))
                            .mul(FloatVector.fromArray(F, sig, o + j + 8));
                }
                s2 = s2.add(dn2.mul(FloatVector.fromArray(F, w, j + 8)).mul(FloatVector.fromArray(F, xhat, o + j + 8)));
            }
        }
        s = EIGHT ? s.add(s2) : s.add(s.rearrange(H8));
        s = s.add(s.rearrange(H4));
        s = s.add(s.rearrange(H2));
        return s.add(s.rearrange(H1)).lane(0);
    }

    /** The gather offsets of a vector of rows of n: 0, n, 2n, ... */
    static int[] map(int n) {
        int[] m = new int[ROWS];
        for (int l = 0; l < ROWS; l++) {
            m[l] = l * n;
        }
        return m;
    }

    /** out[l] = the sum of row r + l. */
    static void sums(float[] x, int r, int n, int[] map, float[] out) {
        FloatVector s = FloatVector.zero(F);
        for (int j = 0; j < n; j++) {
            s = FloatVector.fromArray(F, x, r * n + j, map, 0).add(s);
        }
        s.intoArray(out, 0);
    }

    /** out[l] = the maximum of row r + l by {@code p > a ? p : a} from -infinity, as SoftmaxRows's scalar form. */
    static void maxima(float[] x, int r, int n, int[] map, float[] out) {
        FloatVector a = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < n; j++) {
            FloatVector p = FloatVector.fromArray(F, x, r * n + j, map, 0);
            a = a.blend(p, p.compare(VectorOperators.GT, a));
        }
        a.intoArray(out, 0);
    }

    /**
     * {@link #maxima} read along the rows, for rows of at least a vector (the loss's 41 classes): each row's
     * vectors from its start, the last ending at its end (over entries the one before read too), kept by
     * the same comparison, then the lanes' maximum. The largest of a row is the same whatever the order,
     * NaNs aside, which the comparison never keeps, and a zero's sign, which the scalar form takes from the
     * first zero of the row: a row whose maximum is a zero runs the scalar form's order. Three loads a row
     * of 41, where 16 rows took 41 gathers.
     */
    static void maximaAlong(float[] x, int r, int n, float[] out) {
        for (int l = 0; l < ROWS; l++) {
            int o = (r + l) * n;
            FloatVector a = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (int j = 0; j < n; j += F.length()) {
                FloatVector p = FloatVector.fromArray(F, x, o + Math.min(j, n - F.length()));
                a = a.blend(p, p.compare(VectorOperators.GT, a));
            }
            float m = a.reduceLanes(VectorOperators.MAX); // no NaN in a: MAX's NaN rule never applies
            if (m == 0) {
                m = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    float p = x[o + j];
                    m = p > m ? p : m;
                }
            }
            out[l] = m;
        }
    }

    /** out[l] = the sum of (x - mean[l])^2 over row r + l. */
    static void centeredSquares(float[] x, int r, int n, int[] map, float[] mean, float[] out) {
        FloatVector s = FloatVector.zero(F);
        for (int j = 0; j < n; j++) {
            FloatVector c = FloatVector.fromArray(F, x, r * n + j, map, 0).sub(FloatVector.fromArray(F, mean, 0));
            s = c.mul(c).add(s);
        }
        s.intoArray(out, 0);
    }

    /**
     * out[l] = the sum of x x over row r + l, by gathers at every width: the forward passes' sums (at rows
     * of 8, {@link #dots}' permutes took 1.25 times as long here, docs/engine-log.md).
     */
    static void sumsOfSquares(float[] x, int r, int n, int[] map, float[] out) {
        FloatVector s = FloatVector.zero(F);
        for (int j = 0; j < n; j++) {
            FloatVector v = FloatVector.fromArray(F, x, r * n + j, map, 0);
            s = v.mul(v).add(s);
        }
        s.intoArray(out, 0);
    }

    /** out[l] = the sum of a b over row r + l; rows of 8 on 16 lanes without gathers ({@link #pairSums}). */
    static void dots(float[] a, float[] b, int r, int n, int[] map, float[] out) {
        if (n == 8 && F.length() == 16) {
            pairSums(a, b, null, null, null, r, out);
            return;
        }
        FloatVector s = FloatVector.zero(F);
        for (int j = 0; j < n; j++) {
            FloatVector x = FloatVector.fromArray(F, a, r * n + j, map, 0);
            s = x.mul(FloatVector.fromArray(F, b, r * n + j, map, 0)).add(s);
        }
        s.intoArray(out, 0);
    }

    /** LayerNorm backward's sums over row r + l: m1[l] of d = dy g, m2[l] of d xhat. */
    static void weightedSums(float[] dy, float[] g, float[] xhat, int r, int n, int[] map, float[] m1, float[] m2) {
        FloatVector s1 = FloatVector.zero(F), s2 = FloatVector.zero(F);
        for (int j = 0; j < n; j++) {
            FloatVector d = FloatVector.fromArray(F, dy, r * n + j, map, 0).mul(g[j]);
            s1 = d.add(s1);
            s2 = d.mul(FloatVector.fromArray(F, xhat, r * n + j, map, 0)).add(s2);
        }
        s1.intoArray(m1, 0);
        s2.intoArray(m2, 0);
    }

    /**
     * RMSNorm backward's sums over row r + l: of (dn w) xhat, dn = (dy gate) sig (dy without a gate). Rows
     * of 8 on 16 lanes, given w twice over ({@code w2}, else null), by {@link #pairSums}.
     */
    static void gradSums(float[] dy, float[] w, float[] w2, float[] gate, float[] sig, float[] xhat, int r, int n,
                         int[] map, float[] out) {
        if (n == 8 && F.length() == 16 && w2 != null) {
            pairSums(dy, xhat, w2, gate, sig, r, out);
            return;
        }
        FloatVector s = FloatVector.zero(F);
        for (int j = 0; j < n; j++) {
            FloatVector dn = FloatVector.fromArray(F, dy, r * n + j, map, 0);
            if (gate != null) {
                dn = dn.mul(FloatVector.fromArray(F, gate, r * n + j, map, 0))
                        .mul(FloatVector.fromArray(F, sig, r * n + j, map, 0));
            }
            s = dn.mul(w[j]).mul(FloatVector.fromArray(F, xhat, r * n + j, map, 0)).add(s);
        }
        s.intoArray(out, 0);
    }

    /**
     * Sums over rows of 8 on 16 lanes, rows r to r + 16, two rows a vector: of a b ({@code w2} null), or
     * of ((a gate sig) w) b with w twice over in {@code w2} (RMSNorm's backward, a = dy, b = xhat; gate
     * and sig null without a gate). Each half's 8 products spread across it ({@link VectorLoops#P0})
     * and are added in column order from zero, as a lane's gathered sum is.
     */
    private static void pairSums(float[] a, float[] b, float[] w2, float[] gate, float[] sig, int r, float[] out) {
        FloatVector wv = w2 == null ? null : FloatVector.fromArray(F, w2, 0);
        for (int i = 0; i < 16; i += 2) {
            int o = (r + i) * 8;
            FloatVector p = FloatVector.fromArray(F, a, o);
            if (gate != null) {
                p = p.mul(FloatVector.fromArray(F, gate, o)).mul(FloatVector.fromArray(F, sig, o));
            }
            if (wv != null) {
                p = p.mul(wv);
            }
            p = p.mul(FloatVector.fromArray(F, b, o));
            FloatVector t = p.rearrange(VectorLoops.P0).add(FloatVector.zero(F));
            t = p.rearrange(VectorLoops.P1).add(t);
            t = p.rearrange(VectorLoops.P2).add(t);
            t = p.rearrange(VectorLoops.P3).add(t);
            t = p.rearrange(VectorLoops.P4).add(t);
            t = p.rearrange(VectorLoops.P5).add(t);
            t = p.rearrange(VectorLoops.P6).add(t);
            t = p.rearrange(VectorLoops.P7).add(t);
            out[i] = t.lane(0);
            out[i + 1] = t.lane(8);
        }
    }
}
