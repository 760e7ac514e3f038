package org.selectivbench.models.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link ModalScanRecurrent}'s step, readout and backward row, loaded only when
 * {@link Simd#on}: one channel per lane over the mode-major layout, each channel's sums over modes in
 * the scalar form's order; the channels past the last whole vector run in the scalar form.
 */
final class ModalScanVector {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    private ModalScanVector() {
    }

    private static int whole(int hh) {
        return hh - hh % S.length();
    }

    static void step(int hh, int mm, int row, double[] u, double[] er, double[] ei, double[] prev, double[] next) {
        int im = hh * mm, end = whole(hh);
        for (int m = 0; m < mm; m++) {
            for (int h = 0; h < end; h += S.length()) {
                int i = m * hh + h;
                DoubleVector r = DoubleVector.fromArray(S, er, i), q = DoubleVector.fromArray(S, ei, i);
                DoubleVector zr = DoubleVector.fromArray(S, prev, i), zi = DoubleVector.fromArray(S, prev, im + i);
                r.mul(zr).sub(q.mul(zi)).add(DoubleVector.fromArray(S, u, row * hh + h)).intoArray(next, i);
                r.mul(zi).add(q.mul(zr)).intoArray(next, im + i);
            }
        }
        ModalScanRecurrent.step(hh, mm, end, row, u, er, ei, prev, next);
    }

    /** The step in place and the readout, in one pass over the state. */
    static void stepAndReadout(int hh, int mm, int row, double[] u, double[] er, double[] ei, double[] cr, double[] ci,
                               double[] z, double[] y) {
        int im = hh * mm, end = whole(hh);
        for (int h = 0; h < end; h += S.length()) {
            DoubleVector uv = DoubleVector.fromArray(S, u, row * hh + h), acc = DoubleVector.zero(S);
            for (int m = 0; m < mm; m++) {
                int i = m * hh + h;
                DoubleVector r = DoubleVector.fromArray(S, er, i), q = DoubleVector.fromArray(S, ei, i);
                DoubleVector zr = DoubleVector.fromArray(S, z, i), zi = DoubleVector.fromArray(S, z, im + i);
                DoubleVector nr = r.mul(zr).sub(q.mul(zi)).add(uv), ni = r.mul(zi).add(q.mul(zr));
                nr.intoArray(z, i);
                ni.intoArray(z, im + i);
                acc = acc.add(DoubleVector.fromArray(S, cr, i).mul(nr).sub(DoubleVector.fromArray(S, ci, i).mul(ni)));
            }
            acc.mul(2).intoArray(y, row * hh + h);
        }
        ModalScanRecurrent.step(hh, mm, end, row, u, er, ei, z, z);
        ModalScanRecurrent.readout(hh, mm, end, row, cr, ci, z, y);
    }

    static void backwardRow(int hh, int mm, int row, ModalScanRecurrent.Saved sv, double[] dY, double[] prev,
                            double[] now, double[] dz, double[] parts, int p, double[] du) {
        int im = hh * mm, end = whole(hh);
        double[] er = sv.er(), ei = sv.ei(), cr = sv.cr(), ci = sv.ci();
        for (int h = 0; h < end; h += S.length()) {
            DoubleVector dy = DoubleVector.fromArray(S, dY, row * hh + h).mul(2), duv = DoubleVector.zero(S);
            for (int m = 0; m < mm; m++) {
                int i = m * hh + h;
                DoubleVector nr = DoubleVector.fromArray(S, now, i), ni = DoubleVector.fromArray(S, now, im + i);
                DoubleVector.fromArray(S, parts, p + 2 * im + i).add(dy.mul(nr)).intoArray(parts, p + 2 * im + i);
                DoubleVector.fromArray(S, parts, p + 3 * im + i).sub(dy.mul(ni)).intoArray(parts, p + 3 * im + i);
                DoubleVector gr = DoubleVector.fromArray(S, dz, i).add(dy.mul(DoubleVector.fromArray(S, cr, i)));
                DoubleVector gi = DoubleVector.fromArray(S, dz, im + i).sub(dy.mul(DoubleVector.fromArray(S, ci, i)));
                duv = duv.add(gr);
                DoubleVector pr = DoubleVector.fromArray(S, prev, i), pi = DoubleVector.fromArray(S, prev, im + i);
                DoubleVector.fromArray(S, parts, p + i).add(gr.mul(pr).add(gi.mul(pi))).intoArray(parts, p + i);
                DoubleVector.fromArray(S, parts, p + im + i).add(gi.mul(pr).sub(gr.mul(pi))).intoArray(parts, p + im + i);
                DoubleVector r = DoubleVector.fromArray(S, er, i), q = DoubleVector.fromArray(S, ei, i);
                r.mul(gr).add(q.mul(gi)).intoArray(dz, i);
                r.mul(gi).sub(q.mul(gr)).intoArray(dz, im + i);
            }
            duv.intoArray(du, row * hh + h);
        }
        ModalScanRecurrent.backwardRow(hh, mm, end, row, sv, dY, prev, now, dz, parts, p, du);
    }
}
