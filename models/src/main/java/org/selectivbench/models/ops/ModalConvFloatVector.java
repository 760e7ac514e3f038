package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ModalConvFloat}'s convolutions with a channel per lane and four output rows at a time: the four
 * sums are independent chains (one chain waits on its adds) and share each load of the taps. Every row
 * still sums its terms in ascending order, as the scalar form does, so the numbers are the same. Loaded
 * only when {@link Simd#on}; each method returns the first channel it did not do.
 */
final class ModalConvFloatVector {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private ModalConvFloatVector() {
    }

    /** {@link ModalConvFloat#convolve} on whole vectors of channels. */
    static int convolve(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n, int hh) {
        int whole = hh - hh % F.length();
        for (int h = 0; h < whole; h += F.length()) {
            int t = 0;
            for (; t + 3 < n; t += 4) {
                FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
                for (int l = 0; l <= t; l++) {
                    FloatVector k = FloatVector.fromArray(F, a, ao + l * hh + h);
                    int x = bo + (t - l) * hh + h;
                    s0 = s0.add(k.mul(FloatVector.fromArray(F, b, x)));
                    s1 = s1.add(k.mul(FloatVector.fromArray(F, b, x + hh)));
                    s2 = s2.add(k.mul(FloatVector.fromArray(F, b, x + 2 * hh)));
                    s3 = s3.add(k.mul(FloatVector.fromArray(F, b, x + 3 * hh)));
                }
                // rows t+1.. take the taps past t, still in ascending order
                FloatVector k1 = FloatVector.fromArray(F, a, ao + (t + 1) * hh + h);
                FloatVector k2 = FloatVector.fromArray(F, a, ao + (t + 2) * hh + h);
                FloatVector k3 = FloatVector.fromArray(F, a, ao + (t + 3) * hh + h);
                FloatVector b0 = FloatVector.fromArray(F, b, bo + h), b1 = FloatVector.fromArray(F, b, bo + hh + h);
                FloatVector b2 = FloatVector.fromArray(F, b, bo + 2 * hh + h);
                s1 = s1.add(k1.mul(b0));
                s2 = s2.add(k1.mul(b1)).add(k2.mul(b0));
                s3 = s3.add(k1.mul(b2)).add(k2.mul(b1)).add(k3.mul(b0));
                int o = oo + t * hh + h;
                s0.intoArray(out, o);
                s1.intoArray(out, o + hh);
                s2.intoArray(out, o + 2 * hh);
                s3.intoArray(out, o + 3 * hh);
            }
            for (; t < n; t++) {
                FloatVector s = FloatVector.zero(F);
                for (int l = 0; l <= t; l++) {
                    s = s.add(FloatVector.fromArray(F, a, ao + l * hh + h)
                            .mul(FloatVector.fromArray(F, b, bo + (t - l) * hh + h)));
                }
                s.intoArray(out, oo + t * hh + h);
            }
        }
        return whole;
    }

    /** {@link ModalConvFloat#correlate} on whole vectors of channels. */
    static int correlate(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n, int hh) {
        int whole = hh - hh % F.length();
        for (int h = 0; h < whole; h += F.length()) {
            int s = 0;
            for (; s + 3 < n; s += 4) {
                FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
                for (int i = 0; i < n - s - 3; i++) {
                    FloatVector k = FloatVector.fromArray(F, a, ao + i * hh + h);
                    int x = bo + (s + i) * hh + h;
                    s0 = s0.add(k.mul(FloatVector.fromArray(F, b, x)));
                    s1 = s1.add(k.mul(FloatVector.fromArray(F, b, x + hh)));
                    s2 = s2.add(k.mul(FloatVector.fromArray(F, b, x + 2 * hh)));
                    s3 = s3.add(k.mul(FloatVector.fromArray(F, b, x + 3 * hh)));
                }
                // rows s..s+2 have terms past the shared ones: i = n-s-3.. with b's last rows
                int i = n - s - 3;
                FloatVector a0 = FloatVector.fromArray(F, a, ao + i * hh + h);
                FloatVector a1 = FloatVector.fromArray(F, a, ao + (i + 1) * hh + h);
                FloatVector a2 = FloatVector.fromArray(F, a, ao + (i + 2) * hh + h);
                FloatVector bl = FloatVector.fromArray(F, b, bo + (n - 1) * hh + h);
                FloatVector bm = FloatVector.fromArray(F, b, bo + (n - 2) * hh + h);
                FloatVector bn = FloatVector.fromArray(F, b, bo + (n - 3) * hh + h);
                s0 = s0.add(a0.mul(bn)).add(a1.mul(bm)).add(a2.mul(bl));
                s1 = s1.add(a0.mul(bm)).add(a1.mul(bl));
                s2 = s2.add(a0.mul(bl));
                int o = oo + s * hh + h;
                s0.intoArray(out, o);
                s1.intoArray(out, o + hh);
                s2.intoArray(out, o + 2 * hh);
                s3.intoArray(out, o + 3 * hh);
            }
            for (; s < n; s++) {
                FloatVector acc = FloatVector.zero(F);
                for (int i = 0; i < n - s; i++) {
                    acc = acc.add(FloatVector.fromArray(F, a, ao + i * hh + h)
                            .mul(FloatVector.fromArray(F, b, bo + (s + i) * hh + h)));
                }
                acc.intoArray(out, oo + s * hh + h);
            }
        }
        return whole;
    }
}
