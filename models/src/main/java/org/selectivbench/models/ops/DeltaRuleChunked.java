package org.selectivbench.models.ops;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The gated delta rule with n_h sub-steps ({@link DeltaRuleRecurrent}'s recurrence and layouts) in its
 * chunked WY / UT-transform form on ND4J arrays, forward and a hand-derived backward: batched array ops
 * only, so it runs on any backend (the path for GPUs).
 *
 * <p>Gated DeltaProduct runs as the delta rule on the n_h-times-longer interleaved sequence of
 * sub-steps: the token's decay on its first sub-step, its query on its last (zero queries elsewhere,
 * whose outputs are dropped). Per sequence (b, h) and chunk of C sub-steps, entering state S [K, V]:
 * <pre>
 *   gam = chunk-local cumsum(a),  Gam_ij = exp(gam_i - gam_j) (j &lt;= i, else 0),  g = exp(gam)
 *   A = strict-lower(diag(beta) K K^T * Gam),  T = (I + A)^-1
 *   W = T diag(beta g) K,  U = T diag(beta) V,  Delta = U - W S      (the new values: WY / UT transform)
 *   O = diag(g) Q S + P Delta,  P = (Q K^T) * Gam
 *   S' = exp(gam_C) S + Kd^T Delta,  Kd = diag(exp(gam_C - gam)) K
 * </pre>
 * T comes from block doubling: with T_s the inverse of the s-block-diagonal part of I + A and E_s the
 * part of A joining s-blocks pairwise, T_2s = T_s - T_s E_s T_s (exact: T_s E_s squares to 0): block
 * forward substitution, as stable as the inverse itself, in log2 C levels of two batched matmuls on
 * s x s blocks ({@link Chunks#unitLowerInverse}). The mask is added before exp and the decays are chunk-local, so every
 * exp is of a non-positive number: nothing overflows, no inf meets a 0.
 *
 * <p>Everything but the chunk-to-chunk recurrence is batched over all chunks of all sequences; the
 * recurrence is a loop over the chunks of three ops each (Delta = U - W S in place, S' = exp(gam_C) S,
 * S' += Kd^T Delta), as fla's chunk_fwd_h.
 *
 * <p>Backward, per chunk, dS' the gradient of the state leaving it (the loop runs the chunks in reverse):
 * <pre>
 *   dDelta = P^T dO + Kd dS'               dS = exp(gam_C) dS' + (diag(g) Q)^T dO - W^T dDelta
 *   dW = -dDelta S^T,  dT = dW (diag(beta g) K)^T + dDelta (diag(beta) V)^T,  dA = -T^T dT T^T (strict)
 *   dP = dO Delta^T;  dQ = (dP * Gam) K + diag(g) dO S^T;  dKd = Delta dS'^T
 *   dK = (dP * Gam)^T Q + diag(exp(gam_C - gam)) dKd + diag(beta g) T^T dW + dKK K + dKK^T K,
 *        dKK = diag(beta) (dA * Gam)
 *   dV = diag(beta) T^T dDelta;  dbeta = g . rowsum(T^T dW * K) + rowsum(T^T dDelta * V) + rowsum(dA * Gam * KK)
 *   dgam = rowsum(G) - colsum(G) (G = dGam * Gam)  + g . rowsum(dO S^T * Q) + beta g . rowsum(T^T dW * K)
 *          - r,  and at the chunk's last step + sum(r) + exp(gam_C) &lt;dS', S&gt;,
 *          r = exp(gam_C - gam) . rowsum(dKd * K)
 *   da = reverse cumsum(dgam) within the chunk
 * </pre>
 *
 * <p>Shapes (rows ordered (b, t)): q [B*T, H*K]; k [B*T, n_h*H*K]; v [B*T, n_h*H*V]; beta [B*T, n_h*H];
 * a [B*T, H] (log decay) or null; o [B*T, H*V]; start, end state [B, H, K, V].
 */
public final class DeltaRuleChunked {
    private DeltaRuleChunked() {
    }

    /**
     * What the backward pass keeps, chunk-major ([n*B*H, C, X] with C the chunk actually used): the inputs,
     * gam (null without decay), T, W, Delta, and the states entering each chunk (plus the end state)
     * [n+1, B*H, K, V].
     */
    public record Saved(DeltaRuleRecurrent.Dims dims, int chunk, INDArray q, INDArray k, INDArray v, INDArray beta,
                        INDArray gam, INDArray t, INDArray w, INDArray delta, INDArray states) {
    }

    /** o [B*T, H*V], the end state [B, H, K, V], and what backward needs (null unless kept). */
    public record Result(INDArray o, INDArray end, Saved saved) {
    }

    /** Gradients in the input layouts; da null without decay; dStart [B, H, K, V]. */
    public record Grads(INDArray dq, INDArray dk, INDArray dv, INDArray dbeta, INDArray da, INDArray dStart) {
    }

    /**
     * @param chunk the chunk length in sub-steps (shorter sequences take one chunk of their length)
     * @param start the state before the first step [B, H, K, V], or null for 0
     */
    public static Result forward(DeltaRuleRecurrent.Dims d, int chunk, INDArray q, INDArray k, INDArray v,
                                 INDArray beta, INDArray a, INDArray start, boolean keep) {
        int bsz = d.batch(), heads = d.heads(), kd = d.k(), vd = d.v(), nh = d.subSteps();
        int len = d.steps() * nh;
        int c = Math.min(chunk, len);
        int n = Chunks.count(len, c);
        long g = (long) bsz * heads, rows = n * g;
        DataType dt = q.dataType();
        INDArray qc = Chunks.toChunks(nh == 1 ? q : Chunks.spread(q, nh, nh - 1), bsz, len, heads, kd, c)
                .reshape(rows, c, kd);
        INDArray kc = Chunks.toChunks(k, bsz, len, heads, kd, c).reshape(rows, c, kd);
        INDArray vc = Chunks.toChunks(v, bsz, len, heads, vd, c).reshape(rows, c, vd);
        INDArray bc = Chunks.toChunks(beta, bsz, len, heads, 1, c).reshape(rows, c);
        INDArray gam = a == null ? null : Chunks.cumsum(Chunks.toChunks(nh == 1 ? a : Chunks.spread(a, nh, 0), bsz,
                len, heads, 1, c).reshape(rows, c));
        Chunks.Decays e = Chunks.Decays.of(gam);

        INDArray am = Chunks.bmm(kc, kc, false, true); // K K^T, then A in place
        if (e != null) {
            am.muli(e.pairs());
        }
        am.muli(Chunks.strict(c, dt)).muli(bc.reshape(rows, c, 1));
        INDArray t = Chunks.unitLowerInverse(am);
        INDArray bg = e == null ? bc : bc.mul(e.g());
        INDArray w = Chunks.bmm(t, kc.mul(bg.reshape(rows, c, 1)), false, false);
        INDArray delta = Chunks.bmm(t, vc.mul(bc.reshape(rows, c, 1)), false, false); // U; Delta after the loop
        INDArray kdec = e == null ? kc : kc.mul(e.toEnd().reshape(rows, c, 1));

        INDArray states = Nd4j.zeros(dt, n + 1, g, kd, vd);
        if (start != null) {
            Chunks.at(states, 0).assign(start.reshape(g, kd, vd));
        }
        INDArray w4 = w.reshape(n, g, c, kd), d4 = delta.reshape(n, g, c, vd), kd4 = kdec.reshape(n, g, c, kd);
        INDArray tot = e == null ? null : e.total().reshape(n, g);
        for (int ci = 0; ci < n; ci++) {
            INDArray s = Chunks.at(states, ci), dc = Chunks.at(d4, ci), next = Chunks.at(states, ci + 1);
            Chunks.bmm(Chunks.at(w4, ci), s, false, false, dc, -1, 1);
            if (tot == null) {
                next.assign(s);
            } else {
                Nd4j.exec(new BroadcastMulOp(s, Chunks.at(tot, ci), next, 0));
            }
            Chunks.bmm(Chunks.at(kd4, ci), dc, true, false, next, 1, 1);
        }

        INDArray p = Chunks.bmm(qc, kc, false, true).muli(e == null ? Chunks.lower(c, dt) : e.pairs());
        INDArray o = Chunks.bmm(p, delta, false, false);
        Chunks.bmm(e == null ? qc : qc.mul(e.g().reshape(rows, c, 1)), entering(states, n, rows, kd, vd), false,
                false, o, 1, 1);
        INDArray out = Chunks.fromChunks(o, bsz, heads, c, vd, len);
        if (nh > 1) {
            out = Chunks.pick(out, nh, nh - 1);
        }
        INDArray end = Chunks.at(states, n).dup('c').reshape(bsz, heads, kd, vd);
        return new Result(out, end, keep ? new Saved(d, c, qc, kc, vc, bc, gam, t, w, delta, states) : null);
    }

    /**
     * @param dOut the gradient of o [B*T, H*V]
     * @param dEnd the gradient of the end state [B, H, K, V], or null for 0
     */
    public static Grads backward(Saved s, INDArray dOut, INDArray dEnd) {
        DeltaRuleRecurrent.Dims d = s.dims();
        int bsz = d.batch(), heads = d.heads(), kd = d.k(), vd = d.v(), nh = d.subSteps();
        int len = d.steps() * nh, c = s.chunk();
        int n = Chunks.count(len, c);
        long g = (long) bsz * heads, rows = n * g;
        DataType dt = s.q().dataType();
        INDArray q = s.q(), k = s.k(), v = s.v(), beta = s.beta(), t = s.t(), delta = s.delta();
        INDArray dO = Chunks.toChunks(nh == 1 ? dOut.castTo(dt) : Chunks.spread(dOut.castTo(dt), nh, nh - 1), bsz, len,
                heads, vd, c).reshape(rows, c, vd);
        Chunks.Decays e = Chunks.Decays.of(s.gam());
        INDArray mask = e == null ? Chunks.lower(c, dt) : e.pairs();
        INDArray qk = Chunks.bmm(q, k, false, true);
        INDArray p = qk.mul(mask);
        INDArray g3 = e == null ? null : e.g().reshape(rows, c, 1);
        INDArray kdec = e == null ? k : k.mul(e.toEnd().reshape(rows, c, 1));

        // the chunks in reverse: dDelta = P^T dO + Kd dS', dS = exp(gam_C) dS' + (g Q)^T dO - W^T dDelta
        INDArray dDelta = Chunks.bmm(p, dO, true, false);
        INDArray qgdo = Chunks.bmm(e == null ? q : q.mul(g3), dO, true, false);
        INDArray dAfter = Nd4j.zeros(dt, n, g, kd, vd); // the gradient of the state leaving each chunk
        if (dEnd != null) {
            Chunks.at(dAfter, n - 1).assign(dEnd.reshape(g, kd, vd));
        }
        INDArray dStart = Nd4j.createUninitialized(dt, g, kd, vd);
        INDArray w4 = s.w().reshape(n, g, c, kd), dd4 = dDelta.reshape(n, g, c, vd), kd4 = kdec.reshape(n, g, c, kd);
        INDArray qgdo4 = qgdo.reshape(n, g, kd, vd);
        INDArray tot = e == null ? null : e.total().reshape(n, g);
        for (int ci = n - 1; ci >= 0; ci--) {
            INDArray ds = Chunks.at(dAfter, ci), dd = Chunks.at(dd4, ci);
            INDArray prev = ci > 0 ? Chunks.at(dAfter, ci - 1) : dStart;
            Chunks.bmm(Chunks.at(kd4, ci), ds, false, false, dd, 1, 1);
            if (tot == null) {
                prev.assign(ds);
            } else {
                Nd4j.exec(new BroadcastMulOp(ds, Chunks.at(tot, ci), prev, 0));
            }
            prev.addi(Chunks.at(qgdo4, ci));
            Chunks.bmm(Chunks.at(w4, ci), dd, true, false, prev, -1, 1);
        }

        INDArray sin = entering(s.states(), n, rows, kd, vd);
        INDArray dAfterRows = dAfter.reshape(rows, kd, vd);
        INDArray dqk = Chunks.bmm(dO, delta, false, true).muli(mask); // dP * Gam
        INDArray x = Chunks.bmm(dO, sin, false, true); // dO S^T [rows, C, K]
        INDArray dq = Chunks.bmm(dqk, k, false, false).addi(e == null ? x : x.mul(g3));
        INDArray dk = Chunks.bmm(dqk, q, true, false);
        INDArray dkd = Chunks.bmm(delta, dAfterRows, false, true); // dKd [rows, C, K]
        dk.addi(e == null ? dkd : dkd.mul(e.toEnd().reshape(rows, c, 1)));

        INDArray bg = e == null ? beta : beta.mul(e.g());
        INDArray bg3 = bg.reshape(rows, c, 1), beta3 = beta.reshape(rows, c, 1);
        INDArray dw = Chunks.bmm(dDelta, sin, false, true).negi();
        INDArray dkbg = Chunks.bmm(t, dw, true, false), dvb = Chunks.bmm(t, dDelta, true, false);
        INDArray dT = Chunks.bmm(dw, k.mul(bg3), false, true);
        Chunks.bmm(dDelta, v.mul(beta3), false, true, dT, 1, 1);
        INDArray dA = Chunks.bmm(Chunks.bmm(t, dT, true, false), t, false, true).negi().muli(Chunks.strict(c, dt));
        dk.addi(dkbg.mul(bg3));
        INDArray s1 = dkbg.mul(k).sum(2); // [rows, C]
        INDArray dbeta = (e == null ? s1.dup() : s1.mul(e.g())).addi(dvb.mul(v).sum(2));
        INDArray dv = dvb.muli(beta3);
        INDArray kk = Chunks.bmm(k, k, false, true);
        INDArray dkk = e == null ? dA : dA.muli(e.pairs()); // dA * Gam, then times beta_i: dKK
        dbeta.addi(dkk.mul(kk).sum(2));
        dkk.muli(beta3);
        Chunks.bmm(dkk, k, false, false, dk, 1, 1);
        Chunks.bmm(dkk, k, true, false, dk, 1, 1);

        INDArray da = null;
        if (e != null) {
            INDArray gm = dqk.mul(qk).addi(dkk.mul(kk)); // dGam * Gam
            INDArray dgam = gm.sum(2).subi(gm.sum(1));
            dgam.addi(x.mul(q).sum(2).muli(e.g()));
            dgam.addi(s1.muli(bg));
            INDArray r = dkd.mul(k).sum(2).muli(e.toEnd());
            dgam.subi(r);
            INDArray last = r.sum(1).addi(dAfterRows.mul(sin).sum(1, 2).muli(e.total()));
            dgam.get(NDArrayIndex.all(), NDArrayIndex.point(c - 1)).addi(last);
            da = Chunks.fromChunks(Chunks.cumsumBackward(dgam), bsz, heads, c, 1, len);
            if (nh > 1) {
                da = Chunks.pick(da, nh, 0);
            }
        }
        long tokens = (long) bsz * d.steps();
        INDArray dqRows = Chunks.fromChunks(dq, bsz, heads, c, kd, len);
        return new Grads(nh > 1 ? Chunks.pick(dqRows, nh, nh - 1) : dqRows,
                Chunks.fromChunks(dk, bsz, heads, c, kd, len).reshape(tokens, (long) nh * heads * kd),
                Chunks.fromChunks(dv, bsz, heads, c, vd, len).reshape(tokens, (long) nh * heads * vd),
                Chunks.fromChunks(dbeta, bsz, heads, c, 1, len).reshape(tokens, (long) nh * heads), da,
                dStart.reshape(bsz, heads, kd, vd));
    }

    /** The states entering chunks 0 .. n-1 as [n*B*H, K, V] (a view of the first n). */
    private static INDArray entering(INDArray states, int n, long rows, int kd, int vd) {
        return states.get(NDArrayIndex.interval(0, n), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all())
                .reshape(rows, kd, vd);
    }
}
