package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The chunked (WY / UT-transform) form of the gated delta rule, per sequence g (a batch row times a head):
 * S_t = alpha_t (I - beta_t k_t k_t^T) S_{t-1} + beta_t k_t v_t^T, o_t = S_t^T q_t, S K x V, S_0 = 0 (or a
 * given start state),
 * alpha_t = exp(a_t) (a = null: alpha = 1, DeltaNet). Equivalently S' = alpha S, S = S' + beta k (v - S'^T k)^T.
 *
 * <p>Inside a chunk of C steps, with gam the chunk-local cumulative log decay (a matmul with a constant
 * triangular matrix; SameDiff's cumsum gradient is wrong in M2.1) and Gam_ij = exp(gam_i - gam_j) for
 * j <= i (mask added as -1e30 before exp, so nothing overflows and no inf meets a 0):
 * <pre>
 *   A = strictly-lower(diag(beta) K K^T * Gam),  T = (I + A)^-1
 *   W = T diag(beta exp(gam)) K,  U = T diag(beta) V          (the WY / UT transform)
 *   o = (Q exp(gam) - P W) S_in + P U,   P = (Q K^T) * Gam (lower, with diagonal)
 *   S_out = M S_in + B,  M = exp(gam_C) I - Kd^T W,  B = Kd^T U,  Kd = K exp(gam_C - gam)
 * </pre>
 * T is built by recursive block doubling: with T_s the inverse of the block-diagonal part of I + A
 * with blocks of size s, and E_s the part of A joining two s-blocks into one 2s-block,
 * T_2s = T_s - T_s E_s T_s (exact: T_s E_s is nilpotent of order 2). That is block forward
 * substitution (as stable as the inverse itself, unlike the power-series product identity whose
 * intermediate terms can be huge), in ceil(log2 C) levels of two batched matmuls each.
 *
 * <p>Everything is batched over all chunks; the chunk-to-chunk recurrence S_{i+1} = M_i S_i + B_i is
 * a prefix scan over the chunks ({@link #entering}), then every chunk's inter-chunk output is one
 * batched matmul. A length that the chunk does not divide is
 * padded at the end inside the scan (k = v = beta = a = 0 there; causal, so outputs are unaffected).
 */
public final class DeltaRuleScan {
    private DeltaRuleScan() {
    }

    /**
     * @param q    [G, T, K]
     * @param k    [G, T, K]
     * @param v    [G, T, V]
     * @param beta [G, T]
     * @param a    [G, T] log decay (<= 0), or null for none
     * @param t    the length T (static)
     * @param start [G, K, V] the state before the first step (a segment of a long evaluation), or null for 0
     * @return o [G, T, V], and the state after the last step [G, K, V] when {@code start} is given
     */
    public static Scans.Result scan(GraphBuilder g, String name, SDVariable q, SDVariable k, SDVariable v,
                                    SDVariable beta, SDVariable a, int t, int kDim, int vDim, int chunkSize,
                                    SDVariable start) {
        SameDiff sd = g.sd();
        int c = Math.min(chunkSize, t);
        int n = (t + c - 1) / c;
        int tp = n * c;
        if (tp != t) {
            q = padTime(sd, q, tp - t, 3);
            k = padTime(sd, k, tp - t, 3);
            v = padTime(sd, v, tp - t, 3);
            beta = padTime(sd, beta, tp - t, 2);
            a = a == null ? null : padTime(sd, a, tp - t, 2);
        }
        SDVariable qc = q.reshape(-1, c, kDim);
        SDVariable kc = k.reshape(-1, c, kDim);
        SDVariable vc = v.reshape(-1, c, vDim);
        SDVariable bc = beta.reshape(-1, c, 1);
        SDVariable gam; // [G*n, C, C], or null without decay
        SDVariable eg = null, toEnd = null, endDecay = null;
        if (a != null) {
            SDVariable upper = g.constant(name + ".cumsum", Blocks.matrix(c, (i, j) -> i <= j, 1, 0));
            SDVariable cs = a.reshape(-1, c).mmul(upper); // chunk-local cumulative log decay
            gam = sd.math().exp(cs.reshape(-1, c, 1).sub(cs.reshape(-1, 1, c))
                    .add(g.constant(name + ".maskbias", Blocks.matrix(c, (i, j) -> j <= i, 0, Blocks.MASKED))));
            eg = sd.math().exp(cs).reshape(-1, c, 1);
            SDVariable last = cs.get(SDIndex.all(), SDIndex.interval(c - 1, c)); // [G*n, 1]
            toEnd = sd.math().exp(last.sub(cs)).reshape(-1, c, 1);
            endDecay = sd.math().exp(last).reshape(-1, 1, 1);
        } else {
            gam = null;
        }
        SDVariable bk = kc.mul(bc);
        // diag(beta) K K^T as (beta K) K^T: a row scaling of [C, C] is a broadcast multiply (slow backprop)
        SDVariable kkt = sd.mmul(bk, kc, false, true, false); // [G*n, C, C]
        INDArray strict = Blocks.matrix(c, (i, j) -> j < i, 1, 0);
        SDVariable am = Blocks.maskBlocks(g, name + ".strict", a != null ? kkt.mul(gam) : kkt, strict);
        SDVariable tm = unitLowerInverse(g, name, am, c);
        SDVariable w = sd.mmul(tm, a != null ? bk.mul(eg) : bk); // [G*n, C, K]
        SDVariable u = sd.mmul(tm, vc.mul(bc)); // [G*n, C, V]
        SDVariable qk = sd.mmul(qc, kc, false, true, false);
        SDVariable p = a != null ? qk.mul(gam)
                : Blocks.maskBlocks(g, name + ".lower", qk, Blocks.matrix(c, (i, j) -> j <= i, 1, 0));
        SDVariable intra = sd.mmul(p, u); // [G*n, C, V]
        SDVariable end = null;
        if (n > 1 || start != null) {
            SDVariable qeff = (a != null ? qc.mul(eg) : qc).sub(sd.mmul(p, w)); // [G*n, C, K]
            SDVariable kd = a != null ? kc.mul(toEnd) : kc;
            SDVariable eye = g.constant(name + ".eye", Nd4j.eye(kDim));
            SDVariable kdw = sd.mmul(kd, w, true, false, false); // [G*n, K, K]
            // exp(gam_C) I per chunk as an outer product (a matmul), not a broadcast multiply
            SDVariable m = (a != null ? endDecay.reshape(-1, 1).mmul(eye.reshape(1, kDim * kDim))
                    .reshape(-1, kDim, kDim) : eye).sub(kdw);
            SDVariable mc = m.reshape(-1, n, kDim, kDim);
            SDVariable bc4 = sd.mmul(kd, u, true, false, false).reshape(-1, n, kDim, vDim); // B per chunk
            SDVariable first = null; // the start state as chunk 0's entering state, zeros for the others
            if (start != null) {
                first = sd.nn().pad(start.reshape(-1, 1, kDim, vDim),
                        sd.constant(Nd4j.createFromArray(new int[][] {{0, 0}, {0, n - 1}, {0, 0}, {0, 0}})), 0.0);
                // chunk 0 ends at M_0 start + B_0: fold it into B_0, one [K, K] x [K, V] product per sequence
                SDVariable m0 = mc.get(SDIndex.all(), SDIndex.interval(0, 1), SDIndex.all(), SDIndex.all());
                SDVariable b0 = bc4.get(SDIndex.all(), SDIndex.interval(0, 1), SDIndex.all(), SDIndex.all())
                        .add(sd.mmul(m0.reshape(-1, kDim, kDim), start).reshape(-1, 1, kDim, vDim));
                bc4 = n == 1 ? b0 : sd.concat(1, b0, bc4.get(SDIndex.all(), SDIndex.interval(1, n), SDIndex.all(),
                        SDIndex.all()));
            }
            SDVariable after = afterEach(sd, mc, bc4, n, kDim, vDim); // [G, n, K, V], the state after each chunk
            SDVariable entering = Blocks.later(sd, after, 4, 1, 1, n, 0.0);
            if (first != null) {
                entering = entering.add(first);
                end = after.get(SDIndex.all(), SDIndex.interval(n - 1, n), SDIndex.all(), SDIndex.all())
                        .reshape(-1, kDim, vDim);
            }
            intra = intra.add(sd.mmul(qeff, entering.reshape(-1, kDim, vDim)));
        }
        SDVariable o = intra.reshape(-1, tp, vDim);
        return new Scans.Result(tp == t ? o : o.get(SDIndex.all(), SDIndex.interval(0, t), SDIndex.all()), end);
    }

    /**
     * Gated DeltaProduct (n_h Householder sub-steps per token): S = alpha_t S, then for j = 1..n_h
     * S = S + beta_tj k_tj (v_tj - S^T k_tj)^T, o_t = S^T q_t after the last. Run as the delta rule on
     * a sequence n_h times longer: decay on each token's first sub-step, query on its last.
     *
     * @param q    [G, T, K]
     * @param k    [G, T, nh, K]
     * @param v    [G, T, nh, V]
     * @param beta [G, T, nh]
     * @param a    [G, T] log decay, or null
     * @param start [G, K, V] the state before the first step, or null for 0
     * @return o [G, T, V], and the state after the last step when {@code start} is given
     */
    public static Scans.Result product(GraphBuilder g, String name, SDVariable q, SDVariable k, SDVariable v,
                                       SDVariable beta, SDVariable a, int t, int nh, int kDim, int vDim,
                                       int chunkSize, SDVariable start) {
        if (nh == 1) {
            return scan(g, name, q, k.reshape(-1, t, kDim), v.reshape(-1, t, vDim), beta.reshape(-1, t), a, t,
                    kDim, vDim, chunkSize, start);
        }
        SameDiff sd = g.sd();
        SDVariable qq = sd.nn().pad(q.reshape(-1, t, 1, kDim),
                sd.constant(Nd4j.createFromArray(new int[][] {{0, 0}, {0, 0}, {nh - 1, 0}, {0, 0}})), 0.0)
                .reshape(-1, t * nh, kDim);
        SDVariable aa = a == null ? null : sd.nn().pad(a.reshape(-1, t, 1),
                sd.constant(Nd4j.createFromArray(new int[][] {{0, 0}, {0, 0}, {0, nh - 1}})), 0.0)
                .reshape(-1, t * nh);
        Scans.Result r = scan(g, name, qq, k.reshape(-1, t * nh, kDim), v.reshape(-1, t * nh, vDim),
                beta.reshape(-1, t * nh), aa, t * nh, kDim, vDim, chunkSize, start);
        return new Scans.Result(r.out().reshape(-1, t, nh, vDim).get(SDIndex.all(), SDIndex.all(),
                SDIndex.interval(nh - 1, nh), SDIndex.all()).reshape(-1, t, vDim), r.end());
    }

    /**
     * The state after each chunk, from S_0 = 0 and S_{c+1} = M_c S_c + B_c: a Hillis-Steele prefix
     * scan over the n chunks with matrix transitions (level s: B_c += M_c B_{c-s}, M_c = M_c M_{c-s},
     * zeros shifted in front, which only ever meet zeros), log2(n) levels of two batched matmuls, so
     * the op count does not grow with the length (a task-4 evaluation at paper scale has over a
     * thousand chunks; the first version unrolled one matmul per chunk). The state entering chunk c
     * is the one after chunk c - 1.
     *
     * @param m [G, n, K, K]
     * @param b [G, n, K, V]
     * @return [G, n, K, V]
     */
    static SDVariable afterEach(SameDiff sd, SDVariable m, SDVariable b, int n, int kDim, int vDim) {
        for (int s = 1; s < n; s *= 2) {
            SDVariable earlier = Blocks.later(sd, b, 4, 1, s, n, 0.0).reshape(-1, kDim, vDim);
            SDVariable mNow = m.reshape(-1, kDim, kDim);
            b = b.add(sd.mmul(mNow, earlier).reshape(-1, n, kDim, vDim));
            if (2 * s < n) {
                m = sd.mmul(mNow, Blocks.later(sd, m, 4, 1, s, n, 0.0).reshape(-1, kDim, kDim)).reshape(-1, n, kDim, kDim);
            }
        }
        return b;
    }

    /** (I + A)^-1 for strictly-lower A [G, C, C], by block doubling (see the class comment). */
    static SDVariable unitLowerInverse(GraphBuilder g, String name, SDVariable a, int c) {
        SDVariable eye = g.constant(name + ".eyeC", Nd4j.eye(c));
        SDVariable tm = null;
        for (int s = 1; s < c; s *= 2) {
            final int bs = s;
            SDVariable e = Blocks.maskBlocks(g, name + ".join" + s, a,
                    Blocks.matrix(c, (i, j) -> i / (2 * bs) == j / (2 * bs) && i / bs != j / bs && j < i, 1, 0));
            tm = tm == null ? eye.sub(e) : tm.sub(g.sd().mmul(g.sd().mmul(tm, e), tm));
        }
        return tm == null ? eye.add(a.mul(0.0)) : tm;
    }

    /** Zero-pads axis 1 at the end by {@code extra} steps. */
    private static SDVariable padTime(SameDiff sd, SDVariable x, int extra, int rank) {
        int[][] p = new int[rank][2];
        p[1][1] = extra;
        return sd.nn().pad(x, sd.constant(Nd4j.createFromArray(p)), 0.0);
    }
}
