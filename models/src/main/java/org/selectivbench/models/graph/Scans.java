package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Chunked parallel forms of linear recurrences, built from a constant number of large ops (no
 * per-step or per-chunk loop), so the op count does not grow with the sequence length.
 */
public final class Scans {
    private Scans() {
    }

    /**
     * A scan's output and, when it started from a given state (a segment of a long evaluation), its
     * state after the last step (else null).
     */
    record Result(SDVariable out, SDVariable end) {
    }

    /** The chunk length used for a graph of {@code steps} steps: the whole sequence when it is short. */
    static int chunk(int steps, int chunkSize) {
        int c = Math.min(chunkSize, steps);
        if (steps % c != 0) {
            throw new IllegalArgumentException("sequence length " + steps + " is not a multiple of chunk " + c
                    + " (the model pads it; this is a bug)");
        }
        return c;
    }

    /**
     * Up to this many chunks, the states entering the chunks are one matmul with the pairwise chunk
     * decays (a [G, n, n] array and a constant of n^3 entries: 262,144 at 64 chunks); beyond, a prefix
     * scan over the chunks (log2 n levels on arrays the size of the states), whose memory grows as
     * n log n but which keeps several state-sized arrays per level: at the bench shape Mamba2's
     * states are 117 MB per array and the scan alone passed the 14 GB cap, so short sequences keep
     * the pairwise form.
     */
    static final int PAIRWISE_MAX_CHUNKS = 64;

    /**
     * States entering each of n chunks under a scalar decay per sequence:
     * E_c = sum_{c' < c} exp(sum_{c' < m < c} tot_m) S_c' (products of decays in (0, 1], never
     * differences of a global cumulative sum, which lose precision on long sequences).
     *
     * @param tot    [G, n] each chunk's total log decay
     * @param states [G, n, X] each chunk's end state from its own inputs
     * @return [G, n, X]
     */
    static SDVariable entering(GraphBuilder g, String name, SDVariable tot, SDVariable states, int n, int pairwiseMax) {
        SameDiff sd = g.sd();
        if (n > pairwiseMax) {
            return SelectiveScan.entering(sd, Blocks.spread(sd, states, sd.math().exp(tot).reshape(-1, n, 1)),
                    states, n);
        }
        double[][] between = new double[n][n * n]; // tot [G, n] times this: sum of tot_m for c' < m < c
        for (int m = 0; m < n; m++) {
            for (int ci = 0; ci < n; ci++) {
                for (int cj = 0; cj < n; cj++) {
                    between[m][ci * n + cj] = cj < m && m < ci ? 1 : 0;
                }
            }
        }
        SDVariable chunkSeg = tot.mmul(g.constant(name + ".between", org.nd4j.linalg.factory.Nd4j.createFromArray(between)))
                .reshape(-1, n, n)
                .add(g.constant(name + ".strictbias", Blocks.matrix(n, (i, j) -> j < i, 0, Blocks.MASKED)));
        return sd.mmul(sd.math().exp(chunkSeg), states);
    }

    /**
     * {@link #entering}, from a start state when one is given (a segment of a long evaluation): the
     * states entering each of the n chunks [G, n, X], and then the state after the last [G, X]. The
     * start state is taken as the end state of one more chunk in front (total log decay 0), and an
     * empty chunk is added behind, so the entering states of n + 2 chunks hold both.
     */
    static Result enteringFrom(GraphBuilder g, String name, SDVariable tot, SDVariable states, SDVariable start,
                               int n, int x, int pairwiseMax) {
        if (start == null) {
            return new Result(entering(g, name, tot, states, n, pairwiseMax), null);
        }
        SameDiff sd = g.sd();
        SDVariable tot2 = sd.nn().pad(tot, sd.constant(Nd4j.createFromArray(new int[][] {{0, 0}, {1, 1}})), 0.0);
        SDVariable states2 = sd.concat(1, start.reshape(-1, 1, x), sd.nn().pad(states,
                sd.constant(Nd4j.createFromArray(new int[][] {{0, 0}, {0, 1}, {0, 0}})), 0.0));
        SDVariable e = entering(g, name, tot2, states2, n + 2, pairwiseMax);
        return new Result(e.get(SDIndex.all(), SDIndex.interval(1, n + 1), SDIndex.all()),
                e.get(SDIndex.all(), SDIndex.interval(n + 1, n + 2), SDIndex.all()).reshape(-1, x));
    }

    /**
     * Scalar-decay linear attention, per sequence g (a batch row times a head):
     * S_t = exp(a_t) S_{t-1} + k_t v_t^T, o_t = S_t^T q_t (S is K x V, S_0 = 0). This is linear
     * attention (a = null: no decay) and Mamba2's SSD (q = C, k = B, v = dt x, a = dt A).
     *
     * <p>Inside a chunk of C steps: o = ((q k^T) * D) v with D_ij = exp(cs_i - cs_j) for j <= i, where
     * cs is the chunk-local cumulative log decay (a matmul with a triangular constant; SameDiff's
     * cumsum gradient is wrong in M2.1). The mask is added as -1e30 before exp, so the upper triangle
     * (where cs_i - cs_j > 0 may overflow) is exp(-1e30) = 0 with a zero gradient, never inf * 0.
     * Across chunks: each chunk's end state S_c = (k * exp(cs_last - cs))^T v, and the state entering
     * chunk c is sum_{c' < c} exp(sum_{c' < m < c} tot_m) S_c', tot a chunk's total log decay
     * ({@link #entering}: pairwise up to {@link #PAIRWISE_MAX_CHUNKS} chunks, a prefix scan beyond).
     *
     * @param q [G, T, K]
     * @param k [G, T, K]
     * @param v [G, T, V]
     * @param a [G, T] log decay (<= 0), or null for no decay
     * @param start [G, K, V] the state before the first step, or null for 0
     * @return o [G, T, V], and the state after the last step [G, K, V] when {@code start} is given
     */
    public static Result scalarDecay(GraphBuilder g, String name, SDVariable q, SDVariable k, SDVariable v,
                                     SDVariable a, int kDim, int vDim, int chunkSize, SDVariable start) {
        return scalarDecay(g, name, q, k, v, a, kDim, vDim, chunkSize, PAIRWISE_MAX_CHUNKS, start);
    }

    static Result scalarDecay(GraphBuilder g, String name, SDVariable q, SDVariable k, SDVariable v,
                              SDVariable a, int kDim, int vDim, int chunkSize, int pairwiseMax, SDVariable start) {
        SameDiff sd = g.sd();
        int t = g.steps();
        int c = chunk(t, chunkSize);
        int n = t / c;
        SDVariable qc = q.reshape(-1, c, kDim);
        SDVariable kc = k.reshape(-1, c, kDim);
        SDVariable vc = v.reshape(-1, c, vDim);
        SDVariable scores = sd.mmul(qc, kc, false, true, false); // [G*n, C, C]
        if (a == null) {
            SDVariable lower = g.constant(name + ".lower", Blocks.matrix(c, (i, j) -> j <= i, 1, 0));
            SDVariable intra = sd.mmul(scores.mul(lower), vc);
            if (n == 1 && start == null) {
                return new Result(intra.reshape(-1, t, vDim), null);
            }
            SDVariable chunkState = sd.mmul(kc, vc, true, false, false); // [G*n, K, V]
            // Exclusive prefix sum over chunks: rows (g, kv) times a strictly-lower [n, n]^T.
            SDVariable strictT = g.constant(name + ".strictT", Blocks.matrix(n, (i, j) -> i < j, 1, 0));
            SDVariable prefix = chunkState.reshape(-1, n, kDim * vDim).permute(0, 2, 1).reshape(-1, n)
                    .mmul(strictT).reshape(-1, kDim * vDim, n).permute(0, 2, 1); // [G, n, K*V]
            SDVariable end = null;
            if (start != null) { // no decay: the start state adds to every prefix
                SDVariable s0 = start.reshape(-1, 1, kDim * vDim);
                prefix = prefix.add(s0);
                end = chunkState.reshape(-1, n, kDim * vDim).sum(1).add(s0.reshape(-1, kDim * vDim))
                        .reshape(-1, kDim, vDim);
            }
            return new Result(intra.add(sd.mmul(qc, prefix.reshape(-1, kDim, vDim))).reshape(-1, t, vDim), end);
        }
        SDVariable ac = a.reshape(-1, c);
        SDVariable upper = g.constant(name + ".cumsum", Blocks.matrix(c, (i, j) -> i <= j, 1, 0));
        SDVariable cs = ac.mmul(upper); // cs_i = sum_{j <= i} a_j within the chunk
        SDVariable seg = cs.reshape(-1, c, 1).sub(cs.reshape(-1, 1, c))
                .add(g.constant(name + ".maskbias", Blocks.matrix(c, (i, j) -> j <= i, 0, Blocks.MASKED)));
        SDVariable intra = sd.mmul(scores.mul(sd.math().exp(seg)), vc);
        if (n == 1 && start == null) {
            return new Result(intra.reshape(-1, t, vDim), null);
        }
        SDVariable last = cs.get(SDIndex.all(), SDIndex.interval(c - 1, c)); // [G*n, 1]
        SDVariable toEnd = sd.math().exp(last.sub(cs)).reshape(-1, c, 1);
        SDVariable chunkState = sd.mmul(kc.mul(toEnd), vc, true, false, false); // [G*n, K, V]
        SDVariable states = chunkState.reshape(-1, n, kDim * vDim);
        Result enter = enteringFrom(g, name, last.reshape(-1, n), states, start, n, kDim * vDim, pairwiseMax);
        SDVariable inter = sd.mmul(qc.mul(sd.math().exp(cs).reshape(-1, c, 1)), enter.out().reshape(-1, kDim, vDim));
        return new Result(intra.add(inter).reshape(-1, t, vDim),
                enter.end() == null ? null : enter.end().reshape(-1, kDim, vDim));
    }

    /**
     * {@link #scalarDecay} for heads that share q and k (Mamba2's SSD: C and B are shared by the
     * heads, v = dt x and the decay a = dt A are per head), without tiling q and k over the heads:
     * every product that involves them is taken once and contracted before anything is expanded to
     * the heads. Scores q k^T are [B*n, C, C] for all heads (the per-head decay mask multiplies them);
     * a chunk's end state uses k^T (exp(cs_last - cs) v) (the decay moves onto v, P wide, not onto k,
     * N wide), and the entering state's readout is exp(cs) (q S) for all heads in one matmul. With
     * Mamba2's d-state 128 and 8 heads this keeps [B, heads, T, N] tensors out of the graph.
     * Same semantics and masking as {@link #scalarDecay}, per head h:
     * S_t = exp(a_t,h) S_{t-1} + k_t v_t,h^T, o_t,h = S_t^T q_t.
     *
     * @param q [B, T, N] shared by the heads
     * @param k [B, T, N] shared by the heads
     * @param v [B*T, H*P] rows, columns (head, p)
     * @param a [B*T, H] log decay (<= 0)
     * @param start [B*H, N, P] the state before the first step, or null for 0
     * @return o [B*T, H*P] rows, columns (head, p), and the state after the last step [B*H, N, P] when
     *         {@code start} is given
     */
    public static Result sharedKeyDecay(GraphBuilder g, String name, SDVariable q, SDVariable k, SDVariable v,
                                        SDVariable a, int heads, int nDim, int pDim, int chunkSize, SDVariable start) {
        return sharedKeyDecay(g, name, q, k, v, a, heads, nDim, pDim, chunkSize, PAIRWISE_MAX_CHUNKS, start);
    }

    static Result sharedKeyDecay(GraphBuilder g, String name, SDVariable q, SDVariable k, SDVariable v,
                                 SDVariable a, int heads, int nDim, int pDim, int chunkSize, int pairwiseMax,
                                 SDVariable start) {
        SameDiff sd = g.sd();
        int t = g.steps();
        int c = chunk(t, chunkSize);
        int n = t / c;
        int h = heads;
        SDVariable qc = q.reshape(-1, c, nDim); // [B*n, C, N]
        SDVariable kc = k.reshape(-1, c, nDim);
        SDVariable scores = sd.mmul(qc, kc, false, true, false); // [B*n, C, C], all heads
        // per-head chunk-local cumulative log decay, rows (b, chunk, head): [B*n*H, C]
        SDVariable ah = a.reshape(-1, c, h).permute(0, 2, 1).reshape(-1, c);
        SDVariable upper = g.constant(name + ".cumsum", Blocks.matrix(c, (i, j) -> i <= j, 1, 0));
        SDVariable cs = ah.mmul(upper);
        SDVariable seg = cs.reshape(-1, c, 1).sub(cs.reshape(-1, 1, c))
                .add(g.constant(name + ".maskbias", Blocks.matrix(c, (i, j) -> j <= i, 0, Blocks.MASKED)));
        SDVariable decayMask = sd.math().exp(seg).reshape(-1, h, c, c); // [B*n, H, C, C]
        SDVariable weighted = decayMask.mul(scores.reshape(-1, 1, c, c)).reshape(-1, c, c); // [B*n*H, C, C]
        SDVariable vh = v.reshape(-1, c, h, pDim).permute(0, 2, 1, 3).reshape(-1, c, pDim); // [B*n*H, C, P]
        SDVariable intra = sd.mmul(weighted, vh); // [B*n*H, C, P]
        if (n == 1 && start == null) {
            return new Result(intra.reshape(-1, h, c, pDim).permute(0, 2, 1, 3).reshape(-1, h * pDim), null);
        }
        SDVariable last = cs.get(SDIndex.all(), SDIndex.interval(c - 1, c)); // [B*n*H, 1]
        SDVariable toEnd = sd.math().exp(last.sub(cs)).reshape(-1, c, 1);
        // decayed values, back to [B*n, C, H*P], then one contraction with k for all heads
        SDVariable vEnd = vh.mul(toEnd).reshape(-1, h, c, pDim).permute(0, 2, 1, 3).reshape(-1, c, h * pDim);
        SDVariable chunkState = sd.mmul(kc, vEnd, true, false, false); // [B*n, N, H*P]
        // per (b, head): chunk states as rows [n, N*P]
        SDVariable states = chunkState.reshape(-1, n, nDim, h, pDim).permute(0, 3, 1, 2, 4)
                .reshape(-1, n, nDim * pDim); // [B*H, n, N*P]
        // chunk totals per (b, head): [B*H, n]
        SDVariable tot = last.reshape(-1, n, h).permute(0, 2, 1).reshape(-1, n);
        Result from = enteringFrom(g, name, tot, states, start, n, nDim * pDim, pairwiseMax);
        SDVariable entering = from.out(); // [B*H, n, N*P]
        SDVariable enter = entering.reshape(-1, h, n, nDim, pDim).permute(0, 2, 3, 1, 4)
                .reshape(-1, nDim, h * pDim); // [B*n, N, H*P]
        SDVariable qs = sd.mmul(qc, enter).reshape(-1, c, h, pDim); // [B*n, C, H, P]
        SDVariable csRows = sd.math().exp(cs).reshape(-1, h, c).permute(0, 2, 1).reshape(-1, c, h, 1);
        SDVariable inter = qs.mul(csRows);
        SDVariable intraRows = intra.reshape(-1, h, c, pDim).permute(0, 2, 1, 3);
        return new Result(intraRows.add(inter).reshape(-1, h * pDim),
                from.end() == null ? null : from.end().reshape(-1, nDim, pDim));
    }
}
