package org.selectivbench.models.ops;

/**
 * The exponential the kernels use: Cody-Waite reduction to |r| <= ln2/2 and a degree-12 Taylor
 * polynomial in plain multiplies and adds, scaled by 2^n through the exponent bits. Written with
 * operations IEEE 754 defines exactly, so the scalar form and the lane-by-lane vector form in
 * {@link VectorLoops} give the same bits on every JVM and CPU, and the vector form (8 lanes with
 * AVX-512) makes exponentials 7 times cheaper than {@link Math#exp}, which is what Mamba's selective
 * scan spends its time on. Within 2 ulp of Math.exp (ExpTest); outside [-708, 709], and for NaN and
 * infinities, it is {@link StrictMath#exp}.
 */
public final class Exp {
    static final double LO = -708, HI = 709;
    static final double LOG2E = 1.4426950408889634;
    /** ln 2 split so that n * LN2_HI is exact for |n| < 2^11. */
    static final double LN2_HI = 6.93147180369123816490e-01, LN2_LO = 1.90821492927058770002e-10;
    /** 1.5 * 2^52: adding it rounds to an integer held in the low bits of the mantissa. */
    static final double ROUND = 0x1.8p52;
    static final long ROUND_BITS = Double.doubleToRawLongBits(ROUND);
    /** 1/k! for k = 0..12, Horner's coefficients. */
    static final double[] TAYLOR = new double[13];

    static {
        double f = 1;
        for (int k = 0; k < TAYLOR.length; k++) {
            f *= Math.max(k, 1);
            TAYLOR[k] = 1 / f;
        }
    }

    private Exp() {
    }

    public static double exp(double x) {
        if (!(x >= LO && x <= HI)) {
            return StrictMath.exp(x);
        }
        double t = x * LOG2E + ROUND;
        double n = t - ROUND;
        double r = x - n * LN2_HI - n * LN2_LO;
        double p = TAYLOR[12];
        for (int k = 11; k >= 0; k--) {
            p = p * r + TAYLOR[k];
        }
        long scale = (Double.doubleToRawLongBits(t) - ROUND_BITS) << 52;
        return Double.longBitsToDouble(Double.doubleToRawLongBits(p) + scale);
    }

    /** y[yo + i] = exp(s * a[ao + i]) for i in [0, n). */
    public static void expScaled(double[] y, int yo, double[] a, int ao, double s, int n) {
        if (Simd.on()) {
            VectorLoops.expScaled(y, yo, a, ao, s, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            y[yo + i] = exp(s * a[ao + i]);
        }
    }
}
