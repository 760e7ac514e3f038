package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link AttentionFloatVector} at heads of 8 (the embedded default's): the scores, weights and mixes with
 * a block's eight head columns held in registers and the scalar form's passes fused, each lane's numbers
 * the same bits as in the scalar form. {@link AttentionFloat.BlockOps#of} picks it for heads of 8 only, so
 * its methods take hd to be 8; what falls out of the exponential's range goes back to the separate passes.
 */
final class AttentionEightFloatVector extends AttentionFloatVector {
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
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
    }

    /** Heads of 8 only: {@link AttentionFloat.BlockOps#of} picks this form for them. */
    @Override
    void scores(float[] aT, float[] a, int ao, int hd, int rows, float[] out) {
        scores8(aT, a, ao, rows, out);
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
}
