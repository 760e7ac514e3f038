package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link GatedRnnFloat}'s forward and backward rows, loaded only when
 * {@link Simd#on}: the same expressions one hidden unit per lane; the units past the last whole vector
 * run in the scalar form (whole rows of the gates only: the LSTM forward's first pass does all or none).
 */
final class GatedRnnFloatVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;

    private GatedRnnFloatVector() {
    }

    /**
     * {@link GatedRnnFloat#lstmUnits} for the hidden units of whole vectors, in one pass: the gates, the
     * new cell and h (into hs and h, the h before into hPrev) from z = h W_h (not changed) and the input
     * projection's row at o. A vector whose exponentials' arguments leave [-87, 87] (or hold a NaN) stops
     * it before it stores anything; returns the first unit not done, from which the scalar form goes on.
     * The five exponentials are {@link ExpVector#expRowsInRange}'s operations (so the scalar form's bits)
     * written out on registers: through an array, each vector's store and reload lay on the step's chain
     * of latencies (the gates took 1.5 times as long, docs/engine-log.md), and a method taking vectors may
     * not be inlined (Simd).
     */
    static int lstmStep(int hd, int o, int co, float[] z, float[] xg, float[] cs, float[] acts, float[] cells,
                        float[] hs, float[] tanhs, float[] h, float[] hPrev) {
        int whole = hd - hd % S.length();
        for (int j = 0; j < whole; j += S.length()) {
            FloatVector one = FloatVector.broadcast(S, 1); // in the loop: see Simd on receivers in loops
            FloatVector k5 = FloatVector.broadcast(S, Exp.F5), k4 = FloatVector.broadcast(S, Exp.F4);
            FloatVector k3 = FloatVector.broadcast(S, Exp.F3), k2 = FloatVector.broadcast(S, Exp.F2);
            FloatVector k1 = FloatVector.broadcast(S, Exp.F1), k0 = FloatVector.broadcast(S, Exp.F0);
            FloatVector zi = FloatVector.fromArray(S, z, j).add(FloatVector.fromArray(S, xg, o + j));
            FloatVector zf = FloatVector.fromArray(S, z, hd + j).add(FloatVector.fromArray(S, xg, o + hd + j));
            FloatVector zg = FloatVector.fromArray(S, z, 2 * hd + j)
                    .add(FloatVector.fromArray(S, xg, o + 2 * hd + j));
            FloatVector zo = FloatVector.fromArray(S, z, 3 * hd + j)
                    .add(FloatVector.fromArray(S, xg, o + 3 * hd + j));
            // the sigmoids' exp(-z), tanh's exp(-2 |z|): all within the exponential's range, or stop here (by
            // lane-wise compares: a max across the lanes cost the forward 8%, docs/engine-log.md)
            FloatVector g2 = zg.abs().mul(2);
            if (!zi.abs().compare(VectorOperators.LE, -Exp.F_LO).and(zf.abs().compare(VectorOperators.LE, -Exp.F_LO))
                    .and(g2.compare(VectorOperators.LE, -Exp.F_LO)).and(zo.abs().compare(VectorOperators.LE, -Exp.F_LO))
                    .allTrue()) {
                return j;
            }
            FloatVector xI = zi.neg(), xF = zf.neg(), xG = g2.neg(), xO = zo.neg();
            FloatVector tI = xI.mul(Exp.F_LOG2E).add(Exp.F_ROUND), mI = tI.sub(Exp.F_ROUND);
            FloatVector rI = xI.sub(mI.mul(Exp.F_LN2_HI)).sub(mI.mul(Exp.F_LN2_LO));
            FloatVector pI = rI.fma(Exp.F7, Exp.F6).fma(rI, k5).fma(rI, k4).fma(rI, k3).fma(rI, k2).fma(rI, k1)
                    .fma(rI, k0);
            FloatVector eI = (FloatVector) ((IntVector) pI.reinterpretShape(I, 0)).add(((IntVector) tI
                    .reinterpretShape(I, 0)).sub(Exp.F_ROUND_BITS).lanewise(VectorOperators.LSHL, 23))
                    .reinterpretShape(S, 0);
            FloatVector tF = xF.mul(Exp.F_LOG2E).add(Exp.F_ROUND), mF = tF.sub(Exp.F_ROUND);
            FloatVector rF = xF.sub(mF.mul(Exp.F_LN2_HI)).sub(mF.mul(Exp.F_LN2_LO));
            FloatVector pF = rF.fma(Exp.F7, Exp.F6).fma(rF, k5).fma(rF, k4).fma(rF, k3).fma(rF, k2).fma(rF, k1)
                    .fma(rF, k0);
            FloatVector eF = (FloatVector) ((IntVector) pF.reinterpretShape(I, 0)).add(((IntVector) tF
                    .reinterpretShape(I, 0)).sub(Exp.F_ROUND_BITS).lanewise(VectorOperators.LSHL, 23))
                    .reinterpretShape(S, 0);
            FloatVector tG = xG.mul(Exp.F_LOG2E).add(Exp.F_ROUND), mG = tG.sub(Exp.F_ROUND);
            FloatVector rG = xG.sub(mG.mul(Exp.F_LN2_HI)).sub(mG.mul(Exp.F_LN2_LO));
            FloatVector pG = rG.fma(Exp.F7, Exp.F6).fma(rG, k5).fma(rG, k4).fma(rG, k3).fma(rG, k2).fma(rG, k1)
                    .fma(rG, k0);
            FloatVector eG = (FloatVector) ((IntVector) pG.reinterpretShape(I, 0)).add(((IntVector) tG
                    .reinterpretShape(I, 0)).sub(Exp.F_ROUND_BITS).lanewise(VectorOperators.LSHL, 23))
                    .reinterpretShape(S, 0);
            FloatVector tO = xO.mul(Exp.F_LOG2E).add(Exp.F_ROUND), mO = tO.sub(Exp.F_ROUND);
            FloatVector rO = xO.sub(mO.mul(Exp.F_LN2_HI)).sub(mO.mul(Exp.F_LN2_LO));
            FloatVector pO = rO.fma(Exp.F7, Exp.F6).fma(rO, k5).fma(rO, k4).fma(rO, k3).fma(rO, k2).fma(rO, k1)
                    .fma(rO, k0);
            FloatVector eO = (FloatVector) ((IntVector) pO.reinterpretShape(I, 0)).add(((IntVector) tO
                    .reinterpretShape(I, 0)).sub(Exp.F_ROUND_BITS).lanewise(VectorOperators.LSHL, 23))
                    .reinterpretShape(S, 0);
            FloatVector ig = one.div(one.add(eI));
            FloatVector fg = one.div(one.add(eF));
            FloatVector tg = one.sub(eG).div(one.add(eG));
            FloatVector gg = tg.blend(tg.neg(), zg.compare(VectorOperators.LT, 0));
            FloatVector og = one.div(one.add(eO));
            FloatVector c = fg.mul(FloatVector.fromArray(S, cs, j)).add(ig.mul(gg));
            FloatVector xC = c.abs().mul(-2);
            if (!xC.compare(VectorOperators.GE, Exp.F_LO).allTrue()) {
                return j;
            }
            FloatVector tC = xC.mul(Exp.F_LOG2E).add(Exp.F_ROUND), mC = tC.sub(Exp.F_ROUND);
            FloatVector rC = xC.sub(mC.mul(Exp.F_LN2_HI)).sub(mC.mul(Exp.F_LN2_LO));
            FloatVector pC = rC.fma(Exp.F7, Exp.F6).fma(rC, k5).fma(rC, k4).fma(rC, k3).fma(rC, k2).fma(rC, k1)
                    .fma(rC, k0);
            FloatVector eC = (FloatVector) ((IntVector) pC.reinterpretShape(I, 0)).add(((IntVector) tC
                    .reinterpretShape(I, 0)).sub(Exp.F_ROUND_BITS).lanewise(VectorOperators.LSHL, 23))
                    .reinterpretShape(S, 0);
            FloatVector tcAbs = one.sub(eC).div(one.add(eC));
            FloatVector tc = tcAbs.blend(tcAbs.neg(), c.compare(VectorOperators.LT, 0));
            c.intoArray(cs, j);
            ig.intoArray(acts, o + j);
            fg.intoArray(acts, o + hd + j);
            gg.intoArray(acts, o + 2 * hd + j);
            og.intoArray(acts, o + 3 * hd + j);
            c.intoArray(cells, co + j);
            if (hPrev != null) {
                FloatVector.fromArray(S, hs, j).intoArray(hPrev, co + j);
            }
            FloatVector hn = og.mul(tc);
            hn.intoArray(hs, j);
            hn.intoArray(h, co + j);
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

    /**
     * The GRU step's candidate n = tanh(.) from e = exp(-2 |.|) and h = n + u (h - n), into hs and h at co;
     * the h before into hPrev at co when not null.
     */
    static int gruOutputs(int hd, int o, int co, float[] z, float[] e, float[] acts, float[] hs, float[] h,
                          float[] hPrev) {
        int whole = hd - hd % S.length();
        for (int j = 0; j < whole; j += S.length()) {
            // GatedRnnFloat's tanhOf: (1 - e) / (1 + e) with z's sign, e = exp(-2 |z|); written out (Simd)
            FloatVector one = FloatVector.broadcast(S, 1), en = FloatVector.fromArray(S, e, j);
            FloatVector t = one.sub(en).div(one.add(en));
            FloatVector n = t.blend(t.neg(), FloatVector.fromArray(S, z, 2 * hd + j).compare(VectorOperators.LT, 0));
            FloatVector u = FloatVector.fromArray(S, acts, o + hd + j), hp = FloatVector.fromArray(S, hs, j);
            if (hPrev != null) {
                hp.intoArray(hPrev, co + j);
            }
            FloatVector hn = n.add(u.mul(hp.sub(n)));
            hn.intoArray(hs, j);
            hn.intoArray(h, co + j);
            n.intoArray(acts, o + 2 * hd + j);
        }
        return whole;
    }

    /**
     * {@link GatedRnnFloat#lstmBackRow} over the whole vectors (into dz and dX), returning where the scalar
     * form goes on.
     */
    static int lstmBackRow(int hd, int o, int co, float[] acts, float[] tanhs, float[] cPrev, int po, float[] dh,
                           float[] dH, float[] dc, float[] dz, float[] dX) {
        int whole = hd - hd % S.length();
        for (int j = 0; j < whole; j += S.length()) {
            FloatVector one = FloatVector.broadcast(S, 1); // in the loop: see Simd on receivers in loops
            FloatVector ig = FloatVector.fromArray(S, acts, o + j), fg = FloatVector.fromArray(S, acts, o + hd + j);
            FloatVector gg = FloatVector.fromArray(S, acts, o + 2 * hd + j);
            FloatVector og = FloatVector.fromArray(S, acts, o + 3 * hd + j);
            FloatVector tc = FloatVector.fromArray(S, tanhs, co + j);
            FloatVector dhv = FloatVector.fromArray(S, dh, j).add(FloatVector.fromArray(S, dH, co + j));
            FloatVector cp = cPrev == null ? FloatVector.zero(S) : FloatVector.fromArray(S, cPrev, po + j);
            FloatVector dct = FloatVector.fromArray(S, dc, j).add(dhv.mul(og).mul(one.sub(tc.mul(tc))));
            FloatVector di = dct.mul(gg).mul(ig).mul(one.sub(ig)), df = dct.mul(cp).mul(fg).mul(one.sub(fg));
            FloatVector dg = dct.mul(ig).mul(one.sub(gg.mul(gg))), dO = dhv.mul(tc).mul(og).mul(one.sub(og));
            di.intoArray(dz, j);
            df.intoArray(dz, hd + j);
            dg.intoArray(dz, 2 * hd + j);
            dO.intoArray(dz, 3 * hd + j);
            di.intoArray(dX, o + j);
            df.intoArray(dX, o + hd + j);
            dg.intoArray(dX, o + 2 * hd + j);
            dO.intoArray(dX, o + 3 * hd + j);
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
