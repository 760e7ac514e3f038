package org.selectivbench.models.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ModalConvFloat}'s loops with a channel per lane: the convolutions four output rows at a time
 * (the four sums are independent chains, where one chain waits on its adds, and share each load of the
 * taps, and of the input rows, which move one row per tap), two vectors of channels at a time (eight
 * chains keep both FMA units busy; four waited on their latency); the taps and their gradients (in
 * double) a block of channels at a time through every mode.
 * Every sum still takes its terms in the scalar form's order, so the numbers are the same. Loaded only
 * when {@link Simd#on}; each method returns the first channel it did not do.
 */
final class ModalConvFloatVector {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    private ModalConvFloatVector() {
    }

    /** {@link ModalConvFloat#convolve} on whole vectors of channels. */
    static int convolve(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n, int hh) {
        int whole = hh - hh % F.length();
        // two vectors of channels at a time; an odd last one runs as both, its sums stored twice
        for (int h = 0; h < whole; h += 2 * F.length()) {
            convolveTwo(a, ao, b, bo, out, oo, n, hh, h, Math.min(h + F.length(), whole - F.length()));
        }
        return whole;
    }

    /** {@link ModalConvFloat#correlate} on whole vectors of channels. */
    static int correlate(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n, int hh) {
        int whole = hh - hh % F.length();
        // two vectors of channels at a time; an odd last one runs as both, its sums stored twice
        for (int h = 0; h < whole; h += 2 * F.length()) {
            correlateTwo(a, ao, b, bo, out, oo, n, hh, h, Math.min(h + F.length(), whole - F.length()));
        }
        return whole;
    }

    /**
     * {@link #convolve} on the vectors of channels at h and g, four output rows at a time: eight chains
     * side by side, where one vector's four waited on their FMAs' latency (g = h gives one vector).
     */
    private static void convolveTwo(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n, int hh,
                                    int h, int g) {
        int t = 0;
        for (; t + 3 < n; t += 4) {
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0, r0 = s0, r1 = s0, r2 = s0, r3 = s0;
            int x = bo + t * hh;
            FloatVector c0 = FloatVector.fromArray(F, b, x + h), c1 = FloatVector.fromArray(F, b, x + hh + h);
            FloatVector c2 = FloatVector.fromArray(F, b, x + 2 * hh + h);
            FloatVector c3 = FloatVector.fromArray(F, b, x + 3 * hh + h);
            FloatVector d0 = FloatVector.fromArray(F, b, x + g), d1 = FloatVector.fromArray(F, b, x + hh + g);
            FloatVector d2 = FloatVector.fromArray(F, b, x + 2 * hh + g);
            FloatVector d3 = FloatVector.fromArray(F, b, x + 3 * hh + g);
            for (int l = 0; l < t; l++) {
                FloatVector k = FloatVector.fromArray(F, a, ao + l * hh + h);
                FloatVector m = FloatVector.fromArray(F, a, ao + l * hh + g);
                s0 = k.fma(c0, s0);
                s1 = k.fma(c1, s1);
                s2 = k.fma(c2, s2);
                s3 = k.fma(c3, s3);
                r0 = m.fma(d0, r0);
                r1 = m.fma(d1, r1);
                r2 = m.fma(d2, r2);
                r3 = m.fma(d3, r3);
                c3 = c2;
                c2 = c1;
                c1 = c0;
                c0 = FloatVector.fromArray(F, b, bo + (t - l - 1) * hh + h);
                d3 = d2;
                d2 = d1;
                d1 = d0;
                d0 = FloatVector.fromArray(F, b, bo + (t - l - 1) * hh + g);
            }
            FloatVector kt = FloatVector.fromArray(F, a, ao + t * hh + h);
            FloatVector mt = FloatVector.fromArray(F, a, ao + t * hh + g);
            s0 = kt.fma(c0, s0);
            s1 = kt.fma(c1, s1);
            s2 = kt.fma(c2, s2);
            s3 = kt.fma(c3, s3);
            r0 = mt.fma(d0, r0);
            r1 = mt.fma(d1, r1);
            r2 = mt.fma(d2, r2);
            r3 = mt.fma(d3, r3);
            FloatVector k1 = FloatVector.fromArray(F, a, ao + (t + 1) * hh + h);
            FloatVector m1 = FloatVector.fromArray(F, a, ao + (t + 1) * hh + g);
            FloatVector k2 = FloatVector.fromArray(F, a, ao + (t + 2) * hh + h);
            FloatVector m2 = FloatVector.fromArray(F, a, ao + (t + 2) * hh + g);
            FloatVector k3 = FloatVector.fromArray(F, a, ao + (t + 3) * hh + h);
            FloatVector m3 = FloatVector.fromArray(F, a, ao + (t + 3) * hh + g);
            FloatVector b0 = FloatVector.fromArray(F, b, bo + h), b1 = FloatVector.fromArray(F, b, bo + hh + h);
            FloatVector b2 = FloatVector.fromArray(F, b, bo + 2 * hh + h);
            FloatVector e0 = FloatVector.fromArray(F, b, bo + g), e1 = FloatVector.fromArray(F, b, bo + hh + g);
            FloatVector e2 = FloatVector.fromArray(F, b, bo + 2 * hh + g);
            s1 = k1.fma(b0, s1);
            s2 = k2.fma(b0, k1.fma(b1, s2));
            s3 = k3.fma(b0, k2.fma(b1, k1.fma(b2, s3)));
            r1 = m1.fma(e0, r1);
            r2 = m2.fma(e0, m1.fma(e1, r2));
            r3 = m3.fma(e0, m2.fma(e1, m1.fma(e2, r3)));
            int o = oo + t * hh;
            s0.intoArray(out, o + h);
            s1.intoArray(out, o + hh + h);
            s2.intoArray(out, o + 2 * hh + h);
            s3.intoArray(out, o + 3 * hh + h);
            r0.intoArray(out, o + g);
            r1.intoArray(out, o + hh + g);
            r2.intoArray(out, o + 2 * hh + g);
            r3.intoArray(out, o + 3 * hh + g);
        }
        for (; t < n; t++) {
            FloatVector sh = FloatVector.zero(F), sg = sh;
            for (int l = 0; l <= t; l++) {
                sh = FloatVector.fromArray(F, a, ao + l * hh + h)
                        .fma(FloatVector.fromArray(F, b, bo + (t - l) * hh + h), sh);
                sg = FloatVector.fromArray(F, a, ao + l * hh + g)
                        .fma(FloatVector.fromArray(F, b, bo + (t - l) * hh + g), sg);
            }
            sh.intoArray(out, oo + t * hh + h);
            sg.intoArray(out, oo + t * hh + g);
        }
    }

    /** {@link #correlate} on the vectors of channels at h and g, as {@link #convolveTwo}. */
    private static void correlateTwo(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n, int hh,
                                     int h, int g) {
        int s = 0;
        for (; s + 3 < n; s += 4) {
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0, r0 = s0, r1 = s0, r2 = s0, r3 = s0;
            int x = bo + s * hh, last = n - s - 4;
            FloatVector c0 = FloatVector.fromArray(F, b, x + h), c1 = FloatVector.fromArray(F, b, x + hh + h);
            FloatVector c2 = FloatVector.fromArray(F, b, x + 2 * hh + h);
            FloatVector c3 = FloatVector.fromArray(F, b, x + 3 * hh + h);
            FloatVector d0 = FloatVector.fromArray(F, b, x + g), d1 = FloatVector.fromArray(F, b, x + hh + g);
            FloatVector d2 = FloatVector.fromArray(F, b, x + 2 * hh + g);
            FloatVector d3 = FloatVector.fromArray(F, b, x + 3 * hh + g);
            for (int i = 0; i < last; i++) {
                FloatVector k = FloatVector.fromArray(F, a, ao + i * hh + h);
                FloatVector m = FloatVector.fromArray(F, a, ao + i * hh + g);
                s0 = k.fma(c0, s0);
                s1 = k.fma(c1, s1);
                s2 = k.fma(c2, s2);
                s3 = k.fma(c3, s3);
                r0 = m.fma(d0, r0);
                r1 = m.fma(d1, r1);
                r2 = m.fma(d2, r2);
                r3 = m.fma(d3, r3);
                c0 = c1;
                c1 = c2;
                c2 = c3;
                c3 = FloatVector.fromArray(F, b, bo + (s + i + 4) * hh + h);
                d0 = d1;
                d1 = d2;
                d2 = d3;
                d3 = FloatVector.fromArray(F, b, bo + (s + i + 4) * hh + g);
            }
            FloatVector kl = FloatVector.fromArray(F, a, ao + last * hh + h);
            FloatVector ml = FloatVector.fromArray(F, a, ao + last * hh + g);
            s0 = kl.fma(c0, s0);
            s1 = kl.fma(c1, s1);
            s2 = kl.fma(c2, s2);
            s3 = kl.fma(c3, s3);
            r0 = ml.fma(d0, r0);
            r1 = ml.fma(d1, r1);
            r2 = ml.fma(d2, r2);
            r3 = ml.fma(d3, r3);
            int i = n - s - 3;
            FloatVector a0 = FloatVector.fromArray(F, a, ao + i * hh + h);
            FloatVector a1 = FloatVector.fromArray(F, a, ao + (i + 1) * hh + h);
            FloatVector a2 = FloatVector.fromArray(F, a, ao + (i + 2) * hh + h);
            FloatVector p0 = FloatVector.fromArray(F, a, ao + i * hh + g);
            FloatVector p1 = FloatVector.fromArray(F, a, ao + (i + 1) * hh + g);
            FloatVector p2 = FloatVector.fromArray(F, a, ao + (i + 2) * hh + g);
            FloatVector bl = FloatVector.fromArray(F, b, bo + (n - 1) * hh + h);
            FloatVector bm = FloatVector.fromArray(F, b, bo + (n - 2) * hh + h);
            FloatVector bn = FloatVector.fromArray(F, b, bo + (n - 3) * hh + h);
            FloatVector el = FloatVector.fromArray(F, b, bo + (n - 1) * hh + g);
            FloatVector em = FloatVector.fromArray(F, b, bo + (n - 2) * hh + g);
            FloatVector en = FloatVector.fromArray(F, b, bo + (n - 3) * hh + g);
            s0 = a2.fma(bl, a1.fma(bm, a0.fma(bn, s0)));
            s1 = a1.fma(bl, a0.fma(bm, s1));
            s2 = a0.fma(bl, s2);
            r0 = p2.fma(el, p1.fma(em, p0.fma(en, r0)));
            r1 = p1.fma(el, p0.fma(em, r1));
            r2 = p0.fma(el, r2);
            int o = oo + s * hh;
            s0.intoArray(out, o + h);
            s1.intoArray(out, o + hh + h);
            s2.intoArray(out, o + 2 * hh + h);
            s3.intoArray(out, o + 3 * hh + h);
            r0.intoArray(out, o + g);
            r1.intoArray(out, o + hh + g);
            r2.intoArray(out, o + 2 * hh + g);
            r3.intoArray(out, o + 3 * hh + g);
        }
        for (; s < n; s++) {
            FloatVector ah = FloatVector.zero(F), ag = ah;
            for (int i = 0; i < n - s; i++) {
                ah = FloatVector.fromArray(F, a, ao + i * hh + h)
                        .fma(FloatVector.fromArray(F, b, bo + (s + i) * hh + h), ah);
                ag = FloatVector.fromArray(F, a, ao + i * hh + g)
                        .fma(FloatVector.fromArray(F, b, bo + (s + i) * hh + g), ag);
            }
            ah.intoArray(out, oo + s * hh + h);
            ag.intoArray(out, oo + s * hh + g);
        }
    }

    /** {@link ModalConvFloat#taps} on whole vectors of channels; e = E, C' parts mode by mode [M, H]. */
    static int taps(double[][] e, float[] k, int n, int hh, int mm) {
        int whole = hh - hh % D.length();
        double[] pr = new double[mm * D.length()], pi = new double[mm * D.length()];
        for (int h = 0; h < whole; h += D.length()) {
            java.util.Arrays.fill(pr, 1);
            java.util.Arrays.fill(pi, 0);
            for (int l = 0; l < n; l++) {
                DoubleVector sum = DoubleVector.zero(D);
                for (int m = 0, j = h, q = 0; m < mm; m++, j += hh, q += D.length()) {
                    DoubleVector er = DoubleVector.fromArray(D, e[0], j), ei = DoubleVector.fromArray(D, e[1], j);
                    DoubleVector p = DoubleVector.fromArray(D, pr, q), r = DoubleVector.fromArray(D, pi, q);
                    sum = sum.add(DoubleVector.fromArray(D, e[2], j).mul(p)
                            .sub(DoubleVector.fromArray(D, e[3], j).mul(r)));
                    p.mul(er).sub(r.mul(ei)).intoArray(pr, q);
                    p.mul(ei).add(r.mul(er)).intoArray(pi, q);
                }
                double[] row = sum.mul(2).toArray();
                for (int c = 0; c < D.length(); c++) {
                    k[l * hh + h + c] = (float) row[c];
                }
            }
        }
        return whole;
    }

    /** {@link ModalConvFloat#tapGrads} on whole vectors of channels; e and g mode by mode [M, H]. */
    static int tapGrads(double[] dTaps, double[][] e, double[][] g, int n, int hh, int mm) {
        int whole = hh - hh % D.length();
        for (int m = 0; m < mm; m++) {
            for (int h = 0; h < whole; h += D.length()) {
                int j = m * hh + h;
                DoubleVector r0 = DoubleVector.fromArray(D, e[0], j), i0 = DoubleVector.fromArray(D, e[1], j);
                DoubleVector c0 = DoubleVector.fromArray(D, e[2], j), c1 = DoubleVector.fromArray(D, e[3], j);
                DoubleVector pr = DoubleVector.broadcast(D, 1), pi = DoubleVector.zero(D), gEr = pi, gEi = pi;
                DoubleVector g0 = DoubleVector.fromArray(D, dTaps, h).mul(2);
                DoubleVector gCr = pi.add(g0.mul(pr)), gCi = pi.sub(g0.mul(pi)); // l = 0, outside the loop: C2
                for (int l = 1; l < n; l++) { // boxed the vectors of a loop with the branch inside
                    DoubleVector gl = DoubleVector.fromArray(D, dTaps, l * hh + h).mul(2), lg = gl.mul(l);
                    gEr = gEr.add(lg.mul(c0.mul(pr).sub(c1.mul(pi))));
                    gEi = gEi.sub(lg.mul(c0.mul(pi).add(c1.mul(pr))));
                    DoubleVector r = pr.mul(r0).sub(pi.mul(i0));
                    pi = pr.mul(i0).add(pi.mul(r0));
                    pr = r;
                    gCr = gCr.add(gl.mul(pr));
                    gCi = gCi.sub(gl.mul(pi));
                }
                gEr.intoArray(g[0], j);
                gEi.intoArray(g[1], j);
                gCr.intoArray(g[2], j);
                gCi.intoArray(g[3], j);
            }
        }
        return whole;
    }
}
