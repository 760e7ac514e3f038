package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link GemmFloat#nn}'s loops with a column per lane ({@link GemmFloatVectorTn} has {@link GemmFloat#tnAdd}'s
 * in the same tiles, {@link GemmFloatVectorNarrow} both for outputs narrower than a vector): eight rows
 * by two vectors of columns at a time (sixteen independent FMA chains, twice what two FMA units of four
 * cycles' latency need, and ten loads per sixteen FMAs against six per eight for four rows: 1.2-1.6
 * times the four-row tiles' rate, docs/engine-log.md), a lone vector of columns eight rows at a time,
 * then four rows, then rows one at a time; every output still one chain over the inner index in order.
 * Columns past the whole vectors, when there are at least a vector's worth of columns, are the last
 * vector's lanes: that vector overlaps the whole ones, its overlapping lanes run the same chains as
 * theirs, and only its own columns are kept (the output layer's 41 classes: 9 columns that scalar chains
 * took four times as long as the 32 before them). Loaded only when {@link Simd#on}; each method returns
 * the first column it did not do.
 */
final class GemmFloatVector {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** The embedded default's width, the inner size of most of its products, given its own loop in {@link #nn8}. */
    private static final int WIDTH = 32;
    /** Where a new product's sums load their start from: two vectors of zeros. */
    private static final float[] ZEROS = new float[2 * L];

    private GemmFloatVector() {
    }

    /**
     * {@link GemmFloat#nn} on rows [r0, r1), whole vectors of columns, the bias (if any) added to each
     * chain's result as it is stored (a pass of its own over the output cost as much as the product);
     * the chains start from c's entries when {@code add}, else from zero (c's entries are not read).
     */
    static int nn(float[] a, float[] b, float[] bias, float[] c, boolean add, int r0, int r1, int k, int n) {
        int whole = n - n % L, last = n - L;
        // the last vector's chains start from c's entries before the whole vectors overwrite the overlap
        float[] tail = whole < n && last >= 0 ? Arena.floats(8 * L) : null;
        int r = r0;
        for (; r + 7 < r1; r += 8) {
            if (tail != null) {
                nn8One(a, b, bias, c, add, r, k, n, last, tail, 0, L);
            }
            int j = 0;
            for (; j + 2 * L <= whole; j += 2 * L) {
                nn8(a, b, bias, c, add, r, k, n, j);
            }
            for (; j < whole; j += L) {
                nn8One(a, b, bias, c, add, r, k, n, j, c, r * n + j, n);
            }
            if (tail != null) {
                keepTail(tail, c, r, 8, n, whole);
            }
        }
        for (; r + 3 < r1; r += 4) {
            if (tail != null) {
                nn4(a, b, bias, c, add, r, k, n, last, tail, 0, L);
            }
            for (int j = 0; j < whole; j += L) {
                nn4(a, b, bias, c, add, r, k, n, j, c, r * n + j, n);
            }
            if (tail != null) {
                keepTail(tail, c, r, 4, n, whole);
            }
        }
        for (; r < r1; r++) {
            if (tail != null) {
                nn1(a, b, bias, c, add, r, k, n, last, tail, 0);
            }
            for (int j = 0; j < whole; j += L) {
                nn1(a, b, bias, c, add, r, k, n, j, c, r * n + j);
            }
            if (tail != null) {
                keepTail(tail, c, r, 1, n, whole);
            }
        }
        return tail != null ? n : whole;
    }

    /** Rows r..r+7 of c's columns [j, j + 2L) (or zeros) plus a b (+ bias), in place: sixteen chains side by side. */
    private static void nn8(float[] a, float[] b, float[] bias, float[] c, boolean add, int r, int k, int n, int j) {
        int o = r * n + j;
        // the sums start from c's entries or from zeros, loaded either way: vectors merged from two branches
        // can stay heap objects (docs/models.md, C2 pitfalls)
        float[] src = add ? c : ZEROS;
        int so = add ? o : 0, sn = add ? n : 0;
        FloatVector c00 = FloatVector.fromArray(F, src, so), c01 = FloatVector.fromArray(F, src, so + L);
        FloatVector c10 = FloatVector.fromArray(F, src, so + sn), c11 = FloatVector.fromArray(F, src, so + sn + L);
        FloatVector c20 = FloatVector.fromArray(F, src, so + 2 * sn);
        FloatVector c21 = FloatVector.fromArray(F, src, so + 2 * sn + L);
        FloatVector c30 = FloatVector.fromArray(F, src, so + 3 * sn);
        FloatVector c31 = FloatVector.fromArray(F, src, so + 3 * sn + L);
        FloatVector c40 = FloatVector.fromArray(F, src, so + 4 * sn);
        FloatVector c41 = FloatVector.fromArray(F, src, so + 4 * sn + L);
        FloatVector c50 = FloatVector.fromArray(F, src, so + 5 * sn);
        FloatVector c51 = FloatVector.fromArray(F, src, so + 5 * sn + L);
        FloatVector c60 = FloatVector.fromArray(F, src, so + 6 * sn);
        FloatVector c61 = FloatVector.fromArray(F, src, so + 6 * sn + L);
        FloatVector c70 = FloatVector.fromArray(F, src, so + 7 * sn);
        FloatVector c71 = FloatVector.fromArray(F, src, so + 7 * sn + L);
        int x = r * k;
        if (k == WIDTH) {
            // the same loop with the rows' stride a constant: C2 folds a's row offsets into the broadcasts'
            // addresses, where a variable stride holds them in registers, spills, and adds scalar
            // instructions that take the FMAs' ports (1.15-1.2 times as fast, docs/engine-log.md)
            for (int q = 0; q < WIDTH; q++, x++) {
                FloatVector b0 = FloatVector.fromArray(F, b, q * n + j);
                FloatVector b1 = FloatVector.fromArray(F, b, q * n + j + L);
                FloatVector a0 = FloatVector.broadcast(F, a[x]);
                c00 = a0.fma(b0, c00);
                c01 = a0.fma(b1, c01);
                FloatVector a1 = FloatVector.broadcast(F, a[x + WIDTH]);
                c10 = a1.fma(b0, c10);
                c11 = a1.fma(b1, c11);
                FloatVector a2 = FloatVector.broadcast(F, a[x + 2 * WIDTH]);
                c20 = a2.fma(b0, c20);
                c21 = a2.fma(b1, c21);
                FloatVector a3 = FloatVector.broadcast(F, a[x + 3 * WIDTH]);
                c30 = a3.fma(b0, c30);
                c31 = a3.fma(b1, c31);
                FloatVector a4 = FloatVector.broadcast(F, a[x + 4 * WIDTH]);
                c40 = a4.fma(b0, c40);
                c41 = a4.fma(b1, c41);
                FloatVector a5 = FloatVector.broadcast(F, a[x + 5 * WIDTH]);
                c50 = a5.fma(b0, c50);
                c51 = a5.fma(b1, c51);
                FloatVector a6 = FloatVector.broadcast(F, a[x + 6 * WIDTH]);
                c60 = a6.fma(b0, c60);
                c61 = a6.fma(b1, c61);
                FloatVector a7 = FloatVector.broadcast(F, a[x + 7 * WIDTH]);
                c70 = a7.fma(b0, c70);
                c71 = a7.fma(b1, c71);
            }
        } else {
            for (int q = 0; q < k; q++, x++) {
                FloatVector b0 = FloatVector.fromArray(F, b, q * n + j);
                FloatVector b1 = FloatVector.fromArray(F, b, q * n + j + L);
                FloatVector a0 = FloatVector.broadcast(F, a[x]);
                c00 = a0.fma(b0, c00);
                c01 = a0.fma(b1, c01);
                FloatVector a1 = FloatVector.broadcast(F, a[x + k]);
                c10 = a1.fma(b0, c10);
                c11 = a1.fma(b1, c11);
                FloatVector a2 = FloatVector.broadcast(F, a[x + 2 * k]);
                c20 = a2.fma(b0, c20);
                c21 = a2.fma(b1, c21);
                FloatVector a3 = FloatVector.broadcast(F, a[x + 3 * k]);
                c30 = a3.fma(b0, c30);
                c31 = a3.fma(b1, c31);
                FloatVector a4 = FloatVector.broadcast(F, a[x + 4 * k]);
                c40 = a4.fma(b0, c40);
                c41 = a4.fma(b1, c41);
                FloatVector a5 = FloatVector.broadcast(F, a[x + 5 * k]);
                c50 = a5.fma(b0, c50);
                c51 = a5.fma(b1, c51);
                FloatVector a6 = FloatVector.broadcast(F, a[x + 6 * k]);
                c60 = a6.fma(b0, c60);
                c61 = a6.fma(b1, c61);
                FloatVector a7 = FloatVector.broadcast(F, a[x + 7 * k]);
                c70 = a7.fma(b0, c70);
                c71 = a7.fma(b1, c71);
            }
        }
        if (bias != null) {
            FloatVector v0 = FloatVector.fromArray(F, bias, j), v1 = FloatVector.fromArray(F, bias, j + L);
            c00 = c00.add(v0);
            c01 = c01.add(v1);
            c10 = c10.add(v0);
            c11 = c11.add(v1);
            c20 = c20.add(v0);
            c21 = c21.add(v1);
            c30 = c30.add(v0);
            c31 = c31.add(v1);
            c40 = c40.add(v0);
            c41 = c41.add(v1);
            c50 = c50.add(v0);
            c51 = c51.add(v1);
            c60 = c60.add(v0);
            c61 = c61.add(v1);
            c70 = c70.add(v0);
            c71 = c71.add(v1);
        }
        // stored here, not in a helper: sixteen vectors passed to a call C2 does not inline are boxed
        c00.intoArray(c, o);
        c01.intoArray(c, o + L);
        c10.intoArray(c, o + n);
        c11.intoArray(c, o + n + L);
        c20.intoArray(c, o + 2 * n);
        c21.intoArray(c, o + 2 * n + L);
        c30.intoArray(c, o + 3 * n);
        c31.intoArray(c, o + 3 * n + L);
        c40.intoArray(c, o + 4 * n);
        c41.intoArray(c, o + 4 * n + L);
        c50.intoArray(c, o + 5 * n);
        c51.intoArray(c, o + 5 * n + L);
        c60.intoArray(c, o + 6 * n);
        c61.intoArray(c, o + 6 * n + L);
        c70.intoArray(c, o + 7 * n);
        c71.intoArray(c, o + 7 * n + L);
    }

    /**
     * Rows r..r+7 of c's columns [j, j + L) plus a b (+ bias), into {@code out} at {@code o} + i * {@code stride}:
     * a lone vector of columns (a tail, an odd one) with eight chains, where two four-row tiles' four chains
     * each waited on their FMAs' latency (the output layer's 41 classes took as long as 64).
     */
    private static void nn8One(float[] a, float[] b, float[] bias, float[] c, boolean add, int r, int k, int n, int j,
                               float[] out, int o, int stride) {
        int oc = r * n + j;
        float[] src = add ? c : ZEROS;
        int so = add ? oc : 0, sn = add ? n : 0;
        FloatVector c0 = FloatVector.fromArray(F, src, so), c1 = FloatVector.fromArray(F, src, so + sn);
        FloatVector c2 = FloatVector.fromArray(F, src, so + 2 * sn), c3 = FloatVector.fromArray(F, src, so + 3 * sn);
        FloatVector c4 = FloatVector.fromArray(F, src, so + 4 * sn), c5 = FloatVector.fromArray(F, src, so + 5 * sn);
        FloatVector c6 = FloatVector.fromArray(F, src, so + 6 * sn), c7 = FloatVector.fromArray(F, src, so + 7 * sn);
        int x = r * k;
        for (int q = 0; q < k; q++, x++) {
            FloatVector b0 = FloatVector.fromArray(F, b, q * n + j);
            c0 = FloatVector.broadcast(F, a[x]).fma(b0, c0);
            c1 = FloatVector.broadcast(F, a[x + k]).fma(b0, c1);
            c2 = FloatVector.broadcast(F, a[x + 2 * k]).fma(b0, c2);
            c3 = FloatVector.broadcast(F, a[x + 3 * k]).fma(b0, c3);
            c4 = FloatVector.broadcast(F, a[x + 4 * k]).fma(b0, c4);
            c5 = FloatVector.broadcast(F, a[x + 5 * k]).fma(b0, c5);
            c6 = FloatVector.broadcast(F, a[x + 6 * k]).fma(b0, c6);
            c7 = FloatVector.broadcast(F, a[x + 7 * k]).fma(b0, c7);
        }
        if (bias != null) {
            FloatVector v = FloatVector.fromArray(F, bias, j);
            c0 = c0.add(v);
            c1 = c1.add(v);
            c2 = c2.add(v);
            c3 = c3.add(v);
            c4 = c4.add(v);
            c5 = c5.add(v);
            c6 = c6.add(v);
            c7 = c7.add(v);
        }
        c0.intoArray(out, o);
        c1.intoArray(out, o + stride);
        c2.intoArray(out, o + 2 * stride);
        c3.intoArray(out, o + 3 * stride);
        c4.intoArray(out, o + 4 * stride);
        c5.intoArray(out, o + 5 * stride);
        c6.intoArray(out, o + 6 * stride);
        c7.intoArray(out, o + 7 * stride);
    }

    /** Rows r..r+3 of c's columns [j, j + L) plus a b (+ bias), into {@code out} at {@code o} + i * {@code stride}. */
    private static void nn4(float[] a, float[] b, float[] bias, float[] c, boolean add, int r, int k, int n, int j,
                            float[] out,
                            int o, int stride) {
        int oc = r * n + j;
        float[] src = add ? c : ZEROS;
        int so = add ? oc : 0, sn = add ? n : 0;
        FloatVector c0 = FloatVector.fromArray(F, src, so), c1 = FloatVector.fromArray(F, src, so + sn);
        FloatVector c2 = FloatVector.fromArray(F, src, so + 2 * sn), c3 = FloatVector.fromArray(F, src, so + 3 * sn);
        int x = r * k;
        for (int q = 0; q < k; q++, x++) {
            FloatVector b0 = FloatVector.fromArray(F, b, q * n + j);
            c0 = FloatVector.broadcast(F, a[x]).fma(b0, c0);
            c1 = FloatVector.broadcast(F, a[x + k]).fma(b0, c1);
            c2 = FloatVector.broadcast(F, a[x + 2 * k]).fma(b0, c2);
            c3 = FloatVector.broadcast(F, a[x + 3 * k]).fma(b0, c3);
        }
        if (bias != null) {
            FloatVector v = FloatVector.fromArray(F, bias, j);
            c0 = c0.add(v);
            c1 = c1.add(v);
            c2 = c2.add(v);
            c3 = c3.add(v);
        }
        c0.intoArray(out, o);
        c1.intoArray(out, o + stride);
        c2.intoArray(out, o + 2 * stride);
        c3.intoArray(out, o + 3 * stride);
    }

    /** Row r of c's columns [j, j + L) plus a b (+ bias), into {@code out} at {@code o}. */
    private static void nn1(float[] a, float[] b, float[] bias, float[] c, boolean add, int r, int k, int n, int j,
                            float[] out,
                            int o) {
        FloatVector c0 = FloatVector.fromArray(F, add ? c : ZEROS, add ? r * n + j : 0);
        for (int q = 0; q < k; q++) {
            c0 = FloatVector.broadcast(F, a[r * k + q]).fma(FloatVector.fromArray(F, b, q * n + j), c0);
        }
        if (bias != null) {
            c0 = c0.add(FloatVector.fromArray(F, bias, j));
        }
        c0.intoArray(out, o);
    }

    /** Columns [whole, n) of {@code rows} rows from r of the last vector's results (row i at i * L). */
    static void keepTail(float[] tail, float[] c, int r, int rows, int n, int whole) {
        int skip = whole - (n - L);
        for (int i = 0; i < rows; i++) {
            System.arraycopy(tail, i * L + skip, c, (r + i) * n + whole, n - whole);
        }
    }

    /** The lanes of the vectors these loops use. */
    static int lanes() {
        return L;
    }
}
