package org.selectivbench.models.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link GatedRnnRecurrent}'s backward rows, loaded only when {@link Simd#on}: the
 * same expressions one hidden unit per lane; the units past the last whole vector run in the scalar form.
 */
final class GatedRnnVector {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    private GatedRnnVector() {
    }

    /** {@link GatedRnnRecurrent#lstmBackRow} over the whole vectors, returning where the scalar form goes on. */
    static int lstmBackRow(int hd, int o, int co, double[] acts, double[] tanhs, double[] cPrev, int po, double[] dh,
                           double[] dc, double[] dz) {
        int whole = hd - hd % S.length();
        DoubleVector one = DoubleVector.broadcast(S, 1);
        for (int j = 0; j < whole; j += S.length()) {
            DoubleVector ig = DoubleVector.fromArray(S, acts, o + j), fg = DoubleVector.fromArray(S, acts, o + hd + j);
            DoubleVector gg = DoubleVector.fromArray(S, acts, o + 2 * hd + j);
            DoubleVector og = DoubleVector.fromArray(S, acts, o + 3 * hd + j);
            DoubleVector tc = DoubleVector.fromArray(S, tanhs, co + j), dhv = DoubleVector.fromArray(S, dh, j);
            DoubleVector cp = cPrev == null ? DoubleVector.zero(S) : DoubleVector.fromArray(S, cPrev, po + j);
            DoubleVector dct = DoubleVector.fromArray(S, dc, j).add(dhv.mul(og).mul(one.sub(tc.mul(tc))));
            dct.mul(gg).mul(ig).mul(one.sub(ig)).intoArray(dz, j);
            dct.mul(cp).mul(fg).mul(one.sub(fg)).intoArray(dz, hd + j);
            dct.mul(ig).mul(one.sub(gg.mul(gg))).intoArray(dz, 2 * hd + j);
            dhv.mul(tc).mul(og).mul(one.sub(og)).intoArray(dz, 3 * hd + j);
            dct.mul(fg).intoArray(dc, j);
        }
        return whole;
    }

    /** {@link GatedRnnRecurrent#gruBackRow} over the whole vectors, returning where the scalar form goes on. */
    static int gruBackRow(int hd, int o, int co, double[] acts, double[] cells, double[] hPrev, double[] dh,
                          double[] dz, double[] dX) {
        int whole = hd - hd % S.length();
        DoubleVector one = DoubleVector.broadcast(S, 1);
        for (int j = 0; j < whole; j += S.length()) {
            DoubleVector r = DoubleVector.fromArray(S, acts, o + j), u = DoubleVector.fromArray(S, acts, o + hd + j);
            DoubleVector n = DoubleVector.fromArray(S, acts, o + 2 * hd + j);
            DoubleVector an = DoubleVector.fromArray(S, cells, co + j), hp = DoubleVector.fromArray(S, hPrev, co + j);
            DoubleVector dhv = DoubleVector.fromArray(S, dh, j);
            DoubleVector dpn = dhv.mul(one.sub(u)).mul(one.sub(n.mul(n)));
            DoubleVector dxr = dpn.mul(an).mul(r).mul(one.sub(r));
            DoubleVector dxu = dhv.mul(hp.sub(n)).mul(u).mul(one.sub(u));
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
