package org.selectivbench.models.ops;

import static org.selectivbench.models.ops.ChunkedLayout.at;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Exp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Mamba's selective scan ({@link SelectiveScanRecurrent} gives the math) as batched ND4J ops, the form
 * for GPUs. The states [B, T, di, N] are never held whole: each sequence is cut into K chunks of C
 * steps ({@link ChunkedLayout}) and every loop runs over the C positions of a chunk on [G, di, N]
 * slices, G = B*K, all chunks of all sequences at once. Forward: a first pass gives each chunk's end
 * state from 0 and its total transition; a prefix scan over the chunks (log2 K levels) gives the state
 * entering each chunk; a second pass runs the recurrence from there with the readout. Backward does
 * the same for the adjoint in reverse (its recurrence has the same transitions), then a last reverse
 * pass forms the gradients, recomputing the states of sqrt(C) positions at a time from checkpoints the
 * forward pass kept every sqrt(C) positions. Every transition lies in (0, 1] (A < 0, dt > 0), and so
 * do their products: nothing can overflow.
 *
 * <p>Shapes, rows ordered (b, t): dt, u, y [B*T, di]; B, C [B*T, N]; A [di, N]; start and end states
 * [B, di, N]. Positions-major copies inside: [C, G, di] and [C, G, N].
 */
public final class SelectiveScanChunked {
    private SelectiveScanChunked() {
    }

    /** What backward needs: the inputs positions-major, each chunk's total transition, the checkpoints. */
    public record Saved(SelectiveScanRecurrent.Dims dims, ChunkedLayout.Plan plan, int sub, INDArray dt, INDArray a,
                        INDArray u, INDArray bm, INDArray cm, INDArray total, List<INDArray> checkpoints) {
    }

    /** y [B*T, di], and what backward needs when asked to keep it. */
    public record Result(INDArray y, Saved saved) {
    }

    /** ddt, du [B*T, di]; dA [di, N] (summed over the batch); dB, dC [B*T, N]; dStart [B, di, N]. */
    public record Grads(INDArray ddt, INDArray dA, INDArray du, INDArray dB, INDArray dC, INDArray dStart) {
    }

    /**
     * y [B*T, di]; the state after the last step into {@code end} [B, di, N] when not null.
     *
     * @param chunk at most this many steps per chunk
     * @param start [B, di, N] the state before the first step, or null for 0
     */
    public static Result forward(SelectiveScanRecurrent.Dims d, int chunk, INDArray dt, INDArray a, INDArray u,
                                 INDArray bm, INDArray cm, INDArray start, INDArray end, boolean keep) {
        ChunkedLayout.Plan pl = ChunkedLayout.Plan.of(d.batch(), d.steps(), chunk);
        int c = pl.c(), k = pl.k(), g = pl.groups(), di = d.channels(), n = d.states();
        int sub = (int) Math.ceil(Math.sqrt(c));
        Inputs in = new Inputs(d, pl, ChunkedLayout.positions(dt, pl), ChunkedLayout.dense(a).reshape(1, di, n),
                ChunkedLayout.positions(u, pl), ChunkedLayout.positions(bm, pl), ChunkedLayout.positions(cm, pl));
        INDArray total = null;
        INDArray h;
        if (k > 1) { // first pass: each chunk's end state from 0, then the states entering the chunks
            INDArray s = null;
            for (int p = 0; p < c; p++) {
                INDArray x = in.input(p);
                if (d.floor() > 0) { // the transitions are not exponentials: a running product
                    INDArray tr = in.transition(p);
                    total = total == null ? tr.dup() : total.muli(tr);
                    s = s == null ? x : tr.muli(s).addi(x);
                } else {
                    s = s == null ? x : in.transition(p).muli(s).addi(x);
                }
            }
            if (d.floor() == 0) { // exp(A sum_p dt_p): one exponential per chunk
                total = in.dt().sum(0).reshape(g, di, 1).mul(in.a());
                Nd4j.exec(new Exp(total, total));
            }
            h = entering(pl, total, s, start, di * n);
        } else {
            h = start != null ? start.dup('c').reshape(g, di, n) : Nd4j.zeros(dt.dataType(), g, di, n);
        }
        INDArray yp = Nd4j.createUninitialized(dt.dataType(), c, g, di);
        List<INDArray> ckpt = keep ? new ArrayList<>() : null;
        for (int p = 0; p < c; p++) { // second pass, from the entering states, with the readout
            if (keep && p % sub == 0) {
                ckpt.add(h); // h is replaced below, never written in place
            }
            h = in.transition(p).muli(h).addi(in.input(p));
            at(yp, p).assign(Attention.bmm(h, at(in.cm(), p).reshape(g, n, 1), false, false).reshape(g, di));
        }
        if (end != null) {
            end.assign(chunk(h.reshape(d.batch(), k, (long) di * n), k - 1).dup('c').reshape(d.batch(), di, n));
        }
        INDArray y = ChunkedLayout.rows(yp.permute(1, 0, 2), pl);
        return new Result(y, keep ? new Saved(d, pl, sub, in.dt(), in.a(), in.u(), in.bm(), in.cm(), total, ckpt)
                : null);
    }

    /**
     * Gradients from dY [B*T, di] and the end state's gradient dEnd [B, di, N] (or null). The adjoint
     * g_t = dL/dh_t runs backwards as g_t = dy_t C_t + a_{t+1} g_{t+1}; then with q = g_t h_{t-1} dx_t
     * (dx = (1 - floor) exp(dt A), the derivative of the transition by dt A): du_t = g_t B_t,
     * dB_t = u_t g_t, dC_t = dy_t h_t, ddt_t = sum_n q A, dA = sum_{b,t} q dt_t, dStart = a_0 g_0.
     */
    public static Grads backward(Saved sv, INDArray dY, INDArray dEnd) {
        SelectiveScanRecurrent.Dims d = sv.dims();
        ChunkedLayout.Plan pl = sv.plan();
        int c = pl.c(), k = pl.k(), g = pl.groups(), di = d.channels(), n = d.states(), bsz = d.batch();
        long x = (long) di * n;
        Inputs in = new Inputs(d, pl, sv.dt(), sv.a(), sv.u(), sv.bm(), sv.cm());
        INDArray dyp = ChunkedLayout.positions(dY, pl);
        INDArray lam; // dL/dh at each chunk's last position from outside the chunk, [G, di, N]
        if (k > 1) {
            INDArray z = null; // reversed first pass: dL/d(entering state) per chunk, from 0 at its end
            for (int p = c - 1; p >= 0; p--) {
                INDArray gq = outer(at(dyp, p), at(in.cm(), p), g, di, n);
                z = in.transition(p).muli(z == null ? gq : gq.addi(z));
            }
            INDArray v = z.reshape(bsz, k, x);
            INDArray tot = sv.total().reshape(bsz, k, x);
            if (dEnd != null) {
                chunk(v, k - 1).addi(chunk(tot, k - 1).mul(ChunkedLayout.dense(dEnd).reshape(bsz, x)));
            }
            suffix(tot, v, k); // v_k = z_k + tot_k v_{k+1}
            INDArray r = Nd4j.zeros(dY.dataType(), bsz, k, x);
            ChunkedLayout.mid(r, 0, k - 1).assign(ChunkedLayout.mid(v, 1, k));
            if (dEnd != null) {
                chunk(r, k - 1).assign(ChunkedLayout.dense(dEnd).reshape(bsz, x));
            }
            lam = r.reshape(g, di, n);
        } else {
            lam = dEnd != null ? dEnd.dup('c').reshape(g, di, n) : Nd4j.zeros(dY.dataType(), g, di, n);
        }
        INDArray ddt = Nd4j.createUninitialized(dY.dataType(), c, g, di), du = ddt.ulike();
        INDArray db = Nd4j.createUninitialized(dY.dataType(), c, g, n), dc = db.ulike();
        INDArray da = Nd4j.zeros(dY.dataType(), di, n);
        double f = d.floor();
        for (int j = sv.checkpoints().size() - 1; j >= 0; j--) { // sub-blocks of positions, last first
            int p0 = j * sv.sub(), p1 = Math.min(c, p0 + sv.sub());
            INDArray[] hs = new INDArray[p1 - p0 + 1];
            hs[0] = sv.checkpoints().get(j);
            for (int p = p0; p < p1; p++) {
                hs[p - p0 + 1] = in.transition(p).muli(hs[p - p0]).addi(in.input(p));
            }
            for (int p = p1 - 1; p >= p0; p--) {
                INDArray dy = at(dyp, p), hp = hs[p - p0 + 1], hprev = hs[p - p0];
                at(dc, p).assign(Attention.bmm(dy.reshape(g, 1, di), hp, false, false).reshape(g, n));
                INDArray gq = outer(dy, at(in.cm(), p), g, di, n).addi(lam);
                at(du, p).assign(Attention.bmm(gq, at(in.bm(), p).reshape(g, n, 1), false, false).reshape(g, di));
                at(db, p).assign(Attention.bmm(at(in.u(), p).reshape(g, 1, di), gq, false, false).reshape(g, n));
                INDArray ex = in.decay(p);
                INDArray q = gq.mul(hprev).muli(ex);
                if (f > 0) {
                    q.muli(1 - f);
                }
                at(ddt, p).assign(q.mul(in.a()).sum(2));
                da.addi(q.muli(at(in.dt(), p).reshape(g, di, 1)).sum(0));
                lam = (f > 0 ? ex.muli(1 - f).addi(f) : ex).muli(gq);
            }
        }
        INDArray dStart = chunk(lam.reshape(bsz, k, x), 0).dup('c').reshape(bsz, di, n);
        return new Grads(ChunkedLayout.rows(ddt.permute(1, 0, 2), pl), da, ChunkedLayout.rows(du.permute(1, 0, 2), pl),
                ChunkedLayout.rows(db.permute(1, 0, 2), pl), ChunkedLayout.rows(dc.permute(1, 0, 2), pl), dStart);
    }

    /** The positions-major inputs and the per-position slices made from them. */
    private record Inputs(SelectiveScanRecurrent.Dims d, ChunkedLayout.Plan pl, INDArray dt, INDArray a, INDArray u,
                          INDArray bm, INDArray cm) {
        /** exp(dt_p[g, c] A[c, n]) as [G, di, N]. */
        INDArray decay(int p) {
            INDArray e = at(dt, p).reshape(pl.groups(), d.channels(), 1).mul(a);
            return Nd4j.exec(new Exp(e, e));
        }

        /** The transition at position p: the decay, or floor + (1 - floor) decay under a forget floor. */
        INDArray transition(int p) {
            INDArray e = decay(p);
            return d.floor() > 0 ? e.muli(1 - d.floor()).addi(d.floor()) : e;
        }

        /** u_p[g, c] B_p[g, n] as [G, di, N]. */
        INDArray input(int p) {
            return outer(at(u, p), at(bm, p), pl.groups(), d.channels(), d.states());
        }
    }

    /** Per group the outer product of rows a [G, di] and b [G, N]: [G, di, N] (a new array). */
    private static INDArray outer(INDArray a, INDArray b, int g, int di, int n) {
        return a.reshape(g, di, 1).mul(b.reshape(g, 1, n));
    }

    /**
     * The states entering the chunks: E_0 = start, E_k = tot_{k-1} E_{k-1} + s_{k-1}, from each chunk's
     * end state from 0, s, and total transition tot [G, di, N]. Returns [G, di, N].
     */
    private static INDArray entering(ChunkedLayout.Plan pl, INDArray total, INDArray s, INDArray start, long x) {
        int bsz = pl.batch(), k = pl.k();
        INDArray tot = total.reshape(bsz, k, x), ends = s.reshape(bsz, k, x);
        INDArray s0 = start == null ? null : start.dup('c').reshape(bsz, x);
        if (s0 != null) { // chunk 0 ends at tot_0 start + s_0
            chunk(ends, 0).addi(chunk(tot, 0).mul(s0));
        }
        prefix(tot, ends, k);
        INDArray e = Nd4j.zeros(s.dataType(), bsz, k, x);
        ChunkedLayout.mid(e, 1, k).assign(ChunkedLayout.mid(ends, 0, k - 1));
        if (s0 != null) {
            chunk(e, 0).assign(s0);
        }
        return e.reshape(pl.groups(), s.size(1), s.size(2));
    }

    /**
     * In place h_k = h_k + a_k h_{k-1} along axis 1 of [B, K, X] (the recurrence's result), by a
     * Hillis-Steele scan: level s adds a_k...a_{k-s+1} times h_{k-s}; log2 K levels. {@code a} is kept.
     */
    static void prefix(INDArray a, INDArray h, int k) {
        INDArray prod = a;
        for (int s = 1; s < k; s *= 2) {
            INDArray add = ChunkedLayout.mid(prod, s, k).mul(ChunkedLayout.mid(h, 0, k - s));
            ChunkedLayout.mid(h, s, k).addi(add);
            if (2 * s < k) {
                INDArray next = prod == a ? a.dup() : prod;
                INDArray both = ChunkedLayout.mid(prod, s, k).mul(ChunkedLayout.mid(prod, 0, k - s));
                ChunkedLayout.mid(next, s, k).assign(both);
                prod = next;
            }
        }
    }

    /** In place v_k = v_k + a_k v_{k+1} along axis 1 of [B, K, X], the reverse of {@link #prefix}. */
    static void suffix(INDArray a, INDArray v, int k) {
        INDArray prod = a;
        for (int s = 1; s < k; s *= 2) {
            INDArray add = ChunkedLayout.mid(prod, 0, k - s).mul(ChunkedLayout.mid(v, s, k));
            ChunkedLayout.mid(v, 0, k - s).addi(add);
            if (2 * s < k) {
                INDArray next = prod == a ? a.dup() : prod;
                INDArray both = ChunkedLayout.mid(prod, 0, k - s).mul(ChunkedLayout.mid(prod, s, k));
                ChunkedLayout.mid(next, 0, k - s).assign(both);
                prod = next;
            }
        }
    }

    /** Chunk {@code i} of every sequence, [B, X]: a view of [B, K, X]. */
    static INDArray chunk(INDArray x, long i) {
        return x.get(NDArrayIndex.all(), NDArrayIndex.point(i), NDArrayIndex.all());
    }
}
