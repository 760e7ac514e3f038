package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link GatedRnnFloat}'s forward and backward rows, loaded only when
 * {@link Simd#on}: the same expressions one hidden unit per lane; the units past the last whole vector
 * run in the scalar form (whole rows of the gates only: the LSTM forward's first pass does all or none).
 */
final class GatedRnnFloatVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private GatedRnnFloatVector() {
    }

    /**
     * {@link GatedRnnFloat#lstmUnits} for the hidden units of whole vectors, in one pass: the gates, the
     * new cell and h from z = h W_h (not changed) and the input projection's row at o, the exponentials
     * through {@link VectorLoops#expRowsInRange}, so the scalar form's bits. A vector whose exponentials'
     * arguments leave [-87, 87] (or hold a NaN) stops it before it stores anything; returns the first
     * unit not done, from which the scalar form goes on.
     */
    static int lstmStep(int hd, int o, int co, float[] z, float[] xg, float[] e, float[] cs, float[] acts,
                        float[] cells, float[] hs, float[] tanhs) {
        int whole = hd - hd % S.length();
        for (int j = 0; j < whole; j += S.length()) {
            FloatVector one = FloatVector.broadcast(S, 1); // in the loop: see Simd on receivers in loops
            FloatVector zi = FloatVector.fromArray(S, z, j).add(FloatVector.fromArray(S, xg, o + j));
            FloatVector zf = FloatVector.fromArray(S, z, hd + j).add(FloatVector.fromArray(S, xg, o + hd + j));
            FloatVector zg = FloatVector.fromArray(S, z, 2 * hd + j)
                    .add(FloatVector.fromArray(S, xg, o + 2 * hd + j));
            FloatVector zo = FloatVector.fromArray(S, z, 3 * hd + j)
                    .add(FloatVector.fromArray(S, xg, o + 3 * hd + j));
            // the sigmoids' exp(-z), tanh's exp(-2 |z|): all within the exponential's range, or stop here
            FloatVector g2 = zg.abs().mul(2);
            float bound = zi.abs().max(zf.abs()).max(g2).max(zo.abs()).reduceLanes(VectorOperators.MAX);
            if (!(bound <= -Exp.F_LO)) {
                return j;
            }
            zi.neg().intoArray(e, 0);
            zf.neg().intoArray(e, S.length());
            g2.neg().intoArray(e, 2 * S.length());
            zo.neg().intoArray(e, 3 * S.length());
            VectorLoops.expRowsInRange(e, 0, VectorLoops.FLOAT_ONES, 0, e, 0, S.length(), 4);
            FloatVector ig = one.div(one.add(FloatVector.fromArray(S, e, 0)));
            FloatVector fg = one.div(one.add(FloatVector.fromArray(S, e, S.length())));
            // tanh written out, not in a method of its own: one C2 does not inline takes vectors as objects (Simd)
            FloatVector eg = FloatVector.fromArray(S, e, 2 * S.length());
            FloatVector tg = one.sub(eg).div(one.add(eg));
            FloatVector gg = tg.blend(tg.neg(), zg.compare(VectorOperators.LT, 0));
            FloatVector og = one.div(one.add(FloatVector.fromArray(S, e, 3 * S.length())));
            FloatVector c = fg.mul(FloatVector.fromArray(S, cs, j)).add(ig.mul(gg));
            FloatVector cArg = c.abs().mul(-2);
            if (!(cArg.reduceLanes(VectorOperators.MIN) >= Exp.F_LO)) {
                return j;
            }
            cArg.intoArray(e, 4 * S.length());
            VectorLoops.expRowsInRange(e, 4 * S.length(), VectorLoops.FLOAT_ONES, 0, e, 4 * S.length(), S.length(), 1);
            FloatVector ec = FloatVector.fromArray(S, e, 4 * S.length());
            FloatVector tcAbs = one.sub(ec).div(one.add(ec));
            FloatVector tc = tcAbs.blend(tcAbs.neg(), c.compare(VectorOperators.LT, 0));
            c.intoArray(cs, j);
            ig.intoArray(acts, o + j);
            fg.intoArray(acts, o + hd + j);
            gg.intoArray(acts, o + 2 * hd + j);
            og.intoArray(acts, o + 3 * hd + j);
            c.intoArray(cells, co + j);
            og.mul(tc).intoArray(hs, j);
            if (tanhs != null) {
                tc.intoArray(tanhs, co + j);
            }
        }
        return whole;
    }

    /** The GRU step's r and u gates and the candidate's argument x_n + r (W_hn h + b_hn), into z's last third. */
    static int gruGates(int hd, int o, int co, float[] xg, float[] z, float[] e, float[] bn, float[] acts,
                        float[] cells) {
        int whole = hd - hd % S.length();
        for (int j = 0; j < whole; j += S.length()) {
            FloatVector one = FloatVector.broadcast(S, 1); // in the loop: see Simd on receivers in loops
            FloatVector r = one.div(one.add(FloatVector.fromArray(S, e, j)));
            FloatVector an = FloatVector.fromArray(S, z, 2 * hd + j).add(FloatVector.fromArray(S, bn, j));
            r.intoArray(acts, o + j);
            one.div(one.add(FloatVector.fromArray(S, e, hd + j))).intoArray(acts, o + hd + j);
            an.intoArray(cells, co + j);
            FloatVector.fromArray(S, xg, o + 2 * hd + j).add(r.mul(an)).intoArray(z, 2 * hd + j);
        }
        return whole;
    }

    /** The GRU step's candidate n = tanh(.) from e = exp(-2 |.|) and h = n + u (h - n). */
    static int gruOutputs(int hd, int o, float[] z, float[] e, float[] acts, float[] hs) {
        int whole = hd - hd % S.length();
        for (int j = 0; j < whole; j += S.length()) {
            // GatedRnnFloat's tanhOf: (1 - e) / (1 + e) with z's sign, e = exp(-2 |z|); written out (Simd)
            FloatVector one = FloatVector.broadcast(S, 1), en = FloatVector.fromArray(S, e, j);
            FloatVector t = one.sub(en).div(one.add(en));
            FloatVector n = t.blend(t.neg(), FloatVector.fromArray(S, z, 2 * hd + j).compare(VectorOperators.LT, 0));
            FloatVector u = FloatVector.fromArray(S, acts, o + hd + j);
            n.add(u.mul(FloatVector.fromArray(S, hs, j).sub(n))).intoArray(hs, j);
            n.intoArray(acts, o + 2 * hd + j);
        }
        return whole;
    }

    /** {@link GatedRnnFloat#lstmBackRow} over the whole vectors, returning where the scalar form goes on. */
    static int lstmBackRow(int hd, int o, int co, float[] acts, float[] tanhs, float[] cPrev, int po, float[] dh,
                           float[] dc, float[] dz) {
        int whole = hd - hd % S.length();
        for (int j = 0; j < whole; j += S.length()) {
            FloatVector one = FloatVector.broadcast(S, 1); // in the loop: see Simd on receivers in loops
            FloatVector ig = FloatVector.fromArray(S, acts, o + j), fg = FloatVector.fromArray(S, acts, o + hd + j);
            FloatVector gg = FloatVector.fromArray(S, acts, o + 2 * hd + j);
            FloatVector og = FloatVector.fromArray(S, acts, o + 3 * hd + j);
            FloatVector tc = FloatVector.fromArray(S, tanhs, co + j), dhv = FloatVector.fromArray(S, dh, j);
            FloatVector cp = cPrev == null ? FloatVector.zero(S) : FloatVector.fromArray(S, cPrev, po + j);
            FloatVector dct = FloatVector.fromArray(S, dc, j).add(dhv.mul(og).mul(one.sub(tc.mul(tc))));
            dct.mul(gg).mul(ig).mul(one.sub(ig)).intoArray(dz, j);
            dct.mul(cp).mul(fg).mul(one.sub(fg)).intoArray(dz, hd + j);
            dct.mul(ig).mul(one.sub(gg.mul(gg))).intoArray(dz, 2 * hd + j);
            dhv.mul(tc).mul(og).mul(one.sub(og)).intoArray(dz, 3 * hd + j);
            dct.mul(fg).intoArray(dc, j);
        }
        return whole;
    }

    /** {@link GatedRnnFloat#gruBackRow} over the whole vectors, returning where the scalar form goes on. */
    static int gruBackRow(int hd, int o, int co, float[] acts, float[] cells, float[] hPrev, float[] dh,
                          float[] dz, float[] dX) {
        int whole = hd - hd % S.length();
        for (int j = 0; j < whole; j += S.length()) {
            FloatVector one = FloatVector.broadcast(S, 1); // in the loop: see Simd on receivers in loops
            FloatVector r = FloatVector.fromArray(S, acts, o + j), u = FloatVector.fromArray(S, acts, o + hd + j);
            FloatVector n = FloatVector.fromArray(S, acts, o + 2 * hd + j);
            FloatVector an = FloatVector.fromArray(S, cells, co + j), hp = FloatVector.fromArray(S, hPrev, co + j);
            FloatVector dhv = FloatVector.fromArray(S, dh, j);
            FloatVector dpn = dhv.mul(one.sub(u)).mul(one.sub(n.mul(n)));
            FloatVector dxr = dpn.mul(an).mul(r).mul(one.sub(r));
            FloatVector dxu = dhv.mul(hp.sub(n)).mul(u).mul(one.sub(u));
            dxr.intoArray(dX, o + j);
            dxu.intoArray(dX, o + hd + j);
            dpn.intoArray(dX, o + 2 * hd + j);
            dxr.intoArray(dz, j);
            dxu.intoArray(dz, hd + j);
            dpn.mul(r).intoArray(dz, 2 * hd + j);
            dhv.mul(u).intoArray(dh, j);
        }
        return whole;
    }
}
