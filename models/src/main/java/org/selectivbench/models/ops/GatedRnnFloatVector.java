package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link GatedRnnFloat}'s backward rows, loaded only when {@link Simd#on}: the
 * same expressions one hidden unit per lane; the units past the last whole vector run in the scalar form.
 */
final class GatedRnnFloatVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private GatedRnnFloatVector() {
    }

    /** {@link GatedRnnFloat#lstmBackRow} over the whole vectors, returning where the scalar form goes on. */
    static int lstmBackRow(int hd, int o, int co, float[] acts, float[] tanhs, float[] cPrev, int po, float[] dh,
                           float[] dc, float[] dz) {
        int whole = hd - hd % S.length();
        FloatVector one = FloatVector.broadcast(S, 1);
        for (int j = 0; j < whole; j += S.length()) {
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
        FloatVector one = FloatVector.broadcast(S, 1);
        for (int j = 0; j < whole; j += S.length()) {
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
