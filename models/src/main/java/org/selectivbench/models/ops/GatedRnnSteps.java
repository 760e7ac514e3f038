package org.selectivbench.models.ops;

import static org.selectivbench.models.ops.ChunkedLayout.at;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.selectivbench.models.ops.GatedRnnRecurrent.Cell;

/**
 * The LSTM and GRU recurrences ({@link GatedRnnRecurrent} gives the math) as batched ND4J ops, the form
 * for GPUs. A recurrence through a nonlinearity has no chunked form, so the loop runs over the steps,
 * each a few ops over the whole batch: one matmul h W_h, the gate activations in place, the new c and
 * h. Everything the backward pass needs that does not depend on the incoming gradient (the gate
 * derivatives) is formed once over all steps before its loop, which is then a matmul and two or three
 * elementwise ops per step.
 *
 * <p>Shapes, rows ordered (b, t): xg [B*T, G*d] (G = 4 gates i, f, g, o for the LSTM, 3 gates r, z, n
 * for the GRU); W_h [d, G*d]; b_hn [d] or [1, d] (GRU); h [B*T, d]; states h0, c0, hEnd, cEnd [B, d].
 * Steps-major inside: [T, B, G*d] and [T+1, B, d].
 */
public final class GatedRnnSteps {
    private GatedRnnSteps() {
    }

    /**
     * What backward needs: W_h; the gate activations [T, B, G*d]; the LSTM's cells c_0..c_T or the GRU's
     * a_n + b_n per step; h_0..h_T [T+1, B, d].
     */
    public record Saved(GatedRnnRecurrent.Dims dims, INDArray wh, INDArray acts, INDArray cells, INDArray hs) {
    }

    /** h [B*T, d], and what backward needs when asked to keep it. */
    public record Result(INDArray h, Saved saved) {
    }

    /**
     * dX [B*T, G*d], the gradients of the input projections; dA the recurrent projections' (the same array
     * for the LSTM); hPrev [B*T, d] h_{t-1} per row (dW_h = hPrev^T dA); dh0, dc0 [B, d] (dc0 null for
     * the GRU).
     */
    public record Grads(INDArray dX, INDArray dA, INDArray hPrev, INDArray dh0, INDArray dc0) {
    }

    /**
     * h [B*T, d]; the last h (and c) into hEnd (cEnd) [B, d] when not null.
     *
     * @param bn GRU: b_hn; LSTM: null
     * @param h0 [B, d] or null for 0; c0 likewise (LSTM)
     */
    public static Result forward(GatedRnnRecurrent.Dims d, INDArray xg, INDArray wh, INDArray bn, INDArray h0,
                                 INDArray c0, INDArray hEnd, INDArray cEnd, boolean keep) {
        int bsz = d.batch(), t = d.steps(), hd = d.hidden();
        boolean lstm = d.cell() == Cell.LSTM;
        ChunkedLayout.Plan pl = ChunkedLayout.Plan.of(bsz, t, t); // one chunk: steps-major [T, B, G*d]
        INDArray z = ChunkedLayout.positions(xg, pl); // pre-activations, turned into activations in place
        INDArray hs = Nd4j.zeros(xg.dataType(), t + 1, bsz, hd);
        if (h0 != null) {
            at(hs, 0).assign(h0);
        }
        INDArray cells = lstm ? Nd4j.zeros(xg.dataType(), t + 1, bsz, hd) : Nd4j.createUninitialized(xg.dataType(),
                t, bsz, hd);
        if (lstm && c0 != null) {
            at(cells, 0).assign(c0);
        }
        INDArray bnRow = bn == null ? null : ChunkedLayout.dense(bn).reshape(1, hd);
        for (int s = 0; s < t; s++) {
            INDArray zt = at(z, s), hp = at(hs, s);
            INDArray a = mm(hp, wh, false);
            if (lstm) {
                zt.addi(a);
                INDArray i = cols(zt, 0, hd), f = cols(zt, hd, 2 * hd), g = cols(zt, 2 * hd, 3 * hd);
                INDArray o = cols(zt, 3 * hd, 4 * hd);
                INDArray fi = cols(zt, 0, 2 * hd);
                Nd4j.exec(new Sigmoid(fi, fi));
                Nd4j.exec(new Tanh(g, g));
                Nd4j.exec(new Sigmoid(o, o));
                INDArray c = f.mul(at(cells, s)).addi(i.mul(g));
                at(cells, s + 1).assign(c);
                at(hs, s + 1).assign(Nd4j.exec(new Tanh(c, c)).muli(o));
            } else {
                INDArray ru = cols(zt, 0, 2 * hd);
                ru.addi(cols(a, 0, 2 * hd));
                Nd4j.exec(new Sigmoid(ru, ru));
                INDArray an = cols(a, 2 * hd, 3 * hd).addiRowVector(bnRow);
                at(cells, s).assign(an);
                INDArray n = cols(zt, 2 * hd, 3 * hd);
                n.addi(an.muli(cols(zt, 0, hd)));
                Nd4j.exec(new Tanh(n, n));
                // h = n + u (h_{t-1} - n)
                at(hs, s + 1).assign(hp.sub(n).muli(cols(zt, hd, 2 * hd)).addi(n));
            }
        }
        if (hEnd != null) {
            hEnd.assign(at(hs, t));
        }
        if (cEnd != null) {
            cEnd.assign(at(cells, t));
        }
        INDArray h = ChunkedLayout.rows(lead(hs, 1, t + 1).permute(1, 0, 2), pl);
        return new Result(h, keep ? new Saved(d, wh, z, cells, hs) : null);
    }

    /**
     * Gradients from dH [B*T, d] and the last states' gradients dhEnd, dcEnd [B, d] (or null).
     * LSTM: dh_t = dH_t + dZ_{t+1} W_h^T; dc~_t = dc_t + dh_t o (1 - tanh^2 c_t);
     * dZ_t = (dc~ g i(1-i), dc~ c_{t-1} f(1-f), dc~ i (1-g^2), dh tanh(c) o(1-o)); dc_{t-1} = dc~ f.
     * GRU: dX = dh ((1-n^2)(1-u) (a_n + b_n) r(1-r), (h_{t-1} - n) u(1-u), (1-u)(1-n^2)), dA = dX with
     * its n part times r; dh_{t-1} = dh u + dA W_h^T.
     */
    public static Grads backward(Saved sv, INDArray dH, INDArray dhEnd, INDArray dcEnd) {
        GatedRnnRecurrent.Dims d = sv.dims();
        int bsz = d.batch(), t = d.steps(), hd = d.hidden(), gates = d.cell().gates;
        boolean lstm = d.cell() == Cell.LSTM;
        ChunkedLayout.Plan pl = ChunkedLayout.Plan.of(bsz, t, t);
        INDArray dh = ChunkedLayout.positions(dH, pl); // [T, B, d]
        INDArray acts = sv.acts();
        INDArray dx = Nd4j.createUninitialized(dH.dataType(), t, bsz, (long) gates * hd);
        INDArray back = dhEnd != null ? dhEnd.dup('c') : Nd4j.zeros(dH.dataType(), bsz, hd);
        INDArray dc = null, da = dx;
        if (lstm) {
            INDArray i = gate(acts, 0, hd), f = gate(acts, 1, hd), g = gate(acts, 2, hd), o = gate(acts, 3, hd);
            INDArray tc = lead(sv.cells(), 1, t + 1).dup('c');
            Nd4j.exec(new Tanh(tc, tc));
            INDArray alpha = tc.mul(tc).rsubi(1.0).muli(o); // o (1 - tanh^2 c)
            INDArray beta = o.rsub(1.0).muli(o).muli(tc); // tanh(c) o (1 - o)
            INDArray gam = Nd4j.createUninitialized(dH.dataType(), t, bsz, 3, hd); // i, f, g pre-activation factors
            slot(gam, 0).assign(i.rsub(1.0).muli(i).muli(g));
            slot(gam, 1).assign(f.rsub(1.0).muli(f).muli(lead(sv.cells(), 0, t)));
            slot(gam, 2).assign(g.mul(g).rsubi(1.0).muli(i));
            dc = dcEnd != null ? dcEnd.dup('c') : Nd4j.zeros(dH.dataType(), bsz, hd);
            for (int s = t - 1; s >= 0; s--) {
                INDArray dht = at(dh, s).add(back);
                INDArray dct = dht.mul(at(alpha, s)).addi(dc);
                INDArray dz = at(dx, s); // [B, 4d]
                Nd4j.exec(new MulOp(dht, at(beta, s), cols(dz, 3 * hd, 4 * hd)));
                Nd4j.exec(new MulOp(at4(gam, s), dct.reshape(bsz, 1, hd), dz.reshape(bsz, 4, hd)
                        .get(NDArrayIndex.all(), NDArrayIndex.interval(0, 3), NDArrayIndex.all())));
                dc = dct.muli(gateAt(acts, s, 1, hd));
                back = mm(dz, sv.wh(), true);
            }
        } else {
            INDArray r = gate(acts, 0, hd), u = gate(acts, 1, hd), n = gate(acts, 2, hd);
            INDArray hp = lead(sv.hs(), 0, t);
            INDArray dn = n.mul(n).rsubi(1.0).muli(u.rsub(1.0)); // dh_t -> n pre-activation: (1 - n^2)(1 - u)
            INDArray rx = Nd4j.createUninitialized(dH.dataType(), t, bsz, 3, hd), ra = rx.ulike();
            slot(rx, 0).assign(r.rsub(1.0).muli(r).muli(sv.cells()).muli(dn));
            slot(rx, 1).assign(u.rsub(1.0).muli(u).muli(hp.sub(n)));
            slot(rx, 2).assign(dn);
            ra.assign(rx);
            slot(ra, 2).muli(r);
            da = dx.ulike();
            for (int s = t - 1; s >= 0; s--) {
                INDArray dht = at(dh, s).add(back);
                INDArray col = dht.reshape(bsz, 1, hd);
                Nd4j.exec(new MulOp(at4(rx, s), col, at(dx, s).reshape(bsz, 3, hd)));
                Nd4j.exec(new MulOp(at4(ra, s), col, at(da, s).reshape(bsz, 3, hd)));
                back = dht.muli(gateAt(acts, s, 1, hd));
                Nd4j.gemm(at(da, s), sv.wh(), back, false, true, 1.0, 1.0);
            }
        }
        INDArray dX = ChunkedLayout.rows(dx.permute(1, 0, 2), pl);
        INDArray dA = lstm ? dX : ChunkedLayout.rows(da.permute(1, 0, 2), pl);
        INDArray hPrev = ChunkedLayout.rows(lead(sv.hs(), 0, t).permute(1, 0, 2), pl);
        return new Grads(dX, dA, hPrev, back, dc);
    }

    /** Gate {@code j} of activations [T, B, G*d]: [T, B, d], a view. */
    private static INDArray gate(INDArray acts, int j, int hd) {
        return acts.get(NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.interval((long) j * hd, (long) (j + 1) * hd));
    }

    /**
     * Gate {@code j} of step {@code s} of activations [T, B, G*d]: [B, d], indexed on the array itself (in
     * ND4J 1.0.0-M2.1 a point index on a view made by an interval index comes out with an empty shape).
     */
    private static INDArray gateAt(INDArray acts, int s, int j, int hd) {
        return acts.get(NDArrayIndex.point(s), NDArrayIndex.all(),
                NDArrayIndex.interval((long) j * hd, (long) (j + 1) * hd));
    }

    /** Gate factor {@code j} of [T, B, 3, d]: [T, B, d], a view. */
    private static INDArray slot(INDArray x, int j) {
        return x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(j), NDArrayIndex.all());
    }

    /** Step {@code s} of [T, B, 3, d]: [B, 3, d], a view. */
    private static INDArray at4(INDArray x, int s) {
        return x.get(NDArrayIndex.point(s), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());
    }

    /** Entries [from, to) of the leading axis of a rank-3 array, a view. */
    private static INDArray lead(INDArray x, long from, long to) {
        return x.get(NDArrayIndex.interval(from, to), NDArrayIndex.all(), NDArrayIndex.all());
    }

    private static INDArray cols(INDArray x, long from, long to) {
        return x.get(NDArrayIndex.all(), NDArrayIndex.interval(from, to));
    }

    /** a W (or a W^T) into a new array. */
    private static INDArray mm(INDArray a, INDArray w, boolean transposed) {
        INDArray out = Nd4j.createUninitialized(a.dataType(), a.size(0), transposed ? w.size(0) : w.size(1));
        Nd4j.gemm(a, w, out, false, transposed, 1.0, 0.0);
        return out;
    }
}
