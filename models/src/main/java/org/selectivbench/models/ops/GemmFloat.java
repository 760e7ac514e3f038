package org.selectivbench.models.ops;

/**
 * Float matmuls on Java arrays for the float32 Java path's linear layers: rows [m, k] times a small
 * matrix, the shapes of a layer's projections (m = batch x steps, k and n a model's widths). There BLAS
 * through ND4J took about twice as long as these loops, and copying the rows into native memory and
 * back about as long again (docs/engine-log.md). Every output is one chain of FMAs over the inner index in
 * ascending order, from zero or from the value it adds to (a bias, where given, added after it), so
 * {@link GemmFloatVector}'s columns per lane give the same bits, and so do the row ranges the threads
 * take.
 *
 * <p>Layouts row-major: a [m, k], b [k, n] ([n, k] for {@link #nt}), c [m, n]; {@link #tnAdd}'s c
 * [k, n] sums over the m rows.
 */
public final class GemmFloat {
    /** Rows per block of the vector form, and so per unit of a thread's range. */
    static final int ROWS = 4;
    /** Rows of a weight gradient's scalar sums per pass over its outputs. */
    private static final int TAIL_ROWS = 256;

    private GemmFloat() {
    }

    /**
     * a b (+ bias) as a new [m, n] array. It is not zero-filled first: every sum starts from zero (the
     * fill cost as much as a fifth of a small product).
     */
    public static float[] nn(float[] a, float[] b, float[] bias, int m, int k, int n) {
        float[] c = Arena.uninitialized(Math.multiplyExact(m, n));
        nn(a, b, bias, c, false, m, k, n);
        return c;
    }

    /** a b^T for b [n, k] (a layer's input gradient dy W^T), as a new [m, n] array or added into {@code c}. */
    public static float[] nt(float[] a, float[] b, float[] c, int m, int k, int n) {
        float[] out = c != null ? c : Arena.uninitialized(Math.multiplyExact(m, n));
        nn(a, Loops.transposed(b, n, k), null, out, c != null, m, k, n);
        return out;
    }

    /**
     * c = a b (+ bias), or c += a b (+ bias) when {@code add}: each sum starts from zero or from c's entry,
     * the bias added to its result.
     */
    static void nn(float[] a, float[] b, float[] bias, float[] c, boolean add, int m, int k, int n) {
        // a product narrower than a vector puts rows on the lanes first; nnRows, which the chunked scans
        // call thousands of times a step on their small products, stays as it was (a branch there cost
        // Mamba2's step 10-15 ms through C2's compilation of it)
        boolean narrow = Simd.on() && n < GemmFloatVector.lanes();
        Parallel.forRange((m + ROWS - 1) / ROWS, (from, to) -> {
            int r0 = from * ROWS, r1 = Math.min(m, to * ROWS);
            nnRows(a, b, bias, c, add,
                    narrow ? GemmFloatVectorNarrow.nnNarrow(a, b, bias, c, add, r0, r1, k, n) : r0, r1,
                    k, n);
        });
    }

    /** c += a b (+ bias) on rows [r0, r1), on the calling thread (a kernel that splits its own work calls it). */
    static void nnRows(float[] a, float[] b, float[] bias, float[] c, int r0, int r1, int k, int n) {
        nnRows(a, b, bias, c, true, r0, r1, k, n);
    }

    /** {@link #nn} on rows [r0, r1), on the calling thread. */
    static void nnRows(float[] a, float[] b, float[] bias, float[] c, boolean add, int r0, int r1, int k, int n) {
        int j0 = Simd.on() ? GemmFloatVector.nn(a, b, bias, c, add, r0, r1, k, n) : 0;
        int r = r0;
        for (; r + 3 < r1; r += 4) { // four rows' chains side by side: each waits on its last FMA
            for (int j = j0; j < n; j++) {
                int o = r * n + j, x = r * k;
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                if (add) {
                    s0 = c[o];
                    s1 = c[o + n];
                    s2 = c[o + 2 * n];
                    s3 = c[o + 3 * n];
                }
                for (int q = 0; q < k; q++, x++) {
                    float bq = b[q * n + j];
                    s0 = Math.fma(a[x], bq, s0);
                    s1 = Math.fma(a[x + k], bq, s1);
                    s2 = Math.fma(a[x + 2 * k], bq, s2);
                    s3 = Math.fma(a[x + 3 * k], bq, s3);
                }
                if (bias != null) {
                    float bj = bias[j];
                    s0 += bj;
                    s1 += bj;
                    s2 += bj;
                    s3 += bj;
                }
                c[o] = s0;
                c[o + n] = s1;
                c[o + 2 * n] = s2;
                c[o + 3 * n] = s3;
            }
        }
        for (; r < r1; r++) {
            for (int j = j0; j < n; j++) {
                float s = add ? c[r * n + j] : 0;
                for (int q = 0; q < k; q++) {
                    s = Math.fma(a[r * k + q], b[q * n + j], s);
                }
                c[r * n + j] = bias != null ? s + bias[j] : s;
            }
        }
    }

    /**
     * c [k, n] += a^T b for a [m, k], b [m, n] (a layer's weight gradient), each sum over m in order: the
     * columns past whole vectors over blocks of rows that stay in cache, four outputs' chains side by side.
     */
    public static void tnAdd(float[] a, float[] b, float[] c, int m, int k, int n) {
        boolean narrow = Simd.on() && n < GemmFloatVector.lanes(); // as in nn
        Parallel.forRange((k + ROWS - 1) / ROWS, (from, to) -> {
            int i0 = from * ROWS, i1 = Math.min(k, to * ROWS);
            tnAddRows(a, b, c, m, k, n, narrow ? GemmFloatVectorNarrow.tnAddNarrow(a, b, c, m, k, n, i0, i1) : i0, i1);
        });
    }

    /**
     * c1 += a1^T b and c2 += a2^T b for a1, a2 [m, k] (two weight gradients from one output gradient),
     * the same numbers as two {@link #tnAdd} calls; the vector form takes both a chunk of b's rows at a
     * time, so that b is read from memory once.
     */
    public static void tnAddPair(float[] a1, float[] c1, float[] a2, float[] c2, float[] b, int m, int k, int n) {
        if (!Simd.on() || n < GemmFloatVector.lanes() || n % GemmFloatVector.lanes() != 0) {
            tnAdd(a1, b, c1, m, k, n);
            tnAdd(a2, b, c2, m, k, n);
            return;
        }
        Parallel.forRange((k + ROWS - 1) / ROWS, (from, to) -> GemmFloatVectorTn.tnAddPair(a1, c1, a2, c2, b, m, k,
                n, from * ROWS, Math.min(k, to * ROWS)));
    }

    /** {@link #tnAdd} on output rows [i0, i1), on the calling thread. */
    static void tnAddRows(float[] a, float[] b, float[] c, int m, int k, int n, int i0, int i1) {
        int j0 = Simd.on() ? GemmFloatVectorTn.tnAdd(a, b, c, m, k, n, i0, i1) : 0;
        for (int rs = 0; rs < m; rs += TAIL_ROWS) {
            int re = Math.min(m, rs + TAIL_ROWS), i = i0;
            for (; i + 3 < i1; i += 4) {
                for (int j = j0; j < n; j++) {
                    int o = i * n + j;
                    float s0 = c[o], s1 = c[o + n], s2 = c[o + 2 * n], s3 = c[o + 3 * n];
                    for (int r = rs; r < re; r++) {
                        float br = b[r * n + j];
                        int x = r * k + i;
                        s0 = Math.fma(a[x], br, s0);
                        s1 = Math.fma(a[x + 1], br, s1);
                        s2 = Math.fma(a[x + 2], br, s2);
                        s3 = Math.fma(a[x + 3], br, s3);
                    }
                    c[o] = s0;
                    c[o + n] = s1;
                    c[o + 2 * n] = s2;
                    c[o + 3 * n] = s3;
                }
            }
            for (; i < i1; i++) {
                for (int j = j0; j < n; j++) {
                    float s = c[i * n + j];
                    for (int r = rs; r < re; r++) {
                        s = Math.fma(a[r * k + i], b[r * n + j], s);
                    }
                    c[i * n + j] = s;
                }
            }
        }
    }
}
