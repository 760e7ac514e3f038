package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link GemmFloat#tnAdd}'s loops with a column per lane, in {@link GemmFloatVector}'s tiles (eight output
 * rows by two vectors of columns, a lone vector eight rows at a time, four rows, one row; the columns
 * past the whole vectors as the last vector's lanes), each output one chain over a's rows in order, from
 * c's entry, in chunks of rows that keep b's rows in cache. Loaded only when {@link Simd#on}.
 */
final class GemmFloatVectorTn {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Rows of a weight gradient's sums per pass over its outputs, so that they stay in cache. */
    private static final int CHUNK = 256;

    private GemmFloatVectorTn() {
    }

    /** {@link GemmFloat#tnAdd} on output rows [i0, i1), whole vectors of columns. */
    static int tnAdd(float[] a, float[] b, float[] c, int m, int k, int n, int i0, int i1) {
        int whole = n - n % L, last = n - L;
        float[] tail = whole < n && last >= 0 ? Arena.floats(8 * L) : null;
        for (int r0 = 0; r0 < m; r0 += CHUNK) {
            chunk(a, b, c, k, n, i0, i1, r0, Math.min(m, r0 + CHUNK), whole, last, tail);
        }
        return tail != null ? n : whole;
    }

    /**
     * {@link #tnAdd} of a1 into c1 and of a2 into c2 against the same b (the LSTM's dW_x and dW_h from the
     * gates' gradients), chunk by chunk: a chunk of b comes from memory for the first product and from
     * cache for the second, where two calls read all of b twice. The same sums in the same order as two
     * calls. For n a multiple of the vector's lanes only ({@link GemmFloat#tnAddPair} checks).
     */
    static void tnAddPair(float[] a1, float[] c1, float[] a2, float[] c2, float[] b, int m, int k, int n,
                          int i0, int i1) {
        for (int r0 = 0; r0 < m; r0 += CHUNK) {
            int r1 = Math.min(m, r0 + CHUNK);
            chunk(a1, b, c1, k, n, i0, i1, r0, r1, n, n - L, null);
            chunk(a2, b, c2, k, n, i0, i1, r0, r1, n, n - L, null);
        }
    }

    /** {@link #tnAdd}'s tiles over the rows [r0, r1) of one chunk. */
    private static void chunk(float[] a, float[] b, float[] c, int k, int n, int i0, int i1, int r0, int r1,
                              int whole, int last, float[] tail) {
        int i = i0;
        for (; i + 7 < i1; i += 8) {
            if (tail != null) {
                tn8One(a, b, c, k, n, i, last, r0, r1, tail, 0, L);
            }
            int j = 0;
            for (; j + 2 * L <= whole; j += 2 * L) {
                tn8(a, b, c, k, n, i, j, r0, r1);
            }
            for (; j < whole; j += L) {
                tn8One(a, b, c, k, n, i, j, r0, r1, c, i * n + j, n);
            }
            if (tail != null) {
                GemmFloatVector.keepTail(tail, c, i, 8, n, whole);
            }
        }
        for (; i + 3 < i1; i += 4) {
            if (tail != null) {
                tn4(a, b, c, k, n, i, last, r0, r1, tail, 0, L);
            }
            for (int j = 0; j < whole; j += L) {
                tn4(a, b, c, k, n, i, j, r0, r1, c, i * n + j, n);
            }
            if (tail != null) {
                GemmFloatVector.keepTail(tail, c, i, 4, n, whole);
            }
        }
        for (; i < i1; i++) {
            if (tail != null) {
                rowTn(a, b, c, k, n, i, last, r0, r1, tail, 0);
            }
            for (int j = 0; j < whole; j += L) {
                rowTn(a, b, c, k, n, i, j, r0, r1, c, i * n + j);
            }
            if (tail != null) {
                GemmFloatVector.keepTail(tail, c, i, 1, n, whole);
            }
        }
    }

    /** One output row's vector of columns j over rows [r0, r1), from c's entries, into out at o. */
    private static void rowTn(float[] a, float[] b, float[] c, int k, int n, int i, int j, int r0, int r1,
                              float[] out, int o) {
        FloatVector s = FloatVector.fromArray(F, c, i * n + j);
        for (int r = r0; r < r1; r++) {
            s = FloatVector.broadcast(F, a[r * k + i]).fma(FloatVector.fromArray(F, b, r * n + j), s);
        }
        s.intoArray(out, o);
    }

    /**
     * Output rows i..i+7's two vectors of columns from j over rows [r0, r1), sixteen chains side by side,
     * in place.
     */
    private static void tn8(float[] a, float[] b, float[] c, int k, int n, int i, int j, int r0, int r1) {
        int o = i * n + j;
        FloatVector c00 = FloatVector.fromArray(F, c, o), c01 = FloatVector.fromArray(F, c, o + L);
        FloatVector c10 = FloatVector.fromArray(F, c, o + n), c11 = FloatVector.fromArray(F, c, o + n + L);
        FloatVector c20 = FloatVector.fromArray(F, c, o + 2 * n), c21 = FloatVector.fromArray(F, c, o + 2 * n + L);
        FloatVector c30 = FloatVector.fromArray(F, c, o + 3 * n), c31 = FloatVector.fromArray(F, c, o + 3 * n + L);
        FloatVector c40 = FloatVector.fromArray(F, c, o + 4 * n), c41 = FloatVector.fromArray(F, c, o + 4 * n + L);
        FloatVector c50 = FloatVector.fromArray(F, c, o + 5 * n), c51 = FloatVector.fromArray(F, c, o + 5 * n + L);
        FloatVector c60 = FloatVector.fromArray(F, c, o + 6 * n), c61 = FloatVector.fromArray(F, c, o + 6 * n + L);
        FloatVector c70 = FloatVector.fromArray(F, c, o + 7 * n), c71 = FloatVector.fromArray(F, c, o + 7 * n + L);
        for (int r = r0; r < r1; r++) {
            FloatVector b0 = FloatVector.fromArray(F, b, r * n + j), b1 = FloatVector.fromArray(F, b, r * n + j + L);
            int x = r * k + i;
            FloatVector a0 = FloatVector.broadcast(F, a[x]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(F, a[x + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(F, a[x + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(F, a[x + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(F, a[x + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(F, a[x + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(F, a[x + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(F, a[x + 7]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
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
     * Output rows i..i+7's vector of columns from j over rows [r0, r1), from c's entries, into out at
     * o0 + row * stride: a lone vector with eight chains, as {@link #nn8One}.
     */
    private static void tn8One(float[] a, float[] b, float[] c, int k, int n, int i, int j, int r0, int r1,
                               float[] out, int o0, int stride) {
        int o = i * n + j;
        FloatVector s0 = FloatVector.fromArray(F, c, o), s1 = FloatVector.fromArray(F, c, o + n);
        FloatVector s2 = FloatVector.fromArray(F, c, o + 2 * n), s3 = FloatVector.fromArray(F, c, o + 3 * n);
        FloatVector s4 = FloatVector.fromArray(F, c, o + 4 * n), s5 = FloatVector.fromArray(F, c, o + 5 * n);
        FloatVector s6 = FloatVector.fromArray(F, c, o + 6 * n), s7 = FloatVector.fromArray(F, c, o + 7 * n);
        for (int r = r0; r < r1; r++) {
            FloatVector b0 = FloatVector.fromArray(F, b, r * n + j);
            int x = r * k + i;
            s0 = FloatVector.broadcast(F, a[x]).fma(b0, s0);
            s1 = FloatVector.broadcast(F, a[x + 1]).fma(b0, s1);
            s2 = FloatVector.broadcast(F, a[x + 2]).fma(b0, s2);
            s3 = FloatVector.broadcast(F, a[x + 3]).fma(b0, s3);
            s4 = FloatVector.broadcast(F, a[x + 4]).fma(b0, s4);
            s5 = FloatVector.broadcast(F, a[x + 5]).fma(b0, s5);
            s6 = FloatVector.broadcast(F, a[x + 6]).fma(b0, s6);
            s7 = FloatVector.broadcast(F, a[x + 7]).fma(b0, s7);
        }
        s0.intoArray(out, o0);
        s1.intoArray(out, o0 + stride);
        s2.intoArray(out, o0 + 2 * stride);
        s3.intoArray(out, o0 + 3 * stride);
        s4.intoArray(out, o0 + 4 * stride);
        s5.intoArray(out, o0 + 5 * stride);
        s6.intoArray(out, o0 + 6 * stride);
        s7.intoArray(out, o0 + 7 * stride);
    }

    /**
     * Output rows i..i+3's vector of columns j over rows [r0, r1), four chains side by side, into out at
     * o0 + row * stride (c itself, or the tail's scratch).
     */
    private static void tn4(float[] a, float[] b, float[] c, int k, int n, int i, int j, int r0, int r1,
                            float[] out, int o0, int stride) {
        int o = i * n + j;
        FloatVector s0 = FloatVector.fromArray(F, c, o), s1 = FloatVector.fromArray(F, c, o + n);
        FloatVector s2 = FloatVector.fromArray(F, c, o + 2 * n), s3 = FloatVector.fromArray(F, c, o + 3 * n);
        for (int r = r0; r < r1; r++) {
            FloatVector b0 = FloatVector.fromArray(F, b, r * n + j);
            int x = r * k + i;
            s0 = FloatVector.broadcast(F, a[x]).fma(b0, s0);
            s1 = FloatVector.broadcast(F, a[x + 1]).fma(b0, s1);
            s2 = FloatVector.broadcast(F, a[x + 2]).fma(b0, s2);
            s3 = FloatVector.broadcast(F, a[x + 3]).fma(b0, s3);
        }
        s0.intoArray(out, o0);
        s1.intoArray(out, o0 + stride);
        s2.intoArray(out, o0 + 2 * stride);
        s3.intoArray(out, o0 + 3 * stride);
    }
}
