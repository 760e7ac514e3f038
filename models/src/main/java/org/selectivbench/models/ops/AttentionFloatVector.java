package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link AttentionFloat}'s block operations, loaded only when {@link Simd#on}: a
 * block's {@link AttentionFloat#LANES} lanes as one vector (16 lanes) or several (8 or 4), each lane's
 * sum in the scalar form's order, by fused multiply-adds where the scalar form has Math.fma. Heads of 8
 * take {@link AttentionEightFloatVector}.
 */
class AttentionFloatVector extends AttentionFloat.BlockOps {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = AttentionFloat.LANES;
    /** Heads up to this wide move by gathers and scatters; wider ones by the scalar loops. */
    private static final int WIDEST = 64;
    /** STRIDES[hd][l] = l hd: a block's rows of a head of hd, as a gather's or scatter's index map. */
    private static final int[][] STRIDES = new int[WIDEST + 1][L];
    /** The second half of a vector's lanes: a vector holds two queries' rows of dq at heads of half its lanes. */
    private static final VectorMask<Float> SECOND = VectorMask.fromLong(S,
            ((1L << S.length()) - 1) >>> (S.length() / 2) << (S.length() / 2));

    static {
        for (int hd = 1; hd <= WIDEST; hd++) {
            for (int l = 0; l < L; l++) {
                STRIDES[hd][l] = l * hd;
            }
        }
    }

    static int lanes() {
        return S.length();
    }

    /** Four rows at a time, so that each load of aT serves four sums. */
    @Override
    void scores(float[] aT, float[] a, int ao, int hd, int rows, float[] out) {
        int rows4 = rows - rows % 4;
        for (int l0 = 0; l0 < L; l0 += S.length()) {
            for (int r = 0; r < rows4; r += 4) {
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int c = 0, ar = ao + r * hd; c < hd; c++) {
                    FloatVector x = FloatVector.fromArray(S, aT, c * L + l0);
                    a0 = x.fma(FloatVector.broadcast(S, a[ar + c]), a0);
                    a1 = x.fma(FloatVector.broadcast(S, a[ar + hd + c]), a1);
                    a2 = x.fma(FloatVector.broadcast(S, a[ar + 2 * hd + c]), a2);
                    a3 = x.fma(FloatVector.broadcast(S, a[ar + 3 * hd + c]), a3);
                }
                a0.intoArray(out, r * L + l0);
                a1.intoArray(out, (r + 1) * L + l0);
                a2.intoArray(out, (r + 2) * L + l0);
                a3.intoArray(out, (r + 3) * L + l0);
            }
            for (int r = rows4; r < rows; r++) {
                FloatVector acc = FloatVector.zero(S);
                for (int c = 0, ar = ao + r * hd; c < hd; c++) {
                    acc = FloatVector.fromArray(S, aT, c * L + l0).fma(FloatVector.broadcast(S, a[ar + c]), acc);
                }
                acc.intoArray(out, r * L + l0);
            }
        }
    }

    /** Four columns at a time: four chains of adds in flight, and each load of w serves four. */
    @Override
    void mix(float[] w, int rows, float[] a, int ao, int hd, float[] outT) {
        int hd4 = hd - hd % 4;
        for (int l0 = 0; l0 < L; l0 += S.length()) {
            for (int c = 0; c < hd4; c += 4) {
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int r = 0, ar = ao + c; r < rows; r++, ar += hd) {
                    FloatVector x = FloatVector.fromArray(S, w, r * L + l0);
                    a0 = x.fma(FloatVector.broadcast(S, a[ar]), a0);
                    a1 = x.fma(FloatVector.broadcast(S, a[ar + 1]), a1);
                    a2 = x.fma(FloatVector.broadcast(S, a[ar + 2]), a2);
                    a3 = x.fma(FloatVector.broadcast(S, a[ar + 3]), a3);
                }
                a0.intoArray(outT, c * L + l0);
                a1.intoArray(outT, (c + 1) * L + l0);
                a2.intoArray(outT, (c + 2) * L + l0);
                a3.intoArray(outT, (c + 3) * L + l0);
            }
            for (int c = hd4; c < hd; c++) {
                FloatVector acc = FloatVector.zero(S);
                for (int r = 0; r < rows; r++) {
                    FloatVector x = FloatVector.fromArray(S, w, r * L + l0);
                    acc = x.fma(FloatVector.broadcast(S, a[ao + r * hd + c]), acc);
                }
                acc.intoArray(outT, c * L + l0);
            }
        }
    }

    @Override
    void max(float[] s, int rows, float[] out) {
        for (int l0 = 0; l0 < L; l0 += S.length()) {
            FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int r = 0; r < rows; r++) {
                m = m.lanewise(VectorOperators.MAX, FloatVector.fromArray(S, s, r * L + l0));
            }
            m.intoArray(out, l0);
        }
    }

    @Override
    void sum(float[] s, int rows, float[] out) {
        for (int l0 = 0; l0 < L; l0 += S.length()) {
            FloatVector acc = FloatVector.zero(S);
            for (int r = 0; r < rows; r++) {
                acc = acc.add(FloatVector.fromArray(S, s, r * L + l0));
            }
            acc.intoArray(out, l0);
        }
    }

    @Override
    void shift(float[] s, int rows, float[] by) {
        for (int l0 = 0; l0 < L; l0 += S.length()) {
            FloatVector b = FloatVector.fromArray(S, by, l0);
            for (int r = 0; r < rows; r++) {
                FloatVector.fromArray(S, s, r * L + l0).sub(b).intoArray(s, r * L + l0);
            }
        }
    }

    @Override
    void scale(float[] s, int rows, float[] by) {
        for (int l0 = 0; l0 < L; l0 += S.length()) {
            FloatVector b = FloatVector.fromArray(S, by, l0);
            for (int r = 0; r < rows; r++) {
                FloatVector.fromArray(S, s, r * L + l0).mul(b).intoArray(s, r * L + l0);
            }
        }
    }

    /**
     * dq's rows a whole vector at a time, each key's term added in key order as in the scalar form: two
     * queries to a vector at heads of half its lanes (each key's row twice over in {@code keys}, each
     * query's dS weight on its half), or a query's row in vectors at heads of whole vectors; other widths
     * by the scalar form. Two vectors of sums in flight, as one waits on each add.
     */
    @Override
    void addQueryGrads(float[] ds, int rows, int nk, float[] k, int ko, int hd, float[] dq, int qo, float[] keys) {
        int n = S.length();
        if (2 * hd == n) {
            for (int l = 0; l < nk; l++) {
                System.arraycopy(k, ko + l * hd, keys, l * n, hd);
                System.arraycopy(k, ko + l * hd, keys, l * n + hd, hd);
            }
            int r = 0;
            for (; r + 3 < rows; r += 4) {
                int at = qo + r * hd, l = 0;
                FloatVector a0 = FloatVector.fromArray(S, dq, at), a1 = FloatVector.fromArray(S, dq, at + n);
                for (int w = r * L; n == 16 && l + 7 < nk; l += 8, w += 8) {
                    // keys l to l + 7 of rows r and r + 1 (r + 2 and r + 3), a row per half: the second's
                    // row loaded from 8 before, so that its keys land in the upper half
                    FloatVector d0 = FloatVector.fromArray(S, ds, w)
                            .blend(FloatVector.fromArray(S, ds, w + L - 8), SECOND);
                    FloatVector d1 = FloatVector.fromArray(S, ds, w + 2 * L)
                            .blend(FloatVector.fromArray(S, ds, w + 3 * L - 8), SECOND);
                    a0 = d0.rearrange(VectorLoops.P0).mul(FloatVector.fromArray(S, keys, (l + 0) * n)).add(a0);
                    a1 = d1.rearrange(VectorLoops.P0).mul(FloatVector.fromArray(S, keys, (l + 0) * n)).add(a1);
                    a0 = d0.rearrange(VectorLoops.P1).mul(FloatVector.fromArray(S, keys, (l + 1) * n)).add(a0);
                    a1 = d1.rearrange(VectorLoops.P1).mul(FloatVector.fromArray(S, keys, (l + 1) * n)).add(a1);
                    a0 = d0.rearrange(VectorLoops.P2).mul(FloatVector.fromArray(S, keys, (l + 2) * n)).add(a0);
                    a1 = d1.rearrange(VectorLoops.P2).mul(FloatVector.fromArray(S, keys, (l + 2) * n)).add(a1);
                    a0 = d0.rearrange(VectorLoops.P3).mul(FloatVector.fromArray(S, keys, (l + 3) * n)).add(a0);
                    a1 = d1.rearrange(VectorLoops.P3).mul(FloatVector.fromArray(S, keys, (l + 3) * n)).add(a1);
                    a0 = d0.rearrange(VectorLoops.P4).mul(FloatVector.fromArray(S, keys, (l + 4) * n)).add(a0);
                    a1 = d1.rearrange(VectorLoops.P4).mul(FloatVector.fromArray(S, keys, (l + 4) * n)).add(a1);
                    a0 = d0.rearrange(VectorLoops.P5).mul(FloatVector.fromArray(S, keys, (l + 5) * n)).add(a0);
                    a1 = d1.rearrange(VectorLoops.P5).mul(FloatVector.fromArray(S, keys, (l + 5) * n)).add(a1);
                    a0 = d0.rearrange(VectorLoops.P6).mul(FloatVector.fromArray(S, keys, (l + 6) * n)).add(a0);
                    a1 = d1.rearrange(VectorLoops.P6).mul(FloatVector.fromArray(S, keys, (l + 6) * n)).add(a1);
                    a0 = d0.rearrange(VectorLoops.P7).mul(FloatVector.fromArray(S, keys, (l + 7) * n)).add(a0);
                    a1 = d1.rearrange(VectorLoops.P7).mul(FloatVector.fromArray(S, keys, (l + 7) * n)).add(a1);
                }
                for (int w = r * L + l; l < nk; l++, w++) {
                    FloatVector kv = FloatVector.fromArray(S, keys, l * n);
                    a0 = FloatVector.broadcast(S, ds[w]).blend(ds[w + L], SECOND).mul(kv).add(a0);
                    a1 = FloatVector.broadcast(S, ds[w + 2 * L]).blend(ds[w + 3 * L], SECOND).mul(kv).add(a1);
                }
                a0.intoArray(dq, at);
                a1.intoArray(dq, at + n);
            }
            for (; r + 1 < rows; r += 2) {
                int at = qo + r * hd, l = 0;
                FloatVector a0 = FloatVector.fromArray(S, dq, at);
                for (int w = r * L; n == 16 && l + 7 < nk; l += 8, w += 8) {
                    FloatVector d0 = FloatVector.fromArray(S, ds, w)
                            .blend(FloatVector.fromArray(S, ds, w + L - 8), SECOND);
                    a0 = d0.rearrange(VectorLoops.P0).mul(FloatVector.fromArray(S, keys, (l + 0) * n)).add(a0);
                    a0 = d0.rearrange(VectorLoops.P1).mul(FloatVector.fromArray(S, keys, (l + 1) * n)).add(a0);
                    a0 = d0.rearrange(VectorLoops.P2).mul(FloatVector.fromArray(S, keys, (l + 2) * n)).add(a0);
                    a0 = d0.rearrange(VectorLoops.P3).mul(FloatVector.fromArray(S, keys, (l + 3) * n)).add(a0);
                    a0 = d0.rearrange(VectorLoops.P4).mul(FloatVector.fromArray(S, keys, (l + 4) * n)).add(a0);
                    a0 = d0.rearrange(VectorLoops.P5).mul(FloatVector.fromArray(S, keys, (l + 5) * n)).add(a0);
                    a0 = d0.rearrange(VectorLoops.P6).mul(FloatVector.fromArray(S, keys, (l + 6) * n)).add(a0);
                    a0 = d0.rearrange(VectorLoops.P7).mul(FloatVector.fromArray(S, keys, (l + 7) * n)).add(a0);
                }
                for (int w = r * L + l; l < nk; l++, w++) {
                    a0 = FloatVector.broadcast(S, ds[w]).blend(ds[w + L], SECOND)
                            .mul(FloatVector.fromArray(S, keys, l * n)).add(a0);
                }
                a0.intoArray(dq, at);
            }
            if (r < rows) {
                super.addQueryGrads(ds, rows, nk, k, ko, hd, dq, qo, keys, r); // the odd last row
            }
        } else if (hd % n == 0) {
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < hd; c += n) {
                    int at = qo + r * hd + c;
                    FloatVector a0 = FloatVector.fromArray(S, dq, at);
                    for (int l = 0; l < nk; l++) {
                        a0 = FloatVector.fromArray(S, k, ko + l * hd + c).mul(ds[r * L + l]).add(a0);
                    }
                    a0.intoArray(dq, at);
                }
            }
        } else {
            super.addQueryGrads(ds, rows, nk, k, ko, hd, dq, qo, keys);
        }
    }

    @Override
    void shiftRows(float[] s, int rows, float[] by, int from) {
        for (int l0 = 0; l0 < L; l0 += S.length()) {
            for (int r = 0; r < rows; r++) {
                FloatVector.fromArray(S, s, r * L + l0).sub(by[from + r]).intoArray(s, r * L + l0);
            }
        }
    }

    @Override
    void scaleRows(float[] s, int rows, float[] by, int from) {
        for (int l0 = 0; l0 < L; l0 += S.length()) {
            for (int r = 0; r < rows; r++) {
                FloatVector.fromArray(S, s, r * L + l0).mul(by[from + r]).intoArray(s, r * L + l0);
            }
        }
    }

    @Override
    void scoreGradsRows(float[] ds, float[] p, int rows, float[] dot, int from) {
        for (int l0 = 0; l0 < L; l0 += S.length()) {
            for (int r = 0; r < rows; r++) {
                int at = r * L + l0;
                FloatVector.fromArray(S, p, at).mul(FloatVector.fromArray(S, ds, at).sub(dot[from + r]))
                        .intoArray(ds, at);
            }
        }
    }

    /**
     * A whole block's head columns by gathers, one vector of rows per column; a partial block (the last,
     * where L does not divide the steps) by the scalar loop, which zeroes its padding lanes.
     */
    @Override
    void transposeIn(float[] x, int xo, int nb, int hd, float[] outT) {
        if (nb < L || hd > WIDEST) {
            super.transposeIn(x, xo, nb, hd, outT);
            return;
        }
        int[] map = STRIDES[hd];
        for (int l0 = 0; l0 < L; l0 += S.length()) {
            for (int c = 0; c < hd; c++) {
                FloatVector.fromArray(S, x, xo + c, map, l0).intoArray(outT, c * L + l0);
            }
        }
    }

    /** The same back by scatters, times scale unless it is 1 (x 1 is exact either way). */
    @Override
    void transposeOut(float[] xT, int nb, int hd, float scale, float[] out, int oo) {
        if (nb < L || hd > WIDEST) {
            super.transposeOut(xT, nb, hd, scale, out, oo);
            return;
        }
        int[] map = STRIDES[hd];
        for (int l0 = 0; l0 < L; l0 += S.length()) {
            for (int c = 0; c < hd; c++) {
                FloatVector.fromArray(S, xT, c * L + l0).mul(scale).intoArray(out, oo + c, map, l0);
            }
        }
    }
}
