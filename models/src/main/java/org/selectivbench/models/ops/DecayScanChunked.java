package org.selectivbench.models.ops;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.selectivbench.models.ops.DecayScanRecurrent.Decay;

/**
 * The diagonal-decay recurrences ({@link DecayScanRecurrent}'s recurrence and layouts: linear attention,
 * Mamba2's SSD with keys shared by the heads, GLA's per-key-channel decay) in their quadratic-within-chunk
 * form on ND4J arrays, forward and a hand-derived backward: batched array ops only, so it runs on any
 * backend (the path for GPUs).
 *
 * <p>Per sequence (b, h) and chunk of C steps, entering state S [K, V], gam the chunk-local cumulative log
 * decay (a scalar per step, or one per key channel), g = exp(gam):
 * <pre>
 *   O = P V + (Q * g) S,   P_ij = sum_x Q_ix K_jx exp(gam_ix - gam_jx)  (j &lt;= i, else 0)
 *   S' = exp(gam_C) S + (K * exp(gam_C - gam))^T V
 * </pre>
 * The pairwise decays take the mask before exp (never exp(gam_i) exp(-gam_j), which overflows once a
 * chunk decays by more than about 88 nats in float32), so every exp is of a non-positive number. With a
 * scalar decay P = (Q K^T) * Gam, one [C, C] per chunk; with shared keys Q K^T is taken once for all
 * heads and the heads' values ride along in the key contractions ([C, K] x [K, H*V]), so q and k are
 * never tiled over the heads. With a per-channel decay the pairwise decays are [C, C, K] per chunk, C times
 * the inputs, so that form takes chunks of at most {@link #CHANNEL_CHUNK} steps whatever the setting.
 * The chunk-to-chunk recurrence is a loop over chunks of two ops each (S' = exp(gam_C) S, S' += own).
 *
 * <p>Backward, dS' the gradient of the state leaving a chunk (the loop runs the chunks in reverse):
 * <pre>
 *   dS = exp(gam_C) dS' + (Q * g)^T dO
 *   dV = P^T dO + (K * e) dS',  e = exp(gam_C - gam)
 *   dQ = (dO S^T) * g + sum_j (dP_ij exp(gam_i - gam_j)) K_j,   dP = dO V^T
 *   dK = (V dS'^T) * e + sum_i (dP_ij exp(gam_i - gam_j)) Q_i
 *   dgam = rowsum(G) - colsum(G)  (G_ij = dP_ij P_ij per channel)  + (dO S^T) * Q * g  - r,
 *          and at the chunk's last step + sum(r) + exp(gam_C) &lt;dS', S&gt;,  r = (V dS'^T) * K * e
 *   da = reverse cumsum(dgam) within the chunk
 * </pre>
 * (with a scalar decay the channel sums run over x inside each term).
 *
 * <p>Shapes (rows ordered (b, t)): q, k [B*T, H*K] ([B*T, K] with shared keys); v, o [B*T, H*V];
 * a [B*T, H] (scalar decay), [B*T, H*K] (channel decay) or null; start, end state [B, H, K, V].
 */
public final class DecayScanChunked {
    /** Longest chunk of the per-channel form, whose pairwise decays are [C, C, K] per chunk. */
    static final int CHANNEL_CHUNK = 16;

    private DecayScanChunked() {
    }

    /**
     * What backward keeps, chunk-major with C the chunk actually used: q, k [n*G, C, K] (G key groups: B with
     * shared keys, else B*H); v by key group [n*G, C, hk*V] and by head [n*B*H, C, V] (one array unless
     * keys are shared; hk heads per key group); gam [n*B*H, C] or [n*B*H, C, K] (null without decay); the
     * states entering each chunk and the end state [n+1, G, K, hk*V].
     */
    public record Saved(DecayScanRecurrent.Dims dims, int chunk, INDArray q, INDArray k, INDArray vk, INDArray vh,
                        INDArray gam, INDArray states) {
    }

    /** o [B*T, H*V], the end state [B, H, K, V], and what backward needs (null unless kept). */
    public record Result(INDArray o, INDArray end, Saved saved) {
    }

    /** Gradients in the input layouts (da null without decay); dStart [B, H, K, V]. */
    public record Grads(INDArray dq, INDArray dk, INDArray dv, INDArray da, INDArray dStart) {
    }

    /**
     * @param chunk the chunk length (shorter sequences take one chunk of their length)
     * @param start the state before the first step [B, H, K, V], or null for 0
     */
    public static Result forward(DecayScanRecurrent.Dims d, int chunk, INDArray q, INDArray k, INDArray v, INDArray a,
                                 INDArray start, boolean keep) {
        if (d.decay() == Decay.CHANNEL) {
            if (d.sharedKeys()) { // no model shares keys under a channel decay: tile them rather than add a form
                Result r = channel(unshared(d), chunk, Nd4j.tile(q, 1, d.heads()), Nd4j.tile(k, 1, d.heads()), v, a,
                        start, keep);
                return new Result(r.o(), r.end(), r.saved() == null ? null : new Saved(d, r.saved().chunk(),
                        r.saved().q(), r.saved().k(), r.saved().vk(), r.saved().vh(), r.saved().gam(),
                        r.saved().states()));
            }
            return channel(d, chunk, q, k, v, a, start, keep);
        }
        return scalar(d, chunk, q, k, v, a, start, keep);
    }

    /**
     * @param dOut the gradient of o [B*T, H*V]
     * @param dEnd the gradient of the end state [B, H, K, V], or null for 0
     */
    public static Grads backward(Saved s, INDArray dOut, INDArray dEnd) {
        DecayScanRecurrent.Dims d = s.dims();
        if (d.decay() != Decay.CHANNEL) {
            return scalarBackward(s, dOut, dEnd);
        }
        if (!d.sharedKeys()) {
            return channelBackward(s, dOut, dEnd);
        }
        Saved u = new Saved(unshared(d), s.chunk(), s.q(), s.k(), s.vk(), s.vh(), s.gam(), s.states());
        Grads g = channelBackward(u, dOut, dEnd);
        long rows = g.dq().size(0);
        return new Grads(g.dq().reshape(rows, d.heads(), d.k()).sum(1), g.dk().reshape(rows, d.heads(), d.k()).sum(1),
                g.dv(), g.da(), g.dStart());
    }

    private static DecayScanRecurrent.Dims unshared(DecayScanRecurrent.Dims d) {
        return new DecayScanRecurrent.Dims(d.batch(), d.steps(), d.heads(), d.k(), d.v(), d.decay(), false);
    }

    /** Heads per key group (all of them with shared keys, else 1) and the heads axis of q and k's rows. */
    private static int perGroup(DecayScanRecurrent.Dims d) {
        return d.sharedKeys() ? d.heads() : 1;
    }

    private static int keyHeads(DecayScanRecurrent.Dims d) {
        return d.sharedKeys() ? 1 : d.heads();
    }

    private static Result scalar(DecayScanRecurrent.Dims d, int chunk, INDArray q, INDArray k, INDArray v, INDArray a,
                                 INDArray start, boolean keep) {
        int bsz = d.batch(), len = d.steps(), heads = d.heads(), kd = d.k(), vd = d.v();
        int hk = perGroup(d), kh = keyHeads(d);
        int c = Math.min(chunk, len), n = Chunks.count(len, c);
        long gk = (long) bsz * kh, rows = n * gk, hv = (long) hk * vd;
        DataType dt = q.dataType();
        INDArray qc = Chunks.toChunks(q, bsz, len, kh, kd, c).reshape(rows, c, kd);
        INDArray kc = Chunks.toChunks(k, bsz, len, kh, kd, c).reshape(rows, c, kd);
        INDArray vk = Chunks.toChunks(v, bsz, len, kh, (int) hv, c).reshape(rows, c, hv);
        INDArray vh = hk == 1 ? vk : Chunks.toChunks(v, bsz, len, heads, vd, c).reshape(rows * hk, c, vd);
        INDArray gam = a == null ? null
                : Chunks.cumsum(Chunks.toChunks(a, bsz, len, heads, 1, c).reshape(rows * hk, c));
        Chunks.Decays e = Chunks.Decays.of(gam);

        INDArray qk = Chunks.bmm(qc, kc, false, true);
        INDArray o;
        if (e == null) {
            o = Chunks.bmm(qk.mul(Chunks.lower(c, dt)), vk, false, false);
        } else {
            INDArray p = e.pairs().reshape(rows, hk, c, c).muli(qk.reshape(rows, 1, c, c)).reshape(rows * hk, c, c);
            INDArray oh = Chunks.bmm(p, vh, false, false);
            o = hk == 1 ? oh : oh.reshape(rows, hk, c, vd).permute(0, 2, 1, 3).dup('c').reshape(rows, c, hv);
        }
        INDArray own = Chunks.bmm(kc, e == null ? vk : byKey(vk, e.toEnd(), hk, vd), true, false); // [rows, K, hk*V]

        INDArray states = Nd4j.zeros(dt, n + 1, gk, kd, hk, vd);
        if (start != null) {
            Chunks.at(states, 0).assign(toGroups(start, d));
        }
        INDArray own5 = own.reshape(n, gk, kd, hk, vd);
        INDArray tot = e == null ? null : e.total().reshape(n, gk, hk);
        for (int ci = 0; ci < n; ci++) {
            INDArray s = Chunks.at(states, ci), next = Chunks.at(states, ci + 1);
            if (tot == null) {
                next.assign(s);
            } else {
                Nd4j.exec(new BroadcastMulOp(s, Chunks.at(tot, ci), next, 0, 2));
            }
            next.addi(Chunks.at(own5, ci));
        }
        INDArray sin = entering(states, n, rows, kd, hv);
        if (e == null) {
            Chunks.bmm(qc, sin, false, false, o, 1, 1);
        } else {
            o.addi(byKey(Chunks.bmm(qc, sin, false, false), e.g(), hk, vd));
        }
        return new Result(Chunks.fromChunks(o, bsz, kh, c, (int) hv, len), fromGroups(Chunks.at(states, n), d),
                keep ? new Saved(d, c, qc, kc, vk, vh, gam, states) : null);
    }

    private static Grads scalarBackward(Saved s, INDArray dOut, INDArray dEnd) {
        DecayScanRecurrent.Dims d = s.dims();
        int bsz = d.batch(), len = d.steps(), heads = d.heads(), kd = d.k(), vd = d.v();
        int hk = perGroup(d), kh = keyHeads(d), c = s.chunk(), n = Chunks.count(len, c);
        long gk = (long) bsz * kh, rows = n * gk, hv = (long) hk * vd;
        DataType dt = s.q().dataType();
        INDArray qc = s.q(), kc = s.k(), vk = s.vk();
        INDArray dO = Chunks.toChunks(dOut.castTo(dt), bsz, len, kh, (int) hv, c).reshape(rows, c, hv);
        Chunks.Decays e = Chunks.Decays.of(s.gam());

        // the chunks in reverse: dS = exp(gam_C) dS' + (Q * g)^T dO
        INDArray gdo = e == null ? dO : byKey(dO, e.g(), hk, vd);
        INDArray qgdo5 = Chunks.bmm(qc, gdo, true, false).reshape(n, gk, kd, hk, vd);
        INDArray dAfter = Nd4j.zeros(dt, n, gk, kd, hk, vd); // the gradient of the state leaving each chunk
        if (dEnd != null) {
            Chunks.at(dAfter, n - 1).assign(toGroups(dEnd.castTo(dt), d));
        }
        INDArray dStart = Nd4j.createUninitialized(dt, gk, kd, hk, vd);
        INDArray tot = e == null ? null : e.total().reshape(n, gk, hk);
        for (int ci = n - 1; ci >= 0; ci--) {
            INDArray ds = Chunks.at(dAfter, ci), prev = ci > 0 ? Chunks.at(dAfter, ci - 1) : dStart;
            if (tot == null) {
                prev.assign(ds);
            } else {
                Nd4j.exec(new BroadcastMulOp(ds, Chunks.at(tot, ci), prev, 0, 2));
            }
            prev.addi(Chunks.at(qgdo5, ci));
        }

        INDArray sin = entering(s.states(), n, rows, kd, hv);
        INDArray dAfterRows = dAfter.reshape(rows, kd, hv);
        INDArray dq = Chunks.bmm(gdo, sin, false, true);
        INDArray vdec = e == null ? vk : byKey(vk, e.toEnd(), hk, vd);
        INDArray dk = Chunks.bmm(vdec, dAfterRows, false, true);
        INDArray dvd = Chunks.bmm(kc, dAfterRows, false, false); // gradient of the decayed values [rows, C, hk*V]
        INDArray dv = e == null ? dvd.dup() : byKey(dvd, e.toEnd(), hk, vd);
        INDArray qk = Chunks.bmm(qc, kc, false, true);
        INDArray dqk;
        INDArray da = null;
        INDArray dvHeads = null;
        if (e == null) {
            dqk = Chunks.bmm(dO, vk, false, true).muli(Chunks.lower(c, dt));
            Chunks.bmm(qk.mul(Chunks.lower(c, dt)), dO, true, false, dv, 1, 1);
        } else {
            INDArray dOh = hk == 1 ? dO
                    : Chunks.toChunks(dOut.castTo(dt), bsz, len, heads, vd, c).reshape(rows * hk, c, vd);
            INDArray p = e.pairs().reshape(rows, hk, c, c).mul(qk.reshape(rows, 1, c, c)).reshape(rows * hk, c, c);
            INDArray dvh = Chunks.bmm(p, dOh, true, false);
            if (hk == 1) {
                dv.addi(dvh);
            } else {
                dvHeads = dvh;
            }
            INDArray dpg = Chunks.bmm(dOh, s.vh(), false, true).muli(e.pairs()); // dP * Gam [rows*hk, C, C]
            dqk = hk == 1 ? dpg : dpg.reshape(rows, hk, c, c).sum(1);
            INDArray gm = dpg.reshape(rows, hk, c, c).mul(qk.reshape(rows, 1, c, c)).reshape(rows * hk, c, c);
            INDArray dgam = gm.sum(2).subi(gm.sum(1));
            INDArray qs = Chunks.bmm(qc, sin, false, false);
            dgam.addi(byHead(dO.mul(qs), hk, vd).muli(e.g()));
            INDArray r = byHead(dvd.mul(vk), hk, vd).muli(e.toEnd());
            dgam.subi(r);
            INDArray carried = dAfterRows.mul(sin).reshape(rows, kd, hk, vd).sum(1, 3).reshape(rows * hk);
            INDArray last = r.sum(1).addi(carried.muli(e.total()));
            dgam.get(NDArrayIndex.all(), NDArrayIndex.point(c - 1)).addi(last);
            da = Chunks.fromChunks(Chunks.cumsumBackward(dgam), bsz, heads, c, 1, len);
        }
        Chunks.bmm(dqk, kc, false, false, dq, 1, 1);
        Chunks.bmm(dqk, qc, true, false, dk, 1, 1);
        INDArray dvRows = Chunks.fromChunks(dv, bsz, kh, c, (int) hv, len);
        if (dvHeads != null) {
            dvRows.addi(Chunks.fromChunks(dvHeads, bsz, heads, c, vd, len));
        }
        return new Grads(Chunks.fromChunks(dq, bsz, kh, c, kd, len), Chunks.fromChunks(dk, bsz, kh, c, kd, len), dvRows,
                da, fromGroups(dStart, d));
    }

    private static Result channel(DecayScanRecurrent.Dims d, int chunk, INDArray q, INDArray k, INDArray v,
                                  INDArray a, INDArray start, boolean keep) {
        int bsz = d.batch(), len = d.steps(), heads = d.heads(), kd = d.k(), vd = d.v();
        int c = Math.min(Math.min(chunk, CHANNEL_CHUNK), len), n = Chunks.count(len, c);
        long g = (long) bsz * heads, rows = n * g;
        DataType dt = q.dataType();
        INDArray qc = Chunks.toChunks(q, bsz, len, heads, kd, c).reshape(rows, c, kd);
        INDArray kc = Chunks.toChunks(k, bsz, len, heads, kd, c).reshape(rows, c, kd);
        INDArray vc = Chunks.toChunks(v, bsz, len, heads, vd, c).reshape(rows, c, vd);
        INDArray gam = channelCumsum(Chunks.toChunks(a, bsz, len, heads, kd, c).reshape(rows, c, kd), false);
        ChannelDecays e = ChannelDecays.of(gam);

        INDArray p = pairScores(e.pairs(), qc, kc);
        INDArray o = Chunks.bmm(p, vc, false, false);
        INDArray own = Chunks.bmm(kc.mul(e.toEnd()), vc, true, false);
        INDArray states = Nd4j.zeros(dt, n + 1, g, kd, vd);
        if (start != null) {
            Chunks.at(states, 0).assign(start.reshape(g, kd, vd));
        }
        INDArray own4 = own.reshape(n, g, kd, vd), tot = e.total().reshape(n, g, kd);
        for (int ci = 0; ci < n; ci++) {
            INDArray next = Chunks.at(states, ci + 1);
            Nd4j.exec(new BroadcastMulOp(Chunks.at(states, ci), Chunks.at(tot, ci), next, 0, 1));
            next.addi(Chunks.at(own4, ci));
        }
        Chunks.bmm(qc.mul(e.g()), entering(states, n, rows, kd, vd), false, false, o, 1, 1);
        INDArray end = Chunks.at(states, n).dup('c').reshape(bsz, heads, kd, vd);
        return new Result(Chunks.fromChunks(o, bsz, heads, c, vd, len), end,
                keep ? new Saved(d, c, qc, kc, vc, vc, gam, states) : null);
    }

    private static Grads channelBackward(Saved s, INDArray dOut, INDArray dEnd) {
        DecayScanRecurrent.Dims d = s.dims();
        int bsz = d.batch(), len = d.steps(), heads = d.heads(), kd = d.k(), vd = d.v();
        int c = s.chunk(), n = Chunks.count(len, c);
        long g = (long) bsz * heads, rows = n * g;
        DataType dt = s.q().dataType();
        INDArray qc = s.q(), kc = s.k(), vc = s.vk();
        INDArray dO = Chunks.toChunks(dOut.castTo(dt), bsz, len, heads, vd, c).reshape(rows, c, vd);
        ChannelDecays e = ChannelDecays.of(s.gam());

        INDArray qg = qc.mul(e.g());
        INDArray qgdo4 = Chunks.bmm(qg, dO, true, false).reshape(n, g, kd, vd);
        INDArray dAfter = Nd4j.zeros(dt, n, g, kd, vd);
        if (dEnd != null) {
            Chunks.at(dAfter, n - 1).assign(dEnd.castTo(dt).reshape(g, kd, vd));
        }
        INDArray dStart = Nd4j.createUninitialized(dt, g, kd, vd);
        INDArray tot = e.total().reshape(n, g, kd);
        for (int ci = n - 1; ci >= 0; ci--) {
            INDArray prev = ci > 0 ? Chunks.at(dAfter, ci - 1) : dStart;
            Nd4j.exec(new BroadcastMulOp(Chunks.at(dAfter, ci), Chunks.at(tot, ci), prev, 0, 1));
            prev.addi(Chunks.at(qgdo4, ci));
        }

        INDArray sin = entering(s.states(), n, rows, kd, vd);
        INDArray dAfterRows = dAfter.reshape(rows, kd, vd);
        INDArray x = Chunks.bmm(dO, sin, false, true); // dO S^T [rows, C, K]
        INDArray dq = x.mul(e.g());
        INDArray dgam = x.muli(qg);
        INDArray kdec = kc.mul(e.toEnd());
        INDArray dkd = Chunks.bmm(vc, dAfterRows, false, true);
        INDArray dk = dkd.mul(e.toEnd());
        INDArray r = dkd.muli(kdec);
        dgam.subi(r);
        INDArray last = r.sum(1).addi(dAfterRows.mul(sin).sum(2).muli(e.total()));
        INDArray dv = Chunks.bmm(kdec, dAfterRows, false, false);
        INDArray p = pairScores(e.pairs(), qc, kc);
        Chunks.bmm(p, dO, true, false, dv, 1, 1);

        // intra-chunk pairs, per channel: F_ijx = dP_ij exp(gam_ix - gam_jx)
        INDArray dp = Chunks.bmm(dO, vc, false, true);
        INDArray f = e.pairs().muli(dp.reshape(rows, c, c, 1));
        INDArray h = f.mul(kc.reshape(rows, 1, c, kd)); // F_ijx K_jx
        dq.addi(h.sum(2));
        h.muli(qc.reshape(rows, c, 1, kd)); // G_ijx = F_ijx K_jx Q_ix
        dgam.addi(h.sum(2)).subi(h.sum(1));
        dk.addi(f.muli(qc.reshape(rows, c, 1, kd)).sum(1));
        dgam.get(NDArrayIndex.all(), NDArrayIndex.point(c - 1), NDArrayIndex.all()).addi(last);
        INDArray da = channelCumsum(dgam, true);
        return new Grads(Chunks.fromChunks(dq, bsz, heads, c, kd, len), Chunks.fromChunks(dk, bsz, heads, c, kd, len),
                Chunks.fromChunks(dv, bsz, heads, c, vd, len), Chunks.fromChunks(da, bsz, heads, c, kd, len),
                dStart.reshape(bsz, heads, kd, vd));
    }

    /** P_ij = sum_x Q_ix K_jx pairs_ijx [rows, C, C]: per row i one [C, K] x [K] product, batched. */
    private static INDArray pairScores(INDArray pairs, INDArray q, INDArray k) {
        long rows = q.size(0), c = q.size(1), kd = q.size(2);
        INDArray pk = pairs.mul(k.reshape(rows, 1, c, kd)).reshape(rows * c, c, kd);
        return Chunks.bmm(pk, q.reshape(rows * c, kd, 1), false, false).reshape(rows, c, c);
    }

    /** Cumulative sums along the steps of [rows, C, K] (or their adjoint), through channel-major rows. */
    private static INDArray channelCumsum(INDArray x, boolean adjoint) {
        long rows = x.size(0), c = x.size(1), kd = x.size(2);
        INDArray t = x.permute(0, 2, 1).dup('c').reshape(rows * kd, c);
        INDArray y = adjoint ? Chunks.cumsumBackward(t) : Chunks.cumsum(t);
        return y.reshape(rows, kd, c).permute(0, 2, 1).dup('c');
    }

    /** The per-channel counterparts of {@link Chunks.Decays}: pairs [R, C, C, K], g, toEnd [R, C, K], total [R, K]. */
    private record ChannelDecays(INDArray pairs, INDArray g, INDArray toEnd, INDArray total) {
        static ChannelDecays of(INDArray gam) {
            long r = gam.size(0), c = gam.size(1), kd = gam.size(2);
            INDArray diff = gam.reshape(r, c, 1, kd).sub(gam.reshape(r, 1, c, kd));
            diff.addi(Chunks.maskBias((int) c, gam.dataType()).reshape(c, c, 1));
            INDArray last = gam.get(NDArrayIndex.all(), NDArrayIndex.point(c - 1), NDArrayIndex.all()).dup('c');
            INDArray toEnd = Transforms.exp(last.reshape(r, 1, kd).sub(gam), false);
            return new ChannelDecays(Transforms.exp(diff, false), Transforms.exp(gam, true), toEnd,
                    Transforms.exp(last, false));
        }
    }

    /**
     * x [rows, C, hk*V] (key-group order) times f given per head [rows*hk, C], each head's columns by its
     * own factor.
     */
    private static INDArray byKey(INDArray x, INDArray f, int hk, int vd) {
        long rows = x.size(0), c = x.size(1);
        INDArray fk = hk == 1 ? f.reshape(rows, c, 1, 1)
                : f.reshape(rows, hk, c).permute(0, 2, 1).dup('c').reshape(rows, c, hk, 1);
        return x.reshape(rows, c, hk, vd).mul(fk).reshape(rows, c, (long) hk * vd);
    }

    /** Sums over V of x [rows, C, hk*V] per head, in head order [rows*hk, C]. */
    private static INDArray byHead(INDArray x, int hk, int vd) {
        long rows = x.size(0), c = x.size(1);
        INDArray s = x.reshape(rows, c, hk, vd).sum(3); // [rows, C, hk]
        return hk == 1 ? s.reshape(rows, c) : s.permute(0, 2, 1).dup('c').reshape(rows * hk, c);
    }

    /** A state [B, H, K, V] in key-group order [G, K, hk, V]. */
    private static INDArray toGroups(INDArray x, DecayScanRecurrent.Dims d) {
        return d.sharedKeys() ? x.permute(0, 2, 1, 3)
                : x.reshape((long) d.batch() * d.heads(), d.k(), 1, d.v());
    }

    /** A state in key-group order [G, K, hk, V] back to [B, H, K, V] (a new array). */
    private static INDArray fromGroups(INDArray x, DecayScanRecurrent.Dims d) {
        return d.sharedKeys() ? x.permute(0, 2, 1, 3).dup('c')
                : x.dup('c').reshape(d.batch(), d.heads(), d.k(), d.v());
    }

    /** The states entering chunks 0 .. n-1 as [n*G, K, W] (a view of the first n). */
    private static INDArray entering(INDArray states, int n, long rows, int kd, long w) {
        long blocks = states.size(0);
        return states.reshape(blocks, states.length() / blocks).get(NDArrayIndex.interval(0, n), NDArrayIndex.all())
                .reshape(rows, kd, w);
    }
}
