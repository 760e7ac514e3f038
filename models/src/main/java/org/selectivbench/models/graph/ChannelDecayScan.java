package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * Chunked form of the per-key-channel decay recurrence (GLA), per sequence g:
 * S_t = diag(exp(a_t)) S_{t-1} + k_t v_t^T, o_t = S_t^T q_t, with a_t a K-wide log decay (<= 0).
 *
 * <p>Inside a chunk, with b the chunk-local cumulative log decay (a matmul with a triangular constant):
 * o_i = sum_{j <= i} P_ij v_j, P_ij = sum_k q_ik k_jk exp(b_ik - b_jk). The decay factor is taken per
 * (i, j, k) as exp(b_i - b_j + mask), the mask added as -1e30 before exp, never as exp(b_i) exp(-b_j),
 * whose second factor overflows when a chunk decays by more than about 88 nats. That makes the
 * intra-chunk tensor [G*n, K, C, C], C times larger than a scalar-decay scan's, hence short chunks.
 * The outer products q_i k_j per channel are one batched matmul (its backprop is a matmul, where a
 * broadcast multiply's backprop tiles element by element in M2.1).
 *
 * <p>Across chunks, without a loop: a chunk's end state S_c = (k exp(b_last - b))^T v, and the state
 * entering chunk c is sum_{c' < c} diag(exp(sum_{c' < m < c} tot_m)) S_c', tot a chunk's total log
 * decay per key channel ({@link Scans#entering} per channel: pairwise or a prefix scan).
 */
public final class ChannelDecayScan {
    private ChannelDecayScan() {
    }

    /**
     * @param q [G, T, K]
     * @param k [G, T, K]
     * @param a [G, T, K] log decay (<= 0)
     * @param v [G, T, V]
     * @param start [G, K, V] the state before the first step, or null for 0
     * @return o [G, T, V], and the state after the last step [G, K, V] when {@code start} is given
     */
    public static Scans.Result scan(GraphBuilder g, String name, SDVariable q, SDVariable k, SDVariable a,
                                    SDVariable v, int kDim, int vDim, int chunkSize, SDVariable start) {
        return scan(g, name, q, k, a, v, kDim, vDim, chunkSize, Scans.PAIRWISE_MAX_CHUNKS, start);
    }

    static Scans.Result scan(GraphBuilder g, String name, SDVariable q, SDVariable k, SDVariable a,
                             SDVariable v, int kDim, int vDim, int chunkSize, int pairwiseMax, SDVariable start) {
        SameDiff sd = g.sd();
        int t = g.steps();
        int c = Scans.chunk(t, chunkSize);
        int n = t / c;
        // channel-major chunks: [G*n, K, C]
        SDVariable qt = q.reshape(-1, c, kDim).permute(0, 2, 1);
        SDVariable kt = k.reshape(-1, c, kDim).permute(0, 2, 1);
        SDVariable vc = v.reshape(-1, c, vDim);
        SDVariable upper = g.constant(name + ".cumsum", Blocks.matrix(c, (i, j) -> i <= j, 1, 0));
        SDVariable b = a.reshape(-1, c, kDim).permute(0, 2, 1).reshape(-1, c).mmul(upper); // [G*n*K, C]
        SDVariable decay = sd.math().exp(b.reshape(-1, c, 1).sub(b.reshape(-1, 1, c))
                .add(g.constant(name + ".maskbias", Blocks.matrix(c, (i, j) -> j <= i, 0, Blocks.MASKED))));
        SDVariable outer = sd.mmul(qt.reshape(-1, c, 1), kt.reshape(-1, 1, c)); // [G*n*K, C, C]
        SDVariable p = outer.mul(decay).reshape(-1, kDim, c, c).sum(1); // [G*n, C, C]
        SDVariable intra = sd.mmul(p, vc); // [G*n, C, V]
        if (n == 1 && start == null) {
            return new Scans.Result(intra.reshape(-1, t, vDim), null);
        }
        SDVariable last = b.get(SDIndex.all(), SDIndex.interval(c - 1, c)); // [G*n*K, 1]
        SDVariable kEnd = kt.mul(sd.math().exp(last.sub(b)).reshape(-1, kDim, c));
        SDVariable states = sd.mmul(kEnd, vc).reshape(-1, n, kDim, vDim); // [G, n, K, V]
        // per (sequence, key channel) the decay is a scalar: rows [G*K, n, V]
        SDVariable tot = last.reshape(-1, n, kDim).permute(0, 2, 1).reshape(-1, n); // [G*K, n]
        SDVariable rows = states.permute(0, 2, 1, 3).reshape(-1, n, vDim);
        Scans.Result from = Scans.enteringFrom(g, name, tot, rows, start == null ? null : start.reshape(-1, vDim), n,
                vDim, pairwiseMax);
        SDVariable entering = from.out().reshape(-1, kDim, n, vDim).permute(0, 2, 1, 3).reshape(-1, kDim, vDim); // [G*n, K, V]
        SDVariable qDecayed = qt.mul(sd.math().exp(b).reshape(-1, kDim, c)); // [G*n, K, C]
        SDVariable inter = sd.mmul(qDecayed, entering, true, false, false); // [G*n, C, V]
        return new Scans.Result(intra.add(inter).reshape(-1, t, vDim),
                from.end() == null ? null : from.end().reshape(-1, kDim, vDim));
    }
}
