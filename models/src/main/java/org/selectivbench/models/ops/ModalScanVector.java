package org.selectivbench.models.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link ModalScanRecurrent}'s per-mode passes, loaded only when {@link Simd#on}:
 * one channel per lane over the mode-major layout, a block of channels' mode running through all its
 * steps with its state, E, C' and its gradient sums in registers, each lane doing the scalar form's
 * operations in its order; the channels past the last whole vector run in the scalar form.
 */
final class ModalScanVector {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    static final int LANES = S.length();

    private ModalScanVector() {
    }

    /** Channels [0, whole(hh)) run here. */
    static int whole(int hh) {
        return hh - hh % LANES;
    }

    /**
     * {@link ModalScanRecurrent}'s forwardMode for channels [h, h + lanes), a chunk per call with the
     * state handed on through z1: vectors carried around a loop nested in another were kept as heap
     * objects by C2 (the step 2 times slower), so each loop over time is a method's only loop.
     */
    static void forwardModes(ModalScanRecurrent.Saved sv, int b, int h, int m, double[] z0, double[] y, double[] z1,
                             double[] ck, int co) {
        ModalScanRecurrent.Dims d = sv.dims();
        int hh = d.channels(), im = hh * d.modes(), i = m * hh + h;
        System.arraycopy(z0, i, z1, i, LANES);
        System.arraycopy(z0, im + i, z1, im + i, LANES);
        for (int k = 0; k < d.chunks(); k++) {
            System.arraycopy(z1, i, ck, co + k * d.state() + i, LANES);
            System.arraycopy(z1, im + i, ck, co + k * d.state() + im + i, LANES);
            int from = (b * d.steps() + k * ModalScanRecurrent.CHUNK) * hh + h;
            int to = (b * d.steps() + Math.min(d.steps(), (k + 1) * ModalScanRecurrent.CHUNK)) * hh + h;
            forwardChunk(sv, i, im, hh, from, to, y, z1);
        }
    }

    /**
     * {@link #forwardModes} for modes m and m + 1 together: each recurrence waits on its own last step
     * (a complex multiply-add), so two in one loop keep the core busy where one leaves it idle. y takes
     * mode m's term, then m + 1's, as it would mode by mode.
     */
    static void forwardModePair(ModalScanRecurrent.Saved sv, int b, int h, int m, double[] z0, double[] y,
                                double[] z1, double[] ck, int co) {
        ModalScanRecurrent.Dims d = sv.dims();
        int hh = d.channels(), im = hh * d.modes(), i = m * hh + h, j = i + hh;
        System.arraycopy(z0, i, z1, i, LANES);
        System.arraycopy(z0, im + i, z1, im + i, LANES);
        System.arraycopy(z0, j, z1, j, LANES);
        System.arraycopy(z0, im + j, z1, im + j, LANES);
        for (int k = 0; k < d.chunks(); k++) {
            int c0 = co + k * d.state();
            System.arraycopy(z1, i, ck, c0 + i, LANES);
            System.arraycopy(z1, im + i, ck, c0 + im + i, LANES);
            System.arraycopy(z1, j, ck, c0 + j, LANES);
            System.arraycopy(z1, im + j, ck, c0 + im + j, LANES);
            int from = (b * d.steps() + k * ModalScanRecurrent.CHUNK) * hh + h;
            int to = (b * d.steps() + Math.min(d.steps(), (k + 1) * ModalScanRecurrent.CHUNK)) * hh + h;
            forwardChunkPair(sv, i, j, im, hh, from, to, y, z1);
        }
    }

    private static void forwardChunkPair(ModalScanRecurrent.Saved sv, int i, int j, int im, int hh, int from, int to,
                                         double[] y, double[] z1) {
        DoubleVector r = DoubleVector.fromArray(S, sv.er(), i), q = DoubleVector.fromArray(S, sv.ei(), i);
        DoubleVector c = DoubleVector.fromArray(S, sv.cr(), i), ic = DoubleVector.fromArray(S, sv.ci(), i);
        DoubleVector r2 = DoubleVector.fromArray(S, sv.er(), j), q2 = DoubleVector.fromArray(S, sv.ei(), j);
        DoubleVector c2 = DoubleVector.fromArray(S, sv.cr(), j), ic2 = DoubleVector.fromArray(S, sv.ci(), j);
        DoubleVector zr = DoubleVector.fromArray(S, z1, i), zi = DoubleVector.fromArray(S, z1, im + i);
        DoubleVector zr2 = DoubleVector.fromArray(S, z1, j), zi2 = DoubleVector.fromArray(S, z1, im + j);
        double[] u = sv.u();
        for (int o = from; o < to; o += hh) {
            DoubleVector uv = DoubleVector.fromArray(S, u, o);
            DoubleVector nr = r.mul(zr).sub(q.mul(zi)).add(uv);
            DoubleVector ni = r.mul(zi).add(q.mul(zr));
            DoubleVector nr2 = r2.mul(zr2).sub(q2.mul(zi2)).add(uv);
            DoubleVector ni2 = r2.mul(zi2).add(q2.mul(zr2));
            zr = nr;
            zi = ni;
            zr2 = nr2;
            zi2 = ni2;
            DoubleVector.fromArray(S, y, o).add(c.mul(zr).sub(ic.mul(zi))).add(c2.mul(zr2).sub(ic2.mul(zi2)))
                    .intoArray(y, o);
        }
        zr.intoArray(z1, i);
        zi.intoArray(z1, im + i);
        zr2.intoArray(z1, j);
        zi2.intoArray(z1, im + j);
    }

    /** Steps [from, to) (offsets of rows of u and y) from and into z1's lanes at i (real) and im + i. */
    private static void forwardChunk(ModalScanRecurrent.Saved sv, int i, int im, int hh, int from, int to, double[] y,
                                     double[] z1) {
        DoubleVector r = DoubleVector.fromArray(S, sv.er(), i), q = DoubleVector.fromArray(S, sv.ei(), i);
        DoubleVector c = DoubleVector.fromArray(S, sv.cr(), i), ic = DoubleVector.fromArray(S, sv.ci(), i);
        DoubleVector zr = DoubleVector.fromArray(S, z1, i), zi = DoubleVector.fromArray(S, z1, im + i);
        double[] u = sv.u();
        for (int o = from; o < to; o += hh) {
            DoubleVector nr = r.mul(zr).sub(q.mul(zi)).add(DoubleVector.fromArray(S, u, o));
            DoubleVector ni = r.mul(zi).add(q.mul(zr));
            zr = nr;
            zi = ni;
            DoubleVector.fromArray(S, y, o).add(c.mul(zr).sub(ic.mul(zi))).intoArray(y, o);
        }
        zr.intoArray(z1, i);
        zi.intoArray(z1, im + i);
    }

    /**
     * {@link ModalScanRecurrent}'s backwardMode for channels [h, h + lanes), a chunk per call: dz handed
     * on through dz1, the parameter gradients summed in parts; zs holds [CHUNK + 1, 2, lanes].
     */
    static void backwardModes(ModalScanRecurrent.Saved sv, int b, int h, int m, double[] dY, double[] dz0,
                              double[] du, double[] parts, int p, double[] dz1, double[] zs) {
        ModalScanRecurrent.Dims d = sv.dims();
        int hh = d.channels(), im = hh * d.modes(), i = m * hh + h, base = b * d.steps();
        System.arraycopy(dz0, i, dz1, i, LANES);
        System.arraycopy(dz0, im + i, dz1, im + i, LANES);
        for (int k = d.chunks() - 1; k >= 0; k--) {
            int t0 = k * ModalScanRecurrent.CHUNK, t1 = Math.min(d.steps(), t0 + ModalScanRecurrent.CHUNK);
            int ck = (b * d.chunks() + k) * d.state();
            System.arraycopy(sv.checkpoints(), ck + i, zs, 0, LANES);
            System.arraycopy(sv.checkpoints(), ck + im + i, zs, LANES, LANES);
            recomputeChunk(sv, i, (base + t0) * hh + h, (base + t1) * hh + h, hh, zs);
            backChunk(sv, i, im, hh, (base + t0) * hh + h, (base + t1) * hh + h, dY, du, parts, p, dz1, zs);
        }
    }

    /** {@link #backwardModes} for modes m and m + 1 together (see {@link #forwardModePair}); zs holds [CHUNK + 1, 4, lanes]. */
    static void backwardModePair(ModalScanRecurrent.Saved sv, int b, int h, int m, double[] dY, double[] dz0,
                                 double[] du, double[] parts, int p, double[] dz1, double[] zs) {
        ModalScanRecurrent.Dims d = sv.dims();
        int hh = d.channels(), im = hh * d.modes(), i = m * hh + h, j = i + hh, base = b * d.steps();
        System.arraycopy(dz0, i, dz1, i, LANES);
        System.arraycopy(dz0, im + i, dz1, im + i, LANES);
        System.arraycopy(dz0, j, dz1, j, LANES);
        System.arraycopy(dz0, im + j, dz1, im + j, LANES);
        for (int k = d.chunks() - 1; k >= 0; k--) {
            int t0 = k * ModalScanRecurrent.CHUNK, t1 = Math.min(d.steps(), t0 + ModalScanRecurrent.CHUNK);
            int ck = (b * d.chunks() + k) * d.state();
            System.arraycopy(sv.checkpoints(), ck + i, zs, 0, LANES);
            System.arraycopy(sv.checkpoints(), ck + im + i, zs, LANES, LANES);
            System.arraycopy(sv.checkpoints(), ck + j, zs, 2 * LANES, LANES);
            System.arraycopy(sv.checkpoints(), ck + im + j, zs, 3 * LANES, LANES);
            recomputeChunkPair(sv, i, j, (base + t0) * hh + h, (base + t1) * hh + h, hh, zs);
            backChunkPair(sv, i, j, im, hh, (base + t0) * hh + h, (base + t1) * hh + h, dY, du, parts, p, dz1, zs);
        }
    }

    private static void recomputeChunkPair(ModalScanRecurrent.Saved sv, int i, int j, int from, int to, int hh,
                                           double[] zs) {
        DoubleVector r = DoubleVector.fromArray(S, sv.er(), i), q = DoubleVector.fromArray(S, sv.ei(), i);
        DoubleVector r2 = DoubleVector.fromArray(S, sv.er(), j), q2 = DoubleVector.fromArray(S, sv.ei(), j);
        DoubleVector zr = DoubleVector.fromArray(S, zs, 0), zi = DoubleVector.fromArray(S, zs, LANES);
        DoubleVector zr2 = DoubleVector.fromArray(S, zs, 2 * LANES), zi2 = DoubleVector.fromArray(S, zs, 3 * LANES);
        double[] u = sv.u();
        for (int o = from, s = 4 * LANES; o < to; o += hh, s += 4 * LANES) {
            DoubleVector uv = DoubleVector.fromArray(S, u, o);
            DoubleVector nr = r.mul(zr).sub(q.mul(zi)).add(uv);
            DoubleVector ni = r.mul(zi).add(q.mul(zr));
            DoubleVector nr2 = r2.mul(zr2).sub(q2.mul(zi2)).add(uv);
            DoubleVector ni2 = r2.mul(zi2).add(q2.mul(zr2));
            zr = nr;
            zi = ni;
            zr2 = nr2;
            zi2 = ni2;
            zr.intoArray(zs, s);
            zi.intoArray(zs, s + LANES);
            zr2.intoArray(zs, s + 2 * LANES);
            zi2.intoArray(zs, s + 3 * LANES);
        }
    }

    private static void backChunkPair(ModalScanRecurrent.Saved sv, int i, int j, int im, int hh, int from, int to,
                                      double[] dY, double[] du, double[] parts, int p, double[] dz1, double[] zs) {
        DoubleVector r = DoubleVector.fromArray(S, sv.er(), i), q = DoubleVector.fromArray(S, sv.ei(), i);
        DoubleVector c = DoubleVector.fromArray(S, sv.cr(), i), ic = DoubleVector.fromArray(S, sv.ci(), i);
        DoubleVector r2 = DoubleVector.fromArray(S, sv.er(), j), q2 = DoubleVector.fromArray(S, sv.ei(), j);
        DoubleVector c2 = DoubleVector.fromArray(S, sv.cr(), j), ic2 = DoubleVector.fromArray(S, sv.ci(), j);
        DoubleVector gzr = DoubleVector.fromArray(S, dz1, i), gzi = DoubleVector.fromArray(S, dz1, im + i);
        DoubleVector gzr2 = DoubleVector.fromArray(S, dz1, j), gzi2 = DoubleVector.fromArray(S, dz1, im + j);
        DoubleVector p0 = DoubleVector.fromArray(S, parts, p + i), p1 = DoubleVector.fromArray(S, parts, p + im + i);
        DoubleVector p2 = DoubleVector.fromArray(S, parts, p + 2 * im + i);
        DoubleVector p3 = DoubleVector.fromArray(S, parts, p + 3 * im + i);
        DoubleVector s0 = DoubleVector.fromArray(S, parts, p + j), s1 = DoubleVector.fromArray(S, parts, p + im + j);
        DoubleVector s2 = DoubleVector.fromArray(S, parts, p + 2 * im + j);
        DoubleVector s3 = DoubleVector.fromArray(S, parts, p + 3 * im + j);
        for (int o = to - hh, s = 4 * ((to - from) / hh - 1) * LANES; o >= from; o -= hh, s -= 4 * LANES) {
            DoubleVector dy = DoubleVector.fromArray(S, dY, o).mul(2);
            DoubleVector pr = DoubleVector.fromArray(S, zs, s), pi = DoubleVector.fromArray(S, zs, s + LANES);
            DoubleVector pr2 = DoubleVector.fromArray(S, zs, s + 2 * LANES);
            DoubleVector pi2 = DoubleVector.fromArray(S, zs, s + 3 * LANES);
            DoubleVector nr = DoubleVector.fromArray(S, zs, s + 4 * LANES);
            DoubleVector ni = DoubleVector.fromArray(S, zs, s + 5 * LANES);
            DoubleVector nr2 = DoubleVector.fromArray(S, zs, s + 6 * LANES);
            DoubleVector ni2 = DoubleVector.fromArray(S, zs, s + 7 * LANES);
            p2 = p2.add(dy.mul(nr));
            p3 = p3.sub(dy.mul(ni));
            s2 = s2.add(dy.mul(nr2));
            s3 = s3.sub(dy.mul(ni2));
            DoubleVector gr = gzr.add(dy.mul(c)), gi = gzi.sub(dy.mul(ic));
            DoubleVector gr2 = gzr2.add(dy.mul(c2)), gi2 = gzi2.sub(dy.mul(ic2));
            DoubleVector.fromArray(S, du, o).add(gr).add(gr2).intoArray(du, o);
            p0 = p0.add(gr.mul(pr).add(gi.mul(pi)));
            p1 = p1.add(gi.mul(pr).sub(gr.mul(pi)));
            s0 = s0.add(gr2.mul(pr2).add(gi2.mul(pi2)));
            s1 = s1.add(gi2.mul(pr2).sub(gr2.mul(pi2)));
            gzr = r.mul(gr).add(q.mul(gi));
            gzi = r.mul(gi).sub(q.mul(gr));
            gzr2 = r2.mul(gr2).add(q2.mul(gi2));
            gzi2 = r2.mul(gi2).sub(q2.mul(gr2));
        }
        p0.intoArray(parts, p + i);
        p1.intoArray(parts, p + im + i);
        p2.intoArray(parts, p + 2 * im + i);
        p3.intoArray(parts, p + 3 * im + i);
        s0.intoArray(parts, p + j);
        s1.intoArray(parts, p + im + j);
        s2.intoArray(parts, p + 2 * im + j);
        s3.intoArray(parts, p + 3 * im + j);
        gzr.intoArray(dz1, i);
        gzi.intoArray(dz1, im + i);
        gzr2.intoArray(dz1, j);
        gzi2.intoArray(dz1, im + j);
    }

    /** The states of the steps [from, to) into zs from its first entry on. */
    private static void recomputeChunk(ModalScanRecurrent.Saved sv, int i, int from, int to, int hh, double[] zs) {
        DoubleVector r = DoubleVector.fromArray(S, sv.er(), i), q = DoubleVector.fromArray(S, sv.ei(), i);
        DoubleVector zr = DoubleVector.fromArray(S, zs, 0), zi = DoubleVector.fromArray(S, zs, LANES);
        double[] u = sv.u();
        for (int o = from, s = 2 * LANES; o < to; o += hh, s += 2 * LANES) {
            DoubleVector nr = r.mul(zr).sub(q.mul(zi)).add(DoubleVector.fromArray(S, u, o));
            DoubleVector ni = r.mul(zi).add(q.mul(zr));
            zr = nr;
            zi = ni;
            zr.intoArray(zs, s);
            zi.intoArray(zs, s + LANES);
        }
    }

    /** The steps [from, to) back, last first. */
    private static void backChunk(ModalScanRecurrent.Saved sv, int i, int im, int hh, int from, int to, double[] dY,
                                  double[] du, double[] parts, int p, double[] dz1, double[] zs) {
        DoubleVector r = DoubleVector.fromArray(S, sv.er(), i), q = DoubleVector.fromArray(S, sv.ei(), i);
        DoubleVector c = DoubleVector.fromArray(S, sv.cr(), i), ic = DoubleVector.fromArray(S, sv.ci(), i);
        DoubleVector gzr = DoubleVector.fromArray(S, dz1, i), gzi = DoubleVector.fromArray(S, dz1, im + i);
        DoubleVector p0 = DoubleVector.fromArray(S, parts, p + i), p1 = DoubleVector.fromArray(S, parts, p + im + i);
        DoubleVector p2 = DoubleVector.fromArray(S, parts, p + 2 * im + i);
        DoubleVector p3 = DoubleVector.fromArray(S, parts, p + 3 * im + i);
        for (int o = to - hh, s = 2 * ((to - from) / hh - 1) * LANES; o >= from; o -= hh, s -= 2 * LANES) {
            DoubleVector dy = DoubleVector.fromArray(S, dY, o).mul(2);
            DoubleVector pr = DoubleVector.fromArray(S, zs, s), pi = DoubleVector.fromArray(S, zs, s + LANES);
            DoubleVector nr = DoubleVector.fromArray(S, zs, s + 2 * LANES);
            DoubleVector ni = DoubleVector.fromArray(S, zs, s + 3 * LANES);
            p2 = p2.add(dy.mul(nr));
            p3 = p3.sub(dy.mul(ni));
            DoubleVector gr = gzr.add(dy.mul(c)), gi = gzi.sub(dy.mul(ic));
            DoubleVector.fromArray(S, du, o).add(gr).intoArray(du, o);
            p0 = p0.add(gr.mul(pr).add(gi.mul(pi)));
            p1 = p1.add(gi.mul(pr).sub(gr.mul(pi)));
            gzr = r.mul(gr).add(q.mul(gi));
            gzi = r.mul(gi).sub(q.mul(gr));
        }
        p0.intoArray(parts, p + i);
        p1.intoArray(parts, p + im + i);
        p2.intoArray(parts, p + 2 * im + i);
        p3.intoArray(parts, p + 3 * im + i);
        gzr.intoArray(dz1, i);
        gzi.intoArray(dz1, im + i);
    }
}
