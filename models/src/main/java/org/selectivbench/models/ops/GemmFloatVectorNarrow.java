package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link GemmFloat}'s products for outputs narrower than a vector (a delta layer's betas, a decay's
 * heads: 4 columns), with a row per lane instead of a column. Loaded only when {@link Simd#on}.
 */
final class GemmFloatVectorNarrow {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    private GemmFloatVectorNarrow() {
    }

    /**
     * {@link GemmFloat#tnAdd} for outputs narrower than a vector (n < L: a delta layer's betas, a decay's
     * heads), on output rows [i0, i1): a vector of output rows per lane instead, whose entries of a lie
     * side by side in each row of a, four columns' chains at a time; each chain from c's entry over all m
     * rows in order, as the scalar form's (which took three times as long as a product eight times as wide).
     * Returns the first output row it did not do (whole vectors of rows only).
     */
    static int tnAddNarrow(float[] a, float[] b, float[] c, int m, int k, int n, int i0, int i1) {
        float[] start = Arena.floats(4 * L);
        int i = i0;
        for (; i + L <= i1; i += L) {
            for (int j = 0; j < n; j += 4) {
                int w = Math.min(4, n - j);
                for (int l = 0; l < L; l++) {
                    for (int t = 0; t < w; t++) {
                        start[t * L + l] = c[(i + l) * n + j + t];
                    }
                }
                fourChains(a, i, k, b, j, n, m, w, start);
                for (int l = 0; l < L; l++) {
                    for (int t = 0; t < w; t++) {
                        c[(i + l) * n + j + t] = start[t * L + l];
                    }
                }
            }
        }
        return i;
    }

    /**
     * {@link GemmFloat#nn} for outputs narrower than a vector (n < L), on rows [r0, r1): a vector of rows per
     * lane instead, a block of L rows of a gathered into [k, L] first, four columns' chains at a time, each
     * from zero or c's entry over the inner index in order, the bias added to its result, as the scalar
     * form's. Returns the first row it did not do (whole vectors of rows only).
     */
    static int nnNarrow(float[] a, float[] b, float[] bias, float[] c, boolean add, int r0, int r1, int k, int n) {
        float[] at = Arena.floats(k * L), sums = Arena.floats(4 * L);
        int[] map = new int[L];
        for (int l = 0; l < L; l++) {
            map[l] = l * k;
        }
        int r = r0;
        for (; r + L <= r1; r += L) {
            for (int q = 0; q < k; q++) {
                FloatVector.fromArray(F, a, r * k + q, map, 0).intoArray(at, q * L);
            }
            for (int j = 0; j < n; j += 4) {
                int w = Math.min(4, n - j);
                for (int l = 0; l < L; l++) {
                    for (int t = 0; t < w; t++) {
                        sums[t * L + l] = add ? c[(r + l) * n + j + t] : 0;
                    }
                }
                fourChains(at, 0, L, b, j, n, k, w, sums);
                for (int l = 0; l < L; l++) {
                    for (int t = 0; t < w; t++) {
                        float v = sums[t * L + l];
                        c[(r + l) * n + j + t] = bias != null ? v + bias[j + t] : v;
                    }
                }
            }
        }
        return r;
    }

    /**
     * The narrow products' tile: four chains of output rows, one per lane, sums[t L + l] for columns
     * j + t (t < 4), each from its entry of sums over count steps in order: the vector of a at x, x + step,
     * ... times b's entry of its column at rows y = j, j + n, .... Columns past the w that exist run on a
     * copy of column j: computed, never kept.
     */
    private static void fourChains(float[] a, int x, int step, float[] b, int j, int n, int count, int w,
                                   float[] sums) {
        FloatVector s0 = FloatVector.fromArray(F, sums, 0), s1 = FloatVector.fromArray(F, sums, L);
        FloatVector s2 = FloatVector.fromArray(F, sums, 2 * L), s3 = FloatVector.fromArray(F, sums, 3 * L);
        for (int r = 0, y = j; r < count; r++, x += step, y += n) {
            FloatVector av = FloatVector.fromArray(F, a, x);
            s0 = av.fma(FloatVector.broadcast(F, b[y]), s0);
            s1 = av.fma(FloatVector.broadcast(F, b[w > 1 ? y + 1 : y]), s1);
            s2 = av.fma(FloatVector.broadcast(F, b[w > 2 ? y + 2 : y]), s2);
            s3 = av.fma(FloatVector.broadcast(F, b[w > 3 ? y + 3 : y]), s3);
        }
        s0.intoArray(sums, 0);
        s1.intoArray(sums, L);
        s2.intoArray(sums, 2 * L);
        s3.intoArray(sums, 3 * L);
    }
}
