package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link AttentionFloat}'s block operations, loaded only when {@link Simd#on}: a
 * block's {@link AttentionFloat#LANES} lanes as one vector (16 lanes) or several (8 or 4), each lane's
 * sum in the scalar form's order, by fused multiply-adds where the scalar form has Math.fma.
 */
final class AttentionFloatVector extends AttentionFloat.BlockOps {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int L = AttentionFloat.LANES;
    /** Heads up to this wide move by gathers and scatters; wider ones by the scalar loops. */
    private static final int WIDEST = 64;
    /** STRIDES[hd][l] = l hd: a block's rows of a head of hd, as a gather's or scatter's index map. */
    private static final int[][] STRIDES = new int[WIDEST + 1][L];
    /** The second half of a vector's lanes: a vector holds two queries' rows of dq at heads of half its lanes. */
    private static final VectorMask<Float> SECOND = VectorMask.fromLong(S,
            ((1L << S.length()) - 1) >>> (S.length() / 2) << (S.length() / 2));

    /** BEFORE[k L + l]: lane l is before k (a query block's keys past its queries, on row k of its diagonal). */
    private static final boolean[] BEFORE = new boolean[(L + 1) * L];
    /** AFTER[k L + l]: lane l is k or past it (a key block's keys past its query k - 1). */
    private static final boolean[] AFTER = new boolean[(L + 1) * L];

    static {
        for (int k = 0; k <= L; k++) {
            for (int l = 0; l < L; l++) {
                BEFORE[k * L + l] = l < k;
                AFTER[k * L + l] = l >= k;
            }
        }
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
        if (hd == 8) {
            scores8(aT, a, ao, rows, out);
            return;
        }
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

    /**
     * Heads of 8 (the embedded default's): the block's eight columns of aT stay in registers through all
     * rows, where the general form loads them again for every four rows; each row's sum in column order.
     */
    private static void scores8(float[] aT, float[] a, int ao, int rows, float[] out) {
        for (int l0 = 0; l0 < L; l0 += S.length()) {
            FloatVector x0 = FloatVector.fromArray(S, aT, l0), x1 = FloatVector.fromArray(S, aT, L + l0);
            FloatVector x2 = FloatVector.fromArray(S, aT, 2 * L + l0), x3 = FloatVector.fromArray(S, aT, 3 * L + l0);
            FloatVector x4 = FloatVector.fromArray(S, aT, 4 * L + l0), x5 = FloatVector.fromArray(S, aT, 5 * L + l0);
            FloatVector x6 = FloatVector.fromArray(S, aT, 6 * L + l0), x7 = FloatVector.fromArray(S, aT, 7 * L + l0);
            for (int r = 0, ar = ao; r < rows; r++, ar += 8) {
                FloatVector acc = x0.fma(FloatVector.broadcast(S, a[ar]), FloatVector.zero(S));
                acc = x1.fma(FloatVector.broadcast(S, a[ar + 1]), acc);
                acc = x2.fma(FloatVector.broadcast(S, a[ar + 2]), acc);
                acc = x3.fma(FloatVector.broadcast(S, a[ar + 3]), acc);
                acc = x4.fma(FloatVector.broadcast(S, a[ar + 4]), acc);
                acc = x5.fma(FloatVector.broadcast(S, a[ar + 5]), acc);
                acc = x6.fma(FloatVector.broadcast(S, a[ar + 6]), acc);
                x7.fma(FloatVector.broadcast(S, a[ar + 7]), acc).intoArray(out, r * L + l0);
            }
        }
    }

    /**
     * Heads of 8: the scalar form's passes fused into three, each row's mask read from {@link #BEFORE}
     * (none before the block's diagonal): the scores with their maximum, then the shift, exponential and
     * sum, then the mix ({@link #mix8}), scaling each row of e as it reads it. The same operations on every
     * number in the same order, so the same bits. A shifted score below the exponential's range (or a NaN)
     * sends the block back to the separate passes. The mix is a method of its own: C2 compiled its loop
     * far slower inside this one, whose attention forward took 1.3 times as long (docs/engine-log.md).
     */
    @Override
    void attend(float[] qT, float[] k, float[] v, int base, int hd, int i0, int nb, float[] s, float[] e,
                float[] max, float[] r, float[] oT) {
        if (hd != 8) {
            super.attend(qT, k, v, base, hd, i0, nb, s, e, max, r, oT);
            return;
        }
        int n = i0 + nb;
        boolean inRange = true;
        for (int l0 = 0; l0 < L; l0 += S.length()) {
            FloatVector x0 = FloatVector.fromArray(S, qT, l0), x1 = FloatVector.fromArray(S, qT, L + l0);
            FloatVector x2 = FloatVector.fromArray(S, qT, 2 * L + l0), x3 = FloatVector.fromArray(S, qT, 3 * L + l0);
            FloatVector x4 = FloatVector.fromArray(S, qT, 4 * L + l0), x5 = FloatVector.fromArray(S, qT, 5 * L + l0);
            FloatVector x6 = FloatVector.fromArray(S, qT, 6 * L + l0), x7 = FloatVector.fromArray(S, qT, 7 * L + l0);
            FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int row = 0, ar = base; row < n; row++, ar += 8) {
                FloatVector acc = x0.fma(FloatVector.broadcast(S, k[ar]), FloatVector.zero(S));
                acc = x1.fma(FloatVector.broadcast(S, k[ar + 1]), acc);
                acc = x2.fma(FloatVector.broadcast(S, k[ar + 2]), acc);
                acc = x3.fma(FloatVector.broadcast(S, k[ar + 3]), acc);
                acc = x4.fma(FloatVector.broadcast(S, k[ar + 4]), acc);
                acc = x5.fma(FloatVector.broadcast(S, k[ar + 5]), acc);
                acc = x6.fma(FloatVector.broadcast(S, k[ar + 6]), acc);
                acc = x7.fma(FloatVector.broadcast(S, k[ar + 7]), acc);
                acc.intoArray(s, row * L + l0);
                VectorMask<Float> future = VectorMask.fromArray(S, BEFORE, Math.max(0, row - i0) * L + l0);
                m = acc.blend(Float.NEGATIVE_INFINITY, future).max(m);
            }
            m.intoArray(max, l0);
            FloatVector least = FloatVector.zero(S);
            FloatVector sum = FloatVector.zero(S);
            for (int row = 0; row < n; row++) {
                FloatVector t5 = FloatVector.broadcast(S, Exp.F5), t4 = FloatVector.broadcast(S, Exp.F4);
                FloatVector t3 = FloatVector.broadcast(S, Exp.F3), t2 = FloatVector.broadcast(S, Exp.F2);
                FloatVector t1 = FloatVector.broadcast(S, Exp.F1), t0 = FloatVector.broadcast(S, Exp.F0);
                VectorMask<Float> future = VectorMask.fromArray(S, BEFORE, Math.max(0, row - i0) * L + l0);
                FloatVector x = FloatVector.fromArray(S, s, row * L + l0).sub(FloatVector.fromArray(S, max, l0))
                        .blend(0, future);
                least = x.min(least);
                FloatVector t = x.mul(Exp.F_LOG2E).add(Exp.F_ROUND);
                FloatVector mt = t.sub(Exp.F_ROUND);
                FloatVector f = x.sub(mt.mul(Exp.F_LN2_HI)).sub(mt.mul(Exp.F_LN2_LO));
                FloatVector p = f.fma(Exp.F7, Exp.F6).fma(f, t5).fma(f, t4).fma(f, t3).fma(f, t2).fma(f, t1)
                        .fma(f, t0);
                FloatVector ex = ((FloatVector) ((IntVector) p.reinterpretShape(I, 0)).add(((IntVector) t
                        .reinterpretShape(I, 0)).sub(Exp.F_ROUND_BITS).lanewise(VectorOperators.LSHL, 23))
                        .reinterpretShape(S, 0)).blend(0, future);
                ex.intoArray(e, row * L + l0);
                sum = ex.add(sum);
            }
            sum.intoArray(r, l0);
            inRange &= least.compare(VectorOperators.GE, Exp.F_LO).allTrue();
        }
        if (!inRange) {
            super.attend(qT, k, v, base, hd, i0, nb, s, e, max, r, oT);
            return;
        }
        reciprocals(r);
        mix8(e, r, v, base, n, oT);
    }

    /** Heads of 8: o^T = sum over the rows of (e r) v, eight chains a vector, each in row order. */
    private static void mix8(float[] e, float[] r, float[] v, int base, int n, float[] oT) {
        for (int l0 = 0; l0 < L; l0 += S.length()) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (int row = 0, ar = base; row < n; row++, ar += 8) {
                FloatVector w = FloatVector.fromArray(S, e, row * L + l0).mul(FloatVector.fromArray(S, r, l0));
                a0 = w.fma(FloatVector.broadcast(S, v[ar]), a0);
                a1 = w.fma(FloatVector.broadcast(S, v[ar + 1]), a1);
                a2 = w.fma(FloatVector.broadcast(S, v[ar + 2]), a2);
                a3 = w.fma(FloatVector.broadcast(S, v[ar + 3]), a3);
                a4 = w.fma(FloatVector.broadcast(S, v[ar + 4]), a4);
                a5 = w.fma(FloatVector.broadcast(S, v[ar + 5]), a5);
                a6 = w.fma(FloatVector.broadcast(S, v[ar + 6]), a6);
                a7 = w.fma(FloatVector.broadcast(S, v[ar + 7]), a7);
            }
            a0.intoArray(oT, l0);
            a1.intoArray(oT, L + l0);
            a2.intoArray(oT, 2 * L + l0);
            a3.intoArray(oT, 3 * L + l0);
            a4.intoArray(oT, 4 * L + l0);
            a5.intoArray(oT, 5 * L + l0);
            a6.intoArray(oT, 6 * L + l0);
            a7.intoArray(oT, 7 * L + l0);
        }
    }

    /**
     * Heads of 8: over the rows (queries from the block's first key), each row's weight from its score,
     * the keys past the row's query masked from {@link #AFTER}, then its score gradient from its value
     * score: the scalar form's operations in its order. Two passes in methods of their own: one pass,
     * holding the keys, the values and the exponential's constants at once, took the backward 1.03 times
     * as long (docs/engine-log.md). A shifted score below the exponential's range (or a NaN) sends the
     * block back to the separate passes.
     */
    @Override
    void keyBlock(float[] kT, float[] vT, float[] q, float[] dO, int at, int hd, int rows, float[] rowMax,
                  float[] rowR, float[] rowD, int j0, float[] p, float[] ds) {
        if (hd != 8) {
            super.keyBlock(kT, vT, q, dO, at, hd, rows, rowMax, rowR, rowD, j0, p, ds);
            return;
        }
        if (keyWeights8(kT, q, at, rows, rowMax, rowR, j0, p)) {
            keyScoreGrads8(vT, dO, at, rows, rowD, j0, p, ds);
        } else {
            super.keyBlock(kT, vT, q, dO, at, hd, rows, rowMax, rowR, rowD, j0, p, ds);
        }
    }

    /**
     * Heads of 8, a key block's first pass: p [rows, L] from the scores of kT against the queries from at,
     * the keys past each query masked; false if a shifted score is out of the exponential's range.
     */
    private static boolean keyWeights8(float[] kT, float[] q, int at, int rows, float[] rowMax, float[] rowR,
                                       int j0, float[] p) {
        boolean inRange = true;
        for (int l0 = 0; l0 < L; l0 += S.length()) {
            FloatVector k0 = FloatVector.fromArray(S, kT, l0), k1 = FloatVector.fromArray(S, kT, L + l0);
            FloatVector k2 = FloatVector.fromArray(S, kT, 2 * L + l0), k3 = FloatVector.fromArray(S, kT, 3 * L + l0);
            FloatVector k4 = FloatVector.fromArray(S, kT, 4 * L + l0), k5 = FloatVector.fromArray(S, kT, 5 * L + l0);
            FloatVector k6 = FloatVector.fromArray(S, kT, 6 * L + l0), k7 = FloatVector.fromArray(S, kT, 7 * L + l0);
            FloatVector least = FloatVector.zero(S);
            for (int row = 0, ar = at; row < rows; row++, ar += 8) {
                FloatVector t5 = FloatVector.broadcast(S, Exp.F5), t4 = FloatVector.broadcast(S, Exp.F4);
                FloatVector t3 = FloatVector.broadcast(S, Exp.F3), t2 = FloatVector.broadcast(S, Exp.F2);
                FloatVector t1 = FloatVector.broadcast(S, Exp.F1), t0 = FloatVector.broadcast(S, Exp.F0);
                VectorMask<Float> future = VectorMask.fromArray(S, AFTER, Math.min(row + 1, L) * L + l0);
                FloatVector sc = k0.fma(FloatVector.broadcast(S, q[ar]), FloatVector.zero(S));
                sc = k1.fma(FloatVector.broadcast(S, q[ar + 1]), sc);
                sc = k2.fma(FloatVector.broadcast(S, q[ar + 2]), sc);
                sc = k3.fma(FloatVector.broadcast(S, q[ar + 3]), sc);
                sc = k4.fma(FloatVector.broadcast(S, q[ar + 4]), sc);
                sc = k5.fma(FloatVector.broadcast(S, q[ar + 5]), sc);
                sc = k6.fma(FloatVector.broadcast(S, q[ar + 6]), sc);
                sc = k7.fma(FloatVector.broadcast(S, q[ar + 7]), sc);
                FloatVector x = sc.sub(rowMax[j0 + row]).blend(0, future);
                least = x.min(least);
                FloatVector t = x.mul(Exp.F_LOG2E).add(Exp.F_ROUND);
                FloatVector mt = t.sub(Exp.F_ROUND);
                FloatVector f = x.sub(mt.mul(Exp.F_LN2_HI)).sub(mt.mul(Exp.F_LN2_LO));
                FloatVector pe = f.fma(Exp.F7, Exp.F6).fma(f, t5).fma(f, t4).fma(f, t3).fma(f, t2).fma(f, t1)
                        .fma(f, t0);
                ((FloatVector) ((IntVector) pe.reinterpretShape(I, 0)).add(((IntVector) t
                        .reinterpretShape(I, 0)).sub(Exp.F_ROUND_BITS).lanewise(VectorOperators.LSHL, 23))
                        .reinterpretShape(S, 0)).blend(0, future).mul(rowR[j0 + row]).intoArray(p, row * L + l0);
            }
            inRange &= least.compare(VectorOperators.GE, Exp.F_LO).allTrue();
        }
        return inRange;
    }

    /** Heads of 8, a key block's second pass: dS = p (dO . v - D) [rows, L]. */
    private static void keyScoreGrads8(float[] vT, float[] dO, int at, int rows, float[] rowD, int j0, float[] p,
                                       float[] ds) {
        for (int l0 = 0; l0 < L; l0 += S.length()) {
            FloatVector v0 = FloatVector.fromArray(S, vT, l0), v1 = FloatVector.fromArray(S, vT, L + l0);
            FloatVector v2 = FloatVector.fromArray(S, vT, 2 * L + l0), v3 = FloatVector.fromArray(S, vT, 3 * L + l0);
            FloatVector v4 = FloatVector.fromArray(S, vT, 4 * L + l0), v5 = FloatVector.fromArray(S, vT, 5 * L + l0);
            FloatVector v6 = FloatVector.fromArray(S, vT, 6 * L + l0), v7 = FloatVector.fromArray(S, vT, 7 * L + l0);
            for (int row = 0, ar = at; row < rows; row++, ar += 8) {
                FloatVector d = v0.fma(FloatVector.broadcast(S, dO[ar]), FloatVector.zero(S));
                d = v1.fma(FloatVector.broadcast(S, dO[ar + 1]), d);
                d = v2.fma(FloatVector.broadcast(S, dO[ar + 2]), d);
                d = v3.fma(FloatVector.broadcast(S, dO[ar + 3]), d);
                d = v4.fma(FloatVector.broadcast(S, dO[ar + 4]), d);
                d = v5.fma(FloatVector.broadcast(S, dO[ar + 5]), d);
                d = v6.fma(FloatVector.broadcast(S, dO[ar + 6]), d);
                d = v7.fma(FloatVector.broadcast(S, dO[ar + 7]), d);
                FloatVector.fromArray(S, p, row * L + l0).mul(d.sub(rowD[j0 + row])).intoArray(ds, row * L + l0);
            }
        }
    }

    /** Heads of 8: both mixes in one pass over the rows, sixteen chains, each in the scalar form's order. */
    @Override
    void mixPair(float[] ds, float[] p, int rows, float[] q, float[] dO, int at, int hd, float[] dkT, float[] dvT) {
        if (hd != 8) {
            super.mixPair(ds, p, rows, q, dO, at, hd, dkT, dvT);
            return;
        }
        for (int l0 = 0; l0 < L; l0 += S.length()) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
            for (int row = 0, ar = at; row < rows; row++, ar += 8) {
                FloatVector w = FloatVector.fromArray(S, ds, row * L + l0);
                FloatVector u = FloatVector.fromArray(S, p, row * L + l0);
                a0 = w.fma(FloatVector.broadcast(S, q[ar]), a0);
                b0 = u.fma(FloatVector.broadcast(S, dO[ar]), b0);
                a1 = w.fma(FloatVector.broadcast(S, q[ar + 1]), a1);
                b1 = u.fma(FloatVector.broadcast(S, dO[ar + 1]), b1);
                a2 = w.fma(FloatVector.broadcast(S, q[ar + 2]), a2);
                b2 = u.fma(FloatVector.broadcast(S, dO[ar + 2]), b2);
                a3 = w.fma(FloatVector.broadcast(S, q[ar + 3]), a3);
                b3 = u.fma(FloatVector.broadcast(S, dO[ar + 3]), b3);
                a4 = w.fma(FloatVector.broadcast(S, q[ar + 4]), a4);
                b4 = u.fma(FloatVector.broadcast(S, dO[ar + 4]), b4);
                a5 = w.fma(FloatVector.broadcast(S, q[ar + 5]), a5);
                b5 = u.fma(FloatVector.broadcast(S, dO[ar + 5]), b5);
                a6 = w.fma(FloatVector.broadcast(S, q[ar + 6]), a6);
                b6 = u.fma(FloatVector.broadcast(S, dO[ar + 6]), b6);
                a7 = w.fma(FloatVector.broadcast(S, q[ar + 7]), a7);
                b7 = u.fma(FloatVector.broadcast(S, dO[ar + 7]), b7);
            }
            a0.intoArray(dkT, l0);
            a1.intoArray(dkT, L + l0);
            a2.intoArray(dkT, 2 * L + l0);
            a3.intoArray(dkT, 3 * L + l0);
            a4.intoArray(dkT, 4 * L + l0);
            a5.intoArray(dkT, 5 * L + l0);
            a6.intoArray(dkT, 6 * L + l0);
            a7.intoArray(dkT, 7 * L + l0);
            b0.intoArray(dvT, l0);
            b1.intoArray(dvT, L + l0);
            b2.intoArray(dvT, 2 * L + l0);
            b3.intoArray(dvT, 3 * L + l0);
            b4.intoArray(dvT, 4 * L + l0);
            b5.intoArray(dvT, 5 * L + l0);
            b6.intoArray(dvT, 6 * L + l0);
            b7.intoArray(dvT, 7 * L + l0);
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
