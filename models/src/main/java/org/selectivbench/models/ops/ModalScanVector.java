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
