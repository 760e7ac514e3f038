package org.selectivbench.models.ops;

import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * S4D's modal recurrence ({@link ModalScanRecurrent} gives the math) as batched ND4J ops, the form for
 * GPUs: the causal convolution y = K * u with K[h, l] = 2 Re(sum_m C'_m E_m^l), in chunks of C steps
 * ({@link ChunkedLayout}; the last chunk zero-padded). Within a chunk a Toeplitz matmul of the first C
 * taps; across chunks the complex modal state: each chunk's end state from 0 is a matmul of its inputs
 * with the weights E^(C-1-j), the states Z entering the chunks follow Z_{k+1} = E^C Z_k + e_k by a prefix
 * scan (log2 K levels, powers of E^C by squaring), and chunk k's step i reads its share out as
 * 2 Re(C' E^(i+1) Z_k). Every power of E comes from one table E^0..E^C built by complex products
 * (doubling; no logarithms, so E = 0 or tiny |E| is exact and nothing overflows for |E| <= 1), and
 * backward returns each power's gradient through the same table: dE = sum_l l dP_l conj(E^(l-1)).
 * No loop runs over time steps.
 *
 * <p>Complex gradients: for real L, G_w = dL/dRe w + i dL/dIm w; a product w = a b passes
 * G_a = G_w conj(b); a holomorphic w = f(E) passes G_E = G_w conj(f'(E)).
 *
 * <p>Shapes, rows ordered (b, t): u, y [B*T, H]; E and C' real and imaginary parts [H, M]; start and end
 * states [B, 2, H, M] (real parts, then imaginary). Inside: inputs [H, C, G] (G = B*K), power table
 * [H, M, C+1], entering states [H, M, B, K].
 */
public final class ModalScanChunked {
    private static final Map<String, INDArray> CONSTANTS = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, INDArray> e) {
                    return size() > 16;
                }
            });

    private ModalScanChunked() {
    }

    /** What backward needs. */
    public record Saved(ModalScanRecurrent.Dims dims, ChunkedLayout.Plan plan, INDArray u, INDArray pr, INDArray pi,
                        INDArray cr, INDArray ci, INDArray toeplitz, INDArray zr, INDArray zi) {
    }

    /** y [B*T, H], and what backward needs when asked to keep it. */
    public record Result(INDArray y, Saved saved) {
    }

    /** du [B*T, H]; dE, dC' parts [H, M] (summed over the batch); dStart [B, 2, H, M]. */
    public record Grads(INDArray du, INDArray der, INDArray dei, INDArray dcr, INDArray dci, INDArray dStart) {
    }

    /**
     * y [B*T, H]; the state after the last step into {@code end} [B, 2, H, M] when not null.
     *
     * @param chunk at most this many steps per chunk
     * @param start [B, 2, H, M] the state before the first step, or null for 0
     */
    public static Result forward(ModalScanRecurrent.Dims d, int chunk, INDArray u, INDArray er, INDArray ei,
                                 INDArray cr, INDArray ci, INDArray start, INDArray end, boolean keep) {
        ChunkedLayout.Plan pl = ChunkedLayout.Plan.of(d.batch(), d.steps(), chunk);
        int c = pl.c(), k = pl.k(), hh = d.channels(), mm = d.modes(), bsz = d.batch();
        DataType dt = u.dataType();
        INDArray uu = ChunkedLayout.groups(u, pl).permute(2, 1, 0).dup('c'); // [H, C, G]
        INDArray[] pw = powers(ChunkedLayout.dense(er), ChunkedLayout.dense(ei), c);
        INDArray cr3 = ChunkedLayout.dense(cr).reshape(hh, mm, 1), ci3 = ChunkedLayout.dense(ci).reshape(hh, mm, 1);
        // taps K[h, l] = 2 sum_m Re(C'_m E^l), l < C, as a lower Toeplitz [H, C, C]
        INDArray taps = cr3.mul(lags(pw[0], 0, c)).subi(ci3.mul(lags(pw[1], 0, c))).sum(1).muli(2.0);
        INDArray toep = mm(taps, constant("toeplitz", c, 0, dt), false, false).reshape(hh, c, c);
        INDArray y = Attention.bmm(toep, uu, false, false); // [H, C, G]
        // chunk end states from 0: sum_j E^(C-1-j) u_j, [H, M, G]
        INDArray wr = select(pw[0], c, c), wi = select(pw[1], c, c);
        INDArray[] z = entering(Attention.bmm(wr, uu, false, false), Attention.bmm(wi, uu, false, false),
                slot(pw[0], c), slot(pw[1], c), startPart(start, 0), startPart(start, 1), bsz, k);
        INDArray zr3 = z[0].reshape(hh, mm, pl.groups()), zi3 = z[1].reshape(hh, mm, pl.groups());
        // readout of the entering state at step i: 2 Re(R_i Z), R_i = C' E^(i+1)
        INDArray[] rw = readout(pw, cr3, ci3, c);
        y.addi(Attention.bmm(rw[0], zr3, true, false).subi(Attention.bmm(rw[1], zi3, true, false)).muli(2.0));
        if (end != null) { // the state at step T-1: E^r Z_{K-1} + sum_{j<r} E^(r-1-j) u_j of the last chunk
            int r = d.steps() - (k - 1) * c;
            INDArray ul = lastChunk(uu, hh, c, bsz, k);
            INDArray pr = slot(pw[0], r).reshape(hh, mm, 1), pi = slot(pw[1], r).reshape(hh, mm, 1);
            INDArray lr = chunkSlot(z[0], k - 1), li = chunkSlot(z[1], k - 1); // [H, M, B]
            INDArray endR = Attention.bmm(select(pw[0], c, r), ul, false, false).addi(pr.mul(lr)).subi(pi.mul(li));
            INDArray endI = Attention.bmm(select(pw[1], c, r), ul, false, false).addi(pr.mul(li)).addi(pi.mul(lr));
            end.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all(), NDArrayIndex.all())
                    .assign(endR.permute(2, 0, 1));
            end.get(NDArrayIndex.all(), NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.all())
                    .assign(endI.permute(2, 0, 1));
        }
        INDArray out = ChunkedLayout.rows(y.permute(2, 1, 0), pl);
        return new Result(out, keep ? new Saved(d, pl, uu, pw[0], pw[1], cr3, ci3, toep, z[0], z[1]) : null);
    }

    /**
     * Gradients from dY [B*T, H] and the end state's gradient dEnd [B, 2, H, M] (or null). Within chunks
     * du = T^T dY and dK[l] = sum_{i-j=l} dY_i u_j; the entering states get G_Z = 2 sum_i dY_i conj(R_i)
     * (+ conj(E^r) G_end for the last chunk) and run back as Gamma_k = G_Z,k + conj(E^C) Gamma_{k+1}
     * (a reverse prefix scan); a chunk end state e_k gets Gamma_{k+1}, E^C gets
     * sum_k Gamma_{k+1} conj(Z_k), the start Gamma_0. dC' collects 2 dK conj(E^l) and
     * 2 dY conj(E^(i+1) Z); each table entry E^l its gradient, which goes to E as l conj(E^(l-1)).
     */
    public static Grads backward(Saved sv, INDArray dY, INDArray dEnd) {
        ModalScanRecurrent.Dims d = sv.dims();
        ChunkedLayout.Plan pl = sv.plan();
        int c = pl.c(), k = pl.k(), hh = d.channels(), mm = d.modes(), bsz = d.batch(), g = pl.groups();
        DataType dt = dY.dataType();
        INDArray pr = sv.pr(), pi = sv.pi(), cr3 = sv.cr(), ci3 = sv.ci(), uu = sv.u();
        INDArray dy = ChunkedLayout.groups(dY, pl).permute(2, 1, 0).dup('c'); // [H, C, G]
        INDArray dpr = Nd4j.zeros(dt, hh, mm, c + 1), dpi = dpr.ulike().assign(0);
        // within chunks
        INDArray du = Attention.bmm(sv.toeplitz(), dy, true, false); // [H, C, G]
        INDArray dT = Attention.bmm(dy, uu, false, true); // [H, C, C]
        INDArray dk = mm(dT.reshape(hh, (long) c * c), constant("toeplitz", c, 0, dt), false, true)
                .reshape(hh, 1, c).muli(2.0); // 2 dK
        INDArray dcr = lags(pr, 0, c).mul(dk).sum(2), dci = lags(pi, 0, c).mul(dk).sum(2).negi();
        lags(dpr, 0, c).addi(dk.mul(cr3));
        lags(dpi, 0, c).subi(dk.mul(ci3));
        // readout of the entering states
        INDArray zr3 = sv.zr().reshape(hh, mm, g), zi3 = sv.zi().reshape(hh, mm, g);
        INDArray[] rw = readout(new INDArray[] {pr, pi}, cr3, ci3, c);
        INDArray gzr = Attention.bmm(rw[0], dy, false, false).muli(2.0); // [H, M, G]
        INDArray gzi = Attention.bmm(rw[1], dy, false, false).muli(-2.0);
        INDArray drr = Attention.bmm(zr3, dy, false, true).muli(2.0); // [H, M, C]
        INDArray dri = Attention.bmm(zi3, dy, false, true).muli(-2.0);
        INDArray pr1 = lags(pr, 1, c + 1), pi1 = lags(pi, 1, c + 1);
        dcr.addi(drr.mul(pr1).addi(dri.mul(pi1)).sum(2));
        dci.addi(dri.mul(pr1).subi(drr.mul(pi1)).sum(2));
        lags(dpr, 1, c + 1).addi(drr.mul(cr3).addi(dri.mul(ci3)));
        lags(dpi, 1, c + 1).addi(dri.mul(cr3).subi(drr.mul(ci3)));
        INDArray gr = gzr.reshape(hh, mm, bsz, k), gi = gzi.reshape(hh, mm, bsz, k);
        if (dEnd != null) { // end = E^r Z_{K-1} + sum_{j<r} E^(r-1-j) u_j
            int r = d.steps() - (k - 1) * c;
            INDArray ger = startPart(dEnd, 0).dup('c'), gei = startPart(dEnd, 1).dup('c'); // [H, M, B]
            INDArray er = slot(pr, r).reshape(hh, mm, 1), ei = slot(pi, r).reshape(hh, mm, 1);
            INDArray lr = chunkSlot(sv.zr(), k - 1), li = chunkSlot(sv.zi(), k - 1);
            chunkSlot(gr, k - 1).addi(er.mul(ger).addi(ei.mul(gei)));
            chunkSlot(gi, k - 1).addi(er.mul(gei).subi(ei.mul(ger)));
            slot(dpr, r).addi(ger.mul(lr).addi(gei.mul(li)).sum(2));
            slot(dpi, r).addi(gei.mul(lr).subi(ger.mul(li)).sum(2));
            INDArray ul = lastChunk(uu, hh, c, bsz, k);
            lastChunk(du, hh, c, bsz, k).addi(Attention.bmm(select(pr, c, r), ger, true, false)
                    .addi(Attention.bmm(select(pi, c, r), gei, true, false)));
            unselect(Attention.bmm(ger, ul, false, true), dpr, c, r);
            unselect(Attention.bmm(gei, ul, false, true), dpi, c, r);
        }
        // across chunks, in reverse: Gamma_k += conj(E^(sC)) Gamma_{k+s}
        INDArray fr = slot(pr, c).dup('c').reshape(hh, mm, 1, 1), fi = slot(pi, c).dup('c').reshape(hh, mm, 1, 1);
        for (int s = 1; s < k; s *= 2) {
            INDArray ar = chunks(gr, s, k), ai = chunks(gi, s, k);
            INDArray tr = ar.mul(fr).addi(ai.mul(fi)), ti = ai.mul(fr).subi(ar.mul(fi));
            chunks(gr, 0, k - s).addi(tr);
            chunks(gi, 0, k - s).addi(ti);
            if (2 * s < k) {
                INDArray nr = fr.mul(fr).subi(fi.mul(fi));
                fi = fr.mul(fi).muli(2.0);
                fr = nr;
            }
        }
        INDArray dStart = Nd4j.createUninitialized(dt, bsz, 2, hh, mm);
        dStart.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all(), NDArrayIndex.all())
                .assign(chunkSlot(gr, 0).permute(2, 0, 1));
        dStart.get(NDArrayIndex.all(), NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.all())
                .assign(chunkSlot(gi, 0).permute(2, 0, 1));
        if (k > 1) { // Z_{k+1} = E^C Z_k + e_k: e_k gets Gamma_{k+1}, E^C sum_k Gamma_{k+1} conj(Z_k)
            INDArray ger = Nd4j.zeros(dt, hh, mm, bsz, k), gei = ger.ulike().assign(0);
            chunks(ger, 0, k - 1).assign(chunks(gr, 1, k));
            chunks(gei, 0, k - 1).assign(chunks(gi, 1, k));
            INDArray zr = chunks(sv.zr(), 0, k - 1), zi = chunks(sv.zi(), 0, k - 1);
            INDArray nr = chunks(gr, 1, k), ni = chunks(gi, 1, k);
            slot(dpr, c).addi(nr.mul(zr).addi(ni.mul(zi)).sum(2, 3));
            slot(dpi, c).addi(ni.mul(zr).subi(nr.mul(zi)).sum(2, 3));
            INDArray ge3r = ger.reshape(hh, mm, g), ge3i = gei.reshape(hh, mm, g);
            du.addi(Attention.bmm(select(pr, c, c), ge3r, true, false))
                    .addi(Attention.bmm(select(pi, c, c), ge3i, true, false));
            unselect(Attention.bmm(ge3r, uu, false, true), dpr, c, c);
            unselect(Attention.bmm(ge3i, uu, false, true), dpi, c, c);
        }
        // E^l -> E: l conj(E^(l-1)) per entry of the table
        INDArray l = constant("lags", c, 0, dt);
        INDArray a0 = lags(pr, 0, c), b0 = lags(pi, 0, c), gp = lags(dpr, 1, c + 1), gq = lags(dpi, 1, c + 1);
        INDArray der = gp.mul(a0).addi(gq.mul(b0)).muli(l).sum(2);
        INDArray dei = gq.mul(a0).subi(gp.mul(b0)).muli(l).sum(2);
        return new Grads(ChunkedLayout.rows(du.permute(2, 1, 0), pl), der, dei, dcr, dci, dStart);
    }

    /** E^0 .. E^C [H, M, C+1] (real, imaginary), by doubling: E^(n..2n) = E^(0..n) E^n. */
    static INDArray[] powers(INDArray er, INDArray ei, int c) {
        long hh = er.size(0), mm = er.size(1);
        INDArray pr = Nd4j.zeros(er.dataType(), hh, mm, c + 1), pi = pr.ulike().assign(0);
        slot(pr, 0).assign(1.0);
        slot(pr, 1).assign(er);
        slot(pi, 1).assign(ei);
        for (int n = 2; n <= c; ) {
            INDArray ar = slot(pr, n - 1), ai = slot(pi, n - 1);
            INDArray qr = ar.mul(er).subi(ai.mul(ei)).reshape(hh, mm, 1);
            INDArray qi = ar.mul(ei).addi(ai.mul(er)).reshape(hh, mm, 1);
            int m = Math.min(n, c + 1 - n);
            INDArray br = lags(pr, 0, m), bi = lags(pi, 0, m);
            lags(pr, n, n + m).assign(br.mul(qr).subi(bi.mul(qi)));
            lags(pi, n, n + m).assign(br.mul(qi).addi(bi.mul(qr)));
            n += m;
        }
        return new INDArray[] {pr, pi};
    }

    /**
     * The states entering the chunks, Z_0 = start, Z_{k+1} = F Z_k + e_k, from each chunk's end state from
     * 0, e [H, M, G], and F = E^C [H, M]: a Hillis-Steele scan (level s adds F^s times the state s chunks
     * back). Returns {real, imaginary} [H, M, B, K].
     */
    private static INDArray[] entering(INDArray er, INDArray ei, INDArray fr0, INDArray fi0, INDArray z0r,
                                       INDArray z0i, int bsz, int k) {
        long hh = er.size(0), mm = er.size(1);
        INDArray sr = er.reshape(hh, mm, bsz, k), si = ei.reshape(hh, mm, bsz, k);
        INDArray fr = fr0.dup('c').reshape(hh, mm, 1, 1), fi = fi0.dup('c').reshape(hh, mm, 1, 1);
        if (z0r != null) { // chunk 0 ends at F start + e_0
            INDArray f3r = fr.reshape(hh, mm, 1), f3i = fi.reshape(hh, mm, 1);
            chunkSlot(sr, 0).addi(f3r.mul(z0r).subi(f3i.mul(z0i)));
            chunkSlot(si, 0).addi(f3r.mul(z0i).addi(f3i.mul(z0r)));
        }
        for (int s = 1; s < k; s *= 2) {
            INDArray ar = chunks(sr, 0, k - s), ai = chunks(si, 0, k - s);
            INDArray tr = ar.mul(fr).subi(ai.mul(fi)), ti = ai.mul(fr).addi(ar.mul(fi));
            chunks(sr, s, k).addi(tr);
            chunks(si, s, k).addi(ti);
            if (2 * s < k) {
                INDArray nr = fr.mul(fr).subi(fi.mul(fi));
                fi = fr.mul(fi).muli(2.0);
                fr = nr;
            }
        }
        INDArray zr = Nd4j.zeros(er.dataType(), hh, mm, bsz, k), zi = zr.ulike().assign(0);
        chunks(zr, 1, k).assign(chunks(sr, 0, k - 1));
        chunks(zi, 1, k).assign(chunks(si, 0, k - 1));
        if (z0r != null) {
            chunkSlot(zr, 0).assign(z0r);
            chunkSlot(zi, 0).assign(z0i);
        }
        return new INDArray[] {zr, zi};
    }

    /** R_i = C' E^(i+1), i < C, as {real, imaginary} [H, M, C]. */
    private static INDArray[] readout(INDArray[] pw, INDArray cr3, INDArray ci3, int c) {
        INDArray pr = lags(pw[0], 1, c + 1), pi = lags(pw[1], 1, c + 1);
        return new INDArray[] {cr3.mul(pr).subi(ci3.mul(pi)), cr3.mul(pi).addi(ci3.mul(pr))};
    }

    /** [H, M, C] with entry j = table entry r-1-j for j < r, else 0 (a 0/1 matmul: exact). */
    private static INDArray select(INDArray table, int c, int r) {
        long hh = table.size(0), mm = table.size(1);
        return mm(table.reshape(hh * mm, c + 1), constant("select", c, r, table.dataType()), false, false)
                .reshape(hh, mm, c);
    }

    /** The gradient of {@link #select}: table gradient += grad [H, M, C] back on the entries r-1-j. */
    private static void unselect(INDArray grad, INDArray tableGrad, int c, int r) {
        long hh = grad.size(0), mm = grad.size(1);
        tableGrad.addi(mm(grad.reshape(hh * mm, c), constant("select", c, r, grad.dataType()), false, true)
                .reshape(hh, mm, c + 1));
    }

    /** The last chunk of every sequence, [H, C, B], a view of [H, C, G]. */
    private static INDArray lastChunk(INDArray x, long hh, int c, int bsz, int k) {
        return x.reshape(hh, c, bsz, k).get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.point(k - 1));
    }

    /** Part {@code i} (0 real, 1 imaginary) of a state [B, 2, H, M] as [H, M, B] (a view), or null. */
    private static INDArray startPart(INDArray s, int i) {
        return s == null ? null
                : s.get(NDArrayIndex.all(), NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all())
                        .permute(1, 2, 0);
    }

    /** Entry l of a table [H, M, L]: [H, M], a view. */
    private static INDArray slot(INDArray x, int l) {
        return x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(l));
    }

    /** Entries [from, to) of a table [H, M, L], a view. */
    private static INDArray lags(INDArray x, int from, int to) {
        return x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(from, to));
    }

    /** Chunk k of [H, M, B, K]: [H, M, B], a view. */
    private static INDArray chunkSlot(INDArray x, int k) {
        return x.get(all(3, NDArrayIndex.point(k)));
    }

    /** Chunks [from, to) of [H, M, B, K], a view. */
    private static INDArray chunks(INDArray x, int from, int to) {
        return x.get(all(3, NDArrayIndex.interval(from, to)));
    }

    private static INDArrayIndex[] all(int n, INDArrayIndex last) {
        INDArrayIndex[] ix = new INDArrayIndex[n + 1];
        for (int i = 0; i < n; i++) {
            ix[i] = NDArrayIndex.all();
        }
        ix[n] = last;
        return ix;
    }

    /** op(a) op(b) into a new array. */
    private static INDArray mm(INDArray a, INDArray b, boolean ta, boolean tb) {
        long rows = ta ? a.size(1) : a.size(0), cols = tb ? b.size(0) : b.size(1);
        INDArray out = Nd4j.createUninitialized(a.dataType(), rows, cols);
        Nd4j.gemm(a, b, out, ta, tb, 1.0, 0.0);
        return out;
    }

    /**
     * Constant 0/1 matrices and weights, kept out of the step's workspace: "toeplitz" [C, C*C] with
     * 1 at [l, i*C + j] when i - j = l; "select" [C+1, C] with 1 at [r-1-j, j] for j < r; "lags" the row
     * 1..C as [1, 1, C].
     */
    private static INDArray constant(String kind, int c, int r, DataType dt) {
        return CONSTANTS.computeIfAbsent(kind + ":" + c + ":" + r + ":" + dt, key -> {
            double[] v;
            long[] shape;
            switch (kind) {
                case "toeplitz" -> {
                    v = new double[c * c * c];
                    for (int i = 0; i < c; i++) {
                        for (int j = 0; j <= i; j++) {
                            v[(i - j) * c * c + i * c + j] = 1;
                        }
                    }
                    shape = new long[] {c, (long) c * c};
                }
                case "select" -> {
                    v = new double[(c + 1) * c];
                    for (int j = 0; j < r; j++) {
                        v[(r - 1 - j) * c + j] = 1;
                    }
                    shape = new long[] {c + 1, c};
                }
                default -> {
                    v = new double[c];
                    for (int l = 0; l < c; l++) {
                        v[l] = l + 1;
                    }
                    shape = new long[] {1, 1, c};
                }
            }
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                return Nd4j.create(v, shape, DataType.DOUBLE).castTo(dt);
            }
        });
    }
}
