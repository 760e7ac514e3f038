package org.selectivbench.models.ops;

import java.util.Map;
import java.util.function.BiPredicate;
import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Pieces shared by the chunked ND4J forms of the sequence ops ({@link DeltaRuleChunked},
 * {@link DecayScanChunked}): moving rows [B*T, heads*W] to chunk-major blocks and back, batched matmuls,
 * chunk-local cumulative log decays and their masked pairwise decays, the constant masks.
 *
 * <p>Chunk-major layout [n, B, heads, C, W]: chunk c of every sequence is one contiguous block, so the
 * chunk-to-chunk loops read and write contiguous slices, and [n*B*heads, C, W] is a free reshape for
 * batched matmuls over all chunks at once.
 */
final class Chunks {
    /** Added before exp where a pair is masked: exp(-1e30) = 0 with a zero gradient, never inf * 0. */
    static final double MASKED = -1e30;
    /** Constant matrices by kind, size and type; the last few kept. */
    private static final Map<String, INDArray> CONSTANTS = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(32, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, INDArray> e) {
                    return size() > 64;
                }
            });

    private Chunks() {
    }

    /** Number of chunks of length c covering len steps. */
    static int count(int len, int c) {
        return (len + c - 1) / c;
    }

    /**
     * Rows [b*len, heads*w] ordered (b, t) to chunk-major [n, b, heads, c, w], zero-padded at the end of
     * every sequence to n*c steps (the recurrences are causal, so padding changes no real output).
     */
    static INDArray toChunks(INDArray x, int b, int len, int heads, int w, int c) {
        int n = count(len, c);
        INDArray x4 = ChunkedLayout.dense(x).reshape('c', b, len, heads, w);
        if ((long) n * c != len) {
            INDArray p = Nd4j.zeros(x.dataType(), b, (long) n * c, heads, w);
            p.get(NDArrayIndex.all(), NDArrayIndex.interval(0, len), NDArrayIndex.all(), NDArrayIndex.all()).assign(x4);
            x4 = p;
        }
        return x4.reshape('c', b, n, c, heads, w).permute(1, 0, 3, 2, 4).dup('c');
    }

    /** The inverse of {@link #toChunks}: chunk-major y (n*b*heads*c*w values) to rows [b*len, heads*w]. */
    static INDArray fromChunks(INDArray y, int b, int heads, int c, int w, int len) {
        int n = count(len, c);
        INDArray r = ChunkedLayout.dense(y).reshape('c', n, b, heads, c, w).permute(1, 0, 3, 2, 4).dup('c')
                .reshape('c', b, (long) n * c, heads, w);
        if ((long) n * c != len) {
            r = r.get(NDArrayIndex.all(), NDArrayIndex.interval(0, len), NDArrayIndex.all(), NDArrayIndex.all())
                    .dup('c');
        }
        return r.reshape('c', (long) b * len, (long) heads * w);
    }

    /** Rows [rows, w] spread to [rows*nh, w]: row r becomes sub-step j of r, the other sub-steps 0. */
    static INDArray spread(INDArray x, int nh, int j) {
        long rows = x.size(0), w = x.size(1);
        INDArray out = Nd4j.zeros(x.dataType(), rows, nh, w);
        out.get(NDArrayIndex.all(), NDArrayIndex.point(j), NDArrayIndex.all()).assign(x);
        return out.reshape('c', rows * nh, w);
    }

    /** Sub-step j of rows [rows*nh, w]: [rows, w]. */
    static INDArray pick(INDArray x, int nh, int j) {
        long w = x.size(1), rows = x.size(0) / nh;
        return ChunkedLayout.dense(x).reshape('c', rows, nh, w)
                .get(NDArrayIndex.all(), NDArrayIndex.point(j), NDArrayIndex.all()).dup('c');
    }

    /** op(a) op(b) per leading index, a new [G, m, n] array. */
    static INDArray bmm(INDArray a, INDArray b, boolean ta, boolean tb) {
        return Attention.bmm(a, b, ta, tb);
    }

    /** c = alpha op(a) op(b) + beta c in place (c may be a contiguous view). */
    static void bmm(INDArray a, INDArray b, boolean ta, boolean tb, INDArray c, double alpha, double beta) {
        Nd4j.exec(new Mmul(a, b, c, alpha, beta, MMulTranspose.builder().transposeA(ta).transposeB(tb).build()));
    }

    /** Block i (a contiguous view) along the leading axis of x. */
    static INDArray at(INDArray x, long i) {
        INDArrayIndex[] idx = new INDArrayIndex[x.rank()];
        idx[0] = NDArrayIndex.point(i);
        for (int d = 1; d < idx.length; d++) {
            idx[d] = NDArrayIndex.all();
        }
        return x.get(idx);
    }

    /** Chunk-local inclusive cumulative sums of rows [R, c] (a matmul with a triangular constant). */
    static INDArray cumsum(INDArray rows) {
        return rows.mmul(upper(Math.toIntExact(rows.size(1)), rows.dataType()));
    }

    /** The adjoint of {@link #cumsum}: reverse cumulative sums, da_m = sum_{i >= m} dgam_i. */
    static INDArray cumsumBackward(INDArray dRows) {
        return dRows.mmul(upper(Math.toIntExact(dRows.size(1)), dRows.dataType()).transpose());
    }

    /**
     * The pairwise decays exp(gam_i - gam_j) for j <= i, 0 above the diagonal, from cumulative log decays
     * gam [R, c]: [R, c, c]. The mask is added before exp, so a masked pair is exp(-1e30) = 0 however
     * large gam_i - gam_j is, and nothing overflows (gam is non-increasing: every kept pair is <= 1).
     */
    static INDArray decayMatrix(INDArray gam) {
        long r = gam.size(0), c = gam.size(1);
        INDArray d = gam.reshape(r, c, 1).sub(gam.reshape(r, 1, c));
        d.addi(maskBias(Math.toIntExact(c), gam.dataType()));
        return Transforms.exp(d, false);
    }

    /**
     * Everything a chunk needs from its cumulative log decays gam [R, c] (a scalar per step):
     * pairs exp(gam_i - gam_j) masked to j <= i [R, c, c], g = exp(gam) [R, c] (from the chunk's start),
     * toEnd = exp(gam_last - gam) [R, c] (to the chunk's end), total = exp(gam_last) [R]. All <= 1.
     */
    record Decays(INDArray pairs, INDArray g, INDArray toEnd, INDArray total) {
        static Decays of(INDArray gam) {
            if (gam == null) {
                return null;
            }
            long c = gam.size(1);
            INDArray last = gam.get(NDArrayIndex.all(), NDArrayIndex.point(c - 1)).dup();
            INDArray toEnd = Transforms.exp(gam.neg().addiColumnVector(last.reshape(-1, 1)), false);
            return new Decays(decayMatrix(gam), Transforms.exp(gam, true), toEnd, Transforms.exp(last, false));
        }
    }

    /**
     * (I + A)^-1 for strictly lower A [R, c, c] by block doubling (see {@link DeltaRuleChunked}) on compact
     * blocks: T_s is block-diagonal and E_s only fills the lower-left s x s block of each 2s-block, so a
     * level is T_2s's lower-left blocks -T_hi E T_lo, s^3 per block (c s^2 per chunk, not c^3 for dense
     * products at every level). c is padded to a power of two with zero rows (the inverse of the padded
     * matrix is diag(T, I)).
     */
    static INDArray unitLowerInverse(INDArray a) {
        long r = a.size(0);
        int c = Math.toIntExact(a.size(1));
        DataType dt = a.dataType();
        int cp = Integer.highestOneBit(c) == c ? c : Integer.highestOneBit(c) * 2;
        if (cp != c) {
            INDArray p = Nd4j.zeros(dt, r, cp, cp);
            p.get(NDArrayIndex.all(), NDArrayIndex.interval(0, c), NDArrayIndex.interval(0, c)).assign(a);
            a = p;
        }
        // A's diagonal blocks of every size, top-down: those of size s are the diagonal halves of size 2s's
        java.util.Map<Integer, INDArray> diag = new java.util.HashMap<>();
        INDArray d = a.reshape(r, 1, cp, cp);
        for (int size = cp; size > 1; size /= 2) {
            diag.put(size, d);
            int half = size / 2;
            INDArray next = Nd4j.createUninitialized(dt, r, cp / size, 2, half, half);
            next.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all(),
                    NDArrayIndex.all()).assign(d.get(NDArrayIndex.all(), NDArrayIndex.all(),
                    NDArrayIndex.interval(0, half), NDArrayIndex.interval(0, half)));
            next.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(1), NDArrayIndex.all(),
                    NDArrayIndex.all()).assign(d.get(NDArrayIndex.all(), NDArrayIndex.all(),
                    NDArrayIndex.interval(half, size), NDArrayIndex.interval(half, size)));
            d = next.reshape(r, cp / half, half, half);
        }
        INDArray tb = Nd4j.ones(dt, r, cp, 1, 1); // the diagonal s-blocks of T_s, [R, cp/s, s, s]
        for (int s = 1; s < cp; s *= 2) {
            int m2 = cp / (2 * s);
            INDArray ad = diag.get(2 * s); // [R, m2, 2s, 2s]
            INDArray e = ad.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(s, 2 * s),
                    NDArrayIndex.interval(0, s)).dup('c').reshape(r * m2, s, s);
            INDArray pairs = tb.reshape(r, m2, 2, s, s);
            INDArray lo = pairs.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all(),
                    NDArrayIndex.all()).dup('c');
            INDArray hi = pairs.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(1), NDArrayIndex.all(),
                    NDArrayIndex.all()).dup('c');
            INDArray ll = small(small(hi.reshape(r * m2, s, s), e), lo.reshape(r * m2, s, s)).negi();
            INDArray next = Nd4j.zeros(dt, r, m2, 2 * s, 2 * s);
            next.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, s), NDArrayIndex.interval(0, s))
                    .assign(lo);
            next.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(s, 2 * s),
                    NDArrayIndex.interval(s, 2 * s)).assign(hi);
            next.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(s, 2 * s),
                    NDArrayIndex.interval(0, s)).assign(ll.reshape(r, m2, s, s));
            tb = next;
        }
        INDArray t = tb.reshape(r, cp, cp);
        return cp == c ? t : t.get(NDArrayIndex.all(), NDArrayIndex.interval(0, c), NDArrayIndex.interval(0, c))
                .dup('c');
    }

    /**
     * a b per leading index for [R, s, s] blocks: up to 4 x 4 as a broadcast product summed (a batched gemm
     * pays a per-matrix overhead that dwarfs a tiny block: 73 ms for 12,288 1 x 1 products), else bmm.
     */
    private static INDArray small(INDArray a, INDArray b) {
        long r = a.size(0), s = a.size(1);
        if (s > 4) {
            return bmm(a, b, false, false);
        }
        return a.reshape(r, s, s, 1).mul(b.reshape(r, 1, s, s)).sum(2);
    }

    /** U[m][i] = 1 for m <= i: rows times U are inclusive prefix sums. */
    static INDArray upper(int c, DataType dt) {
        return constant("upper", c, dt, (i, j) -> i <= j, 1, 0);
    }

    /** 1 on and below the diagonal: the causal pairs. */
    static INDArray lower(int c, DataType dt) {
        return constant("lower", c, dt, (i, j) -> j <= i, 1, 0);
    }

    /** 1 strictly below the diagonal. */
    static INDArray strict(int c, DataType dt) {
        return constant("strict", c, dt, (i, j) -> j < i, 1, 0);
    }

    static INDArray maskBias(int c, DataType dt) {
        return constant("maskbias", c, dt, (i, j) -> j <= i, 0, MASKED);
    }

    static INDArray eye(int c, DataType dt) {
        return constant("eye", c, dt, (i, j) -> i == j, 1, 0);
    }

    private static INDArray constant(String kind, int c, DataType dt, BiPredicate<Integer, Integer> on, double yes,
                                     double no) {
        return CONSTANTS.computeIfAbsent(kind + ":" + c + ":" + dt, key -> {
            double[] m = new double[c * c];
            for (int i = 0; i < c; i++) {
                for (int j = 0; j < c; j++) {
                    m[i * c + j] = on.test(i, j) ? yes : no;
                }
            }
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                return Nd4j.create(m, new long[] {c, c}, DataType.DOUBLE).castTo(dt);
            }
        });
    }
}
