package org.selectivbench.models.ops;

/**
 * {@link GatedRnnRecurrent} in float, for float32 models: the same recurrence, layouts and order of
 * operations on float arrays, with {@link Exp#expf}'s vector form for the gates. Tested against the
 * double form, which stays the tight reference.
 */
public final class GatedRnnFloat {
    /** Sequences stepped together: four rows of h (dz) against one load of W_h (W_h^T), docs/engine-log.md. */
    static final int GROUP = 4;

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
        // every row of these is written at its step
        float[] acts = Arena.uninitialized(rows * w);
        float[] cells = Arena.uninitialized(rows * hd);
        float[] hPrev = keep ? Arena.uninitialized(rows * hd) : null;
        float[] cell0 = keep && c0 != null ? c0.clone() : null;
        float[] tanhs = keep && d.cell() == GatedRnnRecurrent.Cell.LSTM ? Arena.uninitialized(rows * hd) : null;
        boolean simd = Simd.on();
        // sequences in groups of GROUP at each step: the group's h W_h loads W_h once for all of them
        Parallel.forRange(d.batch(), (from, to) -> {
            float[][] hsG = new float[GROUP][], csG = new float[GROUP][], zG = new float[GROUP][];
            float[][] eG = new float[GROUP][];
            for (int i = 0; i < GROUP; i++) {
                hsG[i] = Arena.floats(hd);
                csG[i] = Arena.floats(hd);
                zG[i] = Arena.floats(w);
                eG[i] = Arena.floats(w);
            }
            for (int b0 = from; b0 < to; b0 += GROUP) {
                int g = Math.min(GROUP, to - b0);
                for (int i = 0; i < g; i++) {
                    for (int j = 0; j < hd; j++) {
                        hsG[i][j] = h0 == null ? 0 : h0[(b0 + i) * hd + j];
                        csG[i][j] = c0 == null ? 0 : c0[(b0 + i) * hd + j];
                    }
                }
                for (int s = 0; s < t; s++) {
                    Loops.rowCombinations(hsG, wh, hd, w, zG, g); // z = h W_h
                    for (int i = 0; i < g; i++) {
                        float[] hs = hsG[i], cs = csG[i], z = zG[i], e = eG[i];
                        int row = (b0 + i) * t + s, o = row * w;
                        if (d.cell() == GatedRnnRecurrent.Cell.LSTM) {
                            int j0 = simd ? GatedRnnFloatVector.lstmStep(hd, o, row * hd, z, xg, cs, acts, cells, hs,
                                    tanhs, h, hPrev) : 0;
                            lstmUnits(hd, j0, o, row * hd, z, xg, cs, acts, cells, hs, tanhs, h, hPrev);
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
                            j0 = simd ? GatedRnnFloatVector.gruOutputs(hd, o, row * hd, z, e, acts, hs, h, hPrev) : 0;
                            for (int j = j0; j < hd; j++) {
                                float n = tanhOf(z[2 * hd + j], e[j]), u = acts[o + hd + j];
                                if (hPrev != null) {
                                    hPrev[row * hd + j] = hs[j];
                                }
                                hs[j] = n + u * (hs[j] - n);
                                h[row * hd + j] = hs[j];
                                acts[o + 2 * hd + j] = n;
                            }
                        }
                    }
                }
                for (int i = 0; i < g; i++) {
                    if (hEnd != null) {
                        System.arraycopy(hsG[i], 0, hEnd, (b0 + i) * hd, hd);
                    }
                    if (cEnd != null) {
                        System.arraycopy(csG[i], 0, cEnd, (b0 + i) * hd, hd);
                    }
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
        boolean lstm = d.cell() == GatedRnnRecurrent.Cell.LSTM;
        // sequences in groups of GROUP at each step: the group's dz W_h^T loads W_h^T once for all of them
        Parallel.forRange(d.batch(), (from, to) -> {
            float[][] dh = new float[GROUP][], dc = new float[GROUP][], dz = new float[GROUP][];
            float[][] back = new float[GROUP][];
            for (int i = 0; i < GROUP; i++) {
                dh[i] = Arena.floats(hd);
                dc[i] = Arena.floats(hd);
                dz[i] = Arena.floats(w);
                back[i] = Arena.floats(hd);
            }
            for (int b0 = from; b0 < to; b0 += GROUP) {
                int g = Math.min(GROUP, to - b0);
                for (int i = 0; i < g; i++) {
                    for (int j = 0; j < hd; j++) {
                        dh[i][j] = dhEnd == null ? 0 : dhEnd[(b0 + i) * hd + j];
                        dc[i][j] = dcEnd == null ? 0 : dcEnd[(b0 + i) * hd + j];
                    }
                }
                for (int s = t - 1; s >= 0; s--) {
                    for (int i = 0; i < g; i++) {
                        int b = b0 + i, row = b * t + s, o = row * w;
                        if (lstm) { // dh + dH inside the row's loop
                            lstmBackRow(hd, o, row * hd, sv.acts(), sv.tanhs(), s > 0 ? sv.cells() : sv.cell0(),
                                    s > 0 ? (row - 1) * hd : b * hd, dh[i], dH, dc[i], dz[i], dX);
                        } else {
                            for (int j = 0; j < hd; j++) {
                                dh[i][j] += dH[row * hd + j];
                            }
                            gruBackRow(hd, o, row * hd, sv.acts(), sv.cells(), sv.hPrev(), dh[i], dz[i], dX);
                            System.arraycopy(dz[i], 0, dA, o, w);
                        }
                    }
                    // dh_{t-1} (+)= dz W_h^T, from W^T [G*d, d]: each output sums dz[j] W[i, j] in order of j. The
                    // LSTM's dh is that sum alone, written in place: a chain of FMAs from +0 never ends at -0,
                    // so it is the 0 + sum it was
                    Loops.rowCombinations(dz, wt, w, hd, lstm ? dh : back, g);
                    for (int i = 0; i < g && !lstm; i++) {
                        for (int j = 0; j < hd; j++) {
                            dh[i][j] += back[i][j];
                        }
                    }
                }
                for (int i = 0; i < g; i++) {
                    if (dh0 != null) {
                        System.arraycopy(dh[i], 0, dh0, (b0 + i) * hd, hd);
                    }
                    if (dc0 != null) {
                        System.arraycopy(dc[i], 0, dc0, (b0 + i) * hd, hd);
                    }
                }
            }
        });
    }

    /**
     * One LSTM step of one sequence for hidden units [j0, hd): from z = h_{t-1} W_h (not changed) and the
     * input projection's row at o, the gates into acts at o, c_t into cs and cells at co, h_t into hs and h
     * at co, h_{t-1} (hs before) into hPrev at co and tanh(c_t) into tanhs at co (these two when not null).
     * The row's copies are stores of the unit loop: a copy call of a row's 32 units cost about 22 ns
     * beside the gates' 80 (docs/engine-log.md).
     */
    static void lstmUnits(int hd, int j0, int o, int co, float[] z, float[] xg, float[] cs, float[] acts,
                          float[] cells, float[] hs, float[] tanhs, float[] h, float[] hPrev) {
        for (int j = j0; j < hd; j++) {
            float zg = z[2 * hd + j] + xg[o + 2 * hd + j];
            float ig = 1 / (1 + Exp.expf(-(z[j] + xg[o + j])));
            float fg = 1 / (1 + Exp.expf(-(z[hd + j] + xg[o + hd + j])));
            float gg = tanhOf(zg, Exp.expf(-2 * Math.abs(zg)));
            float og = 1 / (1 + Exp.expf(-(z[3 * hd + j] + xg[o + 3 * hd + j])));
            float c = fg * cs[j] + ig * gg;
            float tc = tanhOf(c, Exp.expf(-2 * Math.abs(c)));
            cs[j] = c;
            acts[o + j] = ig;
            acts[o + hd + j] = fg;
            acts[o + 2 * hd + j] = gg;
            acts[o + 3 * hd + j] = og;
            cells[co + j] = c;
            if (hPrev != null) {
                hPrev[co + j] = hs[j];
            }
            hs[j] = og * tc;
            h[co + j] = hs[j];
            if (tanhs != null) {
                tanhs[co + j] = tc;
            }
        }
    }

    /**
     * One LSTM row back: the gate gradients into dz and into dX at o, dc becomes dc_{t-1}; acts at o,
     * tanh(c) and dH (the gradient from above, added to dh, which is not changed) at co, c_{t-1} at po of
     * cPrev (null: 0). dX's row is stored beside dz's, not copied after (see {@link #lstmUnits}).
     */
    static void lstmBackRow(int hd, int o, int co, float[] acts, float[] tanhs, float[] cPrev, int po,
                            float[] dh, float[] dH, float[] dc, float[] dz, float[] dX) {
        int j = Simd.on() ? GatedRnnFloatVector.lstmBackRow(hd, o, co, acts, tanhs, cPrev, po, dh, dH, dc, dz, dX)
                : 0;
        for (; j < hd; j++) {
            float ig = acts[o + j], fg = acts[o + hd + j], gg = acts[o + 2 * hd + j], og = acts[o + 3 * hd + j];
            float tc = tanhs[co + j], cp = cPrev == null ? 0 : cPrev[po + j], dhj = dh[j] + dH[co + j];
            float dct = dc[j] + dhj * og * (1 - tc * tc);
            dz[j] = dct * gg * ig * (1 - ig);
            dz[hd + j] = dct * cp * fg * (1 - fg);
            dz[2 * hd + j] = dct * ig * (1 - gg * gg);
            dz[3 * hd + j] = dhj * tc * og * (1 - og);
            dc[j] = dct * fg;
            for (int k = 0; k < 4; k++) {
                dX[o + k * hd + j] = dz[k * hd + j];
            }
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
