package org.selectivbench.models.ops;

/**
 * {@link GatedRnnRecurrent} in float, for float32 models: the same recurrence, layouts and order of
 * operations on float arrays, with {@link Exp#expf}'s vector form for the gates. Tested against the
 * double form, which stays the tight reference.
 */
public final class GatedRnnFloat {
    private GatedRnnFloat() {
    }

    /**
     * What backward needs. LSTM: acts = (i, f, g, o) after their activations, cells = c_t, cell0 = c_0.
     * GRU: acts = (r, u, n), cells = a_n + b_n. hPrev = h_{t-1} per row. tanhs = tanh(c_t) (LSTM).
     */
    public record Saved(GatedRnnRecurrent.Dims dims, float[] wh, float[] bn, float[] acts, float[] cells,
                        float[] cell0, float[] hPrev, float[] tanhs) {
    }

    /**
     * Writes h [B*T, d] and, when not null, the last h and c (LSTM) into hEnd, cEnd.
     *
     * @param bn GRU only: b_hn [d], added to the recurrent n pre-activation inside r (...)
     * @param h0 [B, d] or null (0); c0 likewise (LSTM)
     */
    public static Saved forward(GatedRnnRecurrent.Dims d, float[] xg, float[] wh, float[] bn, float[] h0, float[] c0,
                                float[] h, float[] hEnd, float[] cEnd, boolean keep) {
        int hd = d.hidden(), w = d.width(), t = d.steps();
        int rows = d.batch() * t;
        float[] acts = Arena.floats(rows * w);
        float[] cells = Arena.floats(rows * hd);
        float[] hPrev = keep ? Arena.floats(rows * hd) : null;
        float[] cell0 = keep && c0 != null ? c0.clone() : null;
        float[] tanhs = keep && d.cell() == GatedRnnRecurrent.Cell.LSTM ? Arena.floats(rows * hd) : null;
        boolean simd = Simd.on();
        Parallel.forRange(d.batch(), (from, to) -> {
            float[] hs = Arena.floats(hd), cs = Arena.floats(hd), z = Arena.floats(w), e = Arena.floats(w);
            for (int b = from; b < to; b++) {
                for (int j = 0; j < hd; j++) {
                    hs[j] = h0 == null ? 0 : h0[b * hd + j];
                    cs[j] = c0 == null ? 0 : c0[b * hd + j];
                }
                for (int s = 0; s < t; s++) {
                    int row = b * t + s, o = row * w;
                    if (hPrev != null) {
                        System.arraycopy(hs, 0, hPrev, row * hd, hd);
                    }
                    matvec(hs, wh, hd, w, z);
                    if (d.cell() == GatedRnnRecurrent.Cell.LSTM) {
                        // the step's exponentials in two vector passes: the gates', then tanh(c)'s
                        int k0 = simd ? GatedRnnFloatVector.lstmArguments(hd, z, xg, o, e) : 0;
                        for (int k = k0; k < w; k++) {
                            z[k] += xg[o + k];
                            e[k] = -z[k];
                        }
                        if (k0 < w) {
                            tanhArguments(z, 2 * hd, e, 2 * hd, hd);
                        }
                        Exp.expInPlace(e, w);
                        int j0 = simd ? GatedRnnFloatVector.lstmCells(hd, o, row * hd, z, e, cs, acts, cells) : 0;
                        for (int j = j0; j < hd; j++) {
                            float ig = 1 / (1 + e[j]), fg = 1 / (1 + e[hd + j]);
                            float gg = tanhOf(z[2 * hd + j], e[2 * hd + j]), og = 1 / (1 + e[3 * hd + j]);
                            cs[j] = fg * cs[j] + ig * gg;
                            acts[o + j] = ig;
                            acts[o + hd + j] = fg;
                            acts[o + 2 * hd + j] = gg;
                            acts[o + 3 * hd + j] = og;
                            cells[row * hd + j] = cs[j];
                        }
                        tanhArguments(cs, 0, e, 0, hd);
                        Exp.expInPlace(e, hd);
                        j0 = simd ? GatedRnnFloatVector.lstmOutputs(hd, o, row * hd, cs, e, acts, hs, tanhs) : 0;
                        for (int j = j0; j < hd; j++) {
                            float tc = tanhOf(cs[j], e[j]);
                            hs[j] = acts[o + 3 * hd + j] * tc;
                            if (tanhs != null) {
                                tanhs[row * hd + j] = tc;
                            }
                        }
                    } else {
                        for (int k = 0; k < 2 * hd; k++) {
                            e[k] = -(xg[o + k] + z[k]);
                        }
                        Exp.expInPlace(e, 2 * hd);
                        int j0 = simd ? GatedRnnFloatVector.gruGates(hd, o, row * hd, xg, z, e, bn, acts, cells) : 0;
                        for (int j = j0; j < hd; j++) {
                            float r = 1 / (1 + e[j]), an = z[2 * hd + j] + bn[j];
                            acts[o + j] = r;
                            acts[o + hd + j] = 1 / (1 + e[hd + j]);
                            cells[row * hd + j] = an;
                            z[2 * hd + j] = xg[o + 2 * hd + j] + r * an;
                        }
                        tanhArguments(z, 2 * hd, e, 0, hd);
                        Exp.expInPlace(e, hd);
                        j0 = simd ? GatedRnnFloatVector.gruOutputs(hd, o, z, e, acts, hs) : 0;
                        for (int j = j0; j < hd; j++) {
                            float n = tanhOf(z[2 * hd + j], e[j]), u = acts[o + hd + j];
                            hs[j] = n + u * (hs[j] - n);
                            acts[o + 2 * hd + j] = n;
                        }
                    }
                    System.arraycopy(hs, 0, h, row * hd, hd);
                }
                if (hEnd != null) {
                    System.arraycopy(hs, 0, hEnd, b * hd, hd);
                }
                if (cEnd != null) {
                    System.arraycopy(cs, 0, cEnd, b * hd, hd);
                }
            }
        });
        return keep ? new Saved(d, wh, bn, acts, cells, cell0, hPrev, tanhs) : null;
    }

    /**
     * From dH [B*T, d] (and the gradients of the last h and c, or null), writes the gradients of the gate
     * pre-activations: dX [B*T, G*d] for the input projections (and, GRU, dA [B*T, G*d] for the recurrent
     * ones, whose n part differs by r; LSTM: dA = dX, pass null), and dh0, dc0 when not null.
     */
    public static void backward(Saved sv, float[] dH, float[] dhEnd, float[] dcEnd, float[] dX, float[] dA,
                                float[] dh0, float[] dc0) {
        GatedRnnRecurrent.Dims d = sv.dims();
        int hd = d.hidden(), w = d.width(), t = d.steps();
        float[] wt = Loops.transposed(sv.wh(), hd, w);
        Parallel.forRange(d.batch(), (from, to) -> {
            float[] dh = Arena.floats(hd), dc = Arena.floats(hd), dz = Arena.floats(w), back = Arena.floats(hd);
            for (int b = from; b < to; b++) {
                for (int j = 0; j < hd; j++) {
                    dh[j] = dhEnd == null ? 0 : dhEnd[b * hd + j];
                    dc[j] = dcEnd == null ? 0 : dcEnd[b * hd + j];
                }
                for (int s = t - 1; s >= 0; s--) {
                    int row = b * t + s, o = row * w;
                    for (int j = 0; j < hd; j++) {
                        dh[j] += dH[row * hd + j];
                    }
                    if (d.cell() == GatedRnnRecurrent.Cell.LSTM) {
                        lstmBackRow(hd, o, row * hd, sv.acts(), sv.tanhs(), s > 0 ? sv.cells() : sv.cell0(),
                                s > 0 ? (row - 1) * hd : b * hd, dh, dc, dz);
                        System.arraycopy(dz, 0, dX, o, w);
                    } else {
                        gruBackRow(hd, o, row * hd, sv.acts(), sv.cells(), sv.hPrev(), dh, dz, dX);
                        System.arraycopy(dz, 0, dA, o, w);
                    }
                    // dh_{t-1} += dz W_h^T
                    matvecT(dz, wt, hd, w, back);
                    for (int j = 0; j < hd; j++) {
                        dh[j] = (d.cell() == GatedRnnRecurrent.Cell.LSTM ? 0 : dh[j]) + back[j];
                    }
                }
                if (dh0 != null) {
                    System.arraycopy(dh, 0, dh0, b * hd, hd);
                }
                if (dc0 != null) {
                    System.arraycopy(dc, 0, dc0, b * hd, hd);
                }
            }
        });
    }

    /** z = h W, W [d, w] row-major. */
    private static void matvec(float[] h, float[] wm, int d, int w, float[] z) {
        Loops.rowCombination(h, wm, d, w, z);
    }

    /**
     * out = dz W^T from W^T [G*d, d]: out[i] sums dz[j] W[i, j] in order of j, as a row-by-row dot
     * product would, but one output per lane.
     */
    private static void matvecT(float[] dz, float[] wt, int d, int w, float[] out) {
        Loops.rowCombination(dz, wt, w, d, out);
    }

    /**
     * One LSTM row back: the gate gradients into dz, dc becomes dc_{t-1}; acts at o, tanh(c) at co, c_{t-1}
     * at po of cPrev (null: 0).
     */
    static void lstmBackRow(int hd, int o, int co, float[] acts, float[] tanhs, float[] cPrev, int po,
                            float[] dh, float[] dc, float[] dz) {
        int j = Simd.on() ? GatedRnnFloatVector.lstmBackRow(hd, o, co, acts, tanhs, cPrev, po, dh, dc, dz) : 0;
        for (; j < hd; j++) {
            float ig = acts[o + j], fg = acts[o + hd + j], gg = acts[o + 2 * hd + j], og = acts[o + 3 * hd + j];
            float tc = tanhs[co + j], cp = cPrev == null ? 0 : cPrev[po + j];
            float dct = dc[j] + dh[j] * og * (1 - tc * tc);
            dz[j] = dct * gg * ig * (1 - ig);
            dz[hd + j] = dct * cp * fg * (1 - fg);
            dz[2 * hd + j] = dct * ig * (1 - gg * gg);
            dz[3 * hd + j] = dh[j] * tc * og * (1 - og);
            dc[j] = dct * fg;
        }
    }

    /**
     * One GRU row back: dX's row at o, the recurrent pre-activations' gradients into dz, and dh keeps the
     * direct path h_{t-1} -> h_t; a_n + b_n and h_{t-1} at co.
     */
    static void gruBackRow(int hd, int o, int co, float[] acts, float[] cells, float[] hPrev, float[] dh,
                           float[] dz, float[] dX) {
        int j = Simd.on() ? GatedRnnFloatVector.gruBackRow(hd, o, co, acts, cells, hPrev, dh, dz, dX) : 0;
        for (; j < hd; j++) {
            float r = acts[o + j], u = acts[o + hd + j], n = acts[o + 2 * hd + j];
            float an = cells[co + j], hp = hPrev[co + j];
            float dn = dh[j] * (1 - u), dpn = dn * (1 - n * n);
            float dr = dpn * an;
            dX[o + j] = dr * r * (1 - r);
            dX[o + hd + j] = dh[j] * (hp - n) * u * (1 - u);
            dX[o + 2 * hd + j] = dpn;
            dz[j] = dX[o + j];
            dz[hd + j] = dX[o + hd + j];
            dz[2 * hd + j] = dpn * r;
            dh[j] = dh[j] * u;
        }
    }

    /** e[eo + j] = -2 |x[xo + j]| for j in [0, n): the exponentials tanh needs. */
    private static void tanhArguments(float[] x, int xo, float[] e, int eo, int n) {
        for (int j = 0; j < n; j++) {
            e[eo + j] = -2 * Math.abs(x[xo + j]);
        }
    }

    /** tanh x from e = exp(-2 |x|). */
    private static float tanhOf(float x, float e) {
        float t = (1 - e) / (1 + e);
        return x < 0 ? -t : t;
    }
}
