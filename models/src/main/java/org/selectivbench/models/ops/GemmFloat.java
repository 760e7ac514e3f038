package org.selectivbench.models.ops;

/**
 * Float matmuls on Java arrays for the float32 Java path's linear layers: rows [m, k] times a small
 * matrix, the shapes of a layer's projections (m = batch x steps, k and n a model's widths). There BLAS
 * through ND4J took about twice as long as these loops, and copying the rows into native memory and
 * back about as long again (docs/models.md). Every output is one chain of FMAs over the inner index in
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

    private GemmFloat() {
    }

    /**
     * Whether these loops take a product with this many output columns instead of BLAS: a multiple of
     * 16, so that vectors of 4, 8 and 16 lanes cover every column (a scalar tail would be slower than
     * BLAS), and the choice is the same on any machine.
     */
    public static boolean covers(int columns) {
        return columns > 0 && columns % 16 == 0;
    }

    /** a b (+ bias) as a new [m, n] array. */
    public static float[] nn(float[] a, float[] b, float[] bias, int m, int k, int n) {
        float[] c = new float[Math.multiplyExact(m, n)];
        nn(a, b, bias, c, m, k, n);
        return c;
    }

    /** a b^T for b [n, k] (a layer's input gradient dy W^T), as a new [m, n] array or added into {@code c}. */
    public static float[] nt(float[] a, float[] b, float[] c, int m, int k, int n) {
        float[] out = c != null ? c : new float[Math.multiplyExact(m, n)];
        nn(a, Loops.transposed(b, n, k), null, out, m, k, n);
        return out;
    }

    /** c += a b (+ bias): each sum starts from c's entry (zeros for a new product). */
    static void nn(float[] a, float[] b, float[] bias, float[] c, int m, int k, int n) {
        Parallel.forRange((m + ROWS - 1) / ROWS, (from, to) -> {
            int r0 = from * ROWS, r1 = Math.min(m, to * ROWS);
            int j0 = Simd.on() ? GemmFloatVector.nn(a, b, c, r0, r1, k, n) : 0;
            for (int r = r0; r < r1; r++) {
                for (int j = j0; j < n; j++) {
                    float s = c[r * n + j];
                    for (int q = 0; q < k; q++) {
                        s = Math.fma(a[r * k + q], b[q * n + j], s);
                    }
                    c[r * n + j] = s;
                }
                if (bias != null) { // a plain loop: a Vector API add here led C2 astray elsewhere (docs/models.md)
                    for (int j = 0; j < n; j++) {
                        c[r * n + j] += bias[j];
                    }
                }
            }
        });
    }

    /** c [k, n] += a^T b for a [m, k], b [m, n] (a layer's weight gradient), each sum over m in order. */
    public static void tnAdd(float[] a, float[] b, float[] c, int m, int k, int n) {
        Parallel.forRange((k + ROWS - 1) / ROWS, (from, to) -> {
            int i0 = from * ROWS, i1 = Math.min(k, to * ROWS);
            int j0 = Simd.on() ? GemmFloatVector.tnAdd(a, b, c, m, k, n, i0, i1) : 0;
            for (int i = i0; i < i1; i++) {
                for (int j = j0; j < n; j++) {
                    float s = c[i * n + j];
                    for (int r = 0; r < m; r++) {
                        s = Math.fma(a[r * k + i], b[r * n + j], s);
                    }
                    c[i * n + j] = s;
                }
            }
        });
    }
}
