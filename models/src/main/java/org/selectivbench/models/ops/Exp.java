package org.selectivbench.models.ops;

/**
 * The exponential the kernels use: Cody-Waite reduction to |r| <= ln2/2 and a degree-12 Taylor
 * polynomial by Horner's rule in fused multiply-adds, scaled by 2^n through the exponent bits. Written
 * with operations IEEE 754 defines exactly (a fused multiply-add rounds once, in {@link Math#fma} and in
 * a vector lane alike), so the scalar form and the lane-by-lane vector form in
 * {@link ExpVector#expRows} give the same bits on every JVM and CPU, and the vector form (8 lanes with
 * AVX-512) makes exponentials 8 to 12 times cheaper than {@link Math#exp} (0.39 ns against 3.1-5.0 in
 * loops of 128 rows on the development machine; 0.65 with separate multiplies and adds), which is what
 * Mamba's selective scan spends its time on. CPUs without FMA instructions (x86 before 2013) get the
 * same bits from the JDK's exact software fma, many times slower. Within 2 ulp of fdlibm on [-708, 709] (ExpTest); below it 0 (where exp is under 3.3e-308),
 * above it infinity (over 8.2e307), NaN for NaN.
 */
public final class Exp {
    static final double LO = -708, HI = 709;
    static final double LOG2E = 1.4426950408889634;
    /** ln 2 split so that n * LN2_HI is exact for |n| < 2^11. */
    static final double LN2_HI = 6.93147180369123816490e-01, LN2_LO = 1.90821492927058770002e-10;
    /** 1.5 * 2^52: adding it rounds to an integer held in the low bits of the mantissa. */
    static final double ROUND = 0x1.8p52;
    static final long ROUND_BITS = Double.doubleToRawLongBits(ROUND);
    /** 1/k! for k = 0..12, Horner's coefficients; fields, not an array, so that C2 folds them. */
    static final double T0 = 1, T1 = 1, T2 = 1 / 2.0, T3 = 1 / 6.0, T4 = 1 / 24.0, T5 = 1 / 120.0, T6 = 1 / 720.0,
            T7 = 1 / 5040.0, T8 = 1 / 40320.0, T9 = 1 / 362880.0, T10 = 1 / 3628800.0, T11 = 1 / 39916800.0,
            T12 = 1 / 479001600.0;

    private Exp() {
    }

    public static double exp(double x) {
        if (!(x >= LO && x <= HI)) {
            return x < LO ? 0 : x > HI ? Double.POSITIVE_INFINITY : x;
        }
        double t = x * LOG2E + ROUND;
        double n = t - ROUND;
        double r = x - n * LN2_HI - n * LN2_LO;
        double p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(
                Math.fma(T12, r, T11), r, T10), r, T9), r, T8), r, T7), r, T6), r, T5), r, T4), r, T3), r, T2), r, T1),
                r, T0);
        long scale = (Double.doubleToRawLongBits(t) - ROUND_BITS) << 52;
        return Double.longBitsToDouble(Double.doubleToRawLongBits(p) + scale);
    }

    /**
     * The single-precision exponential of the float kernels, built as {@link #exp}: Cody-Waite reduction
     * to |r| <= ln2/2 and a degree-7 Taylor polynomial (its remainder under 5.3e-9, a tenth of a float
     * ulp) in fused multiply-adds. Within 2 ulp of the correctly rounded float on [-87, 88] (ExpTest);
     * below it 0 (exp is under 1.7e-38 there), above it infinity, NaN for NaN.
     */
    public static float expf(float x) {
        if (!(x >= F_LO && x <= F_HI)) {
            return x < F_LO ? 0 : x > F_HI ? Float.POSITIVE_INFINITY : x;
        }
        float t = x * F_LOG2E + F_ROUND;
        float n = t - F_ROUND;
        float r = x - n * F_LN2_HI - n * F_LN2_LO;
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(F7, r, F6), r, F5), r, F4), r, F3), r,
                F2), r, F1), r, F0);
        int scale = (Float.floatToRawIntBits(t) - F_ROUND_BITS) << 23;
        return Float.intBitsToFloat(Float.floatToRawIntBits(p) + scale);
    }

    static final float F_LO = -87, F_HI = 88;
    static final float F_LOG2E = 1.44269504f;
    /** ln 2 split so that n * F_LN2_HI is exact for |n| < 2^15. */
    static final float F_LN2_HI = 0.693359375f, F_LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds to an integer held in the low bits of the mantissa. */
    static final float F_ROUND = 0x1.8p23f;
    static final int F_ROUND_BITS = Float.floatToRawIntBits(F_ROUND);
    static final float F0 = 1, F1 = 1, F2 = 1 / 2f, F3 = 1 / 6f, F4 = 1 / 24f, F5 = 1 / 120f, F6 = 1 / 720f,
            F7 = 1 / 5040f;

    /** x[i] = exp(x[i]) for i in [0, n); the vector form after one pass for max |x|. */
    static void expInPlace(double[] x, int n) {
        expInPlace(x, n, Simd.on() ? ExpVector.maxAbs(x, n) : 0);
    }

    /** x[i] = exp(x[i]) for i in [0, n), given max |x| (or more; NaN runs the scalar form). */
    static void expInPlace(double[] x, int n, double bound) {
        int whole = 0;
        if (Simd.on()) {
            whole = n - n % ExpVector.LANES;
            ExpVector.expRows(x, ExpVector.ONES, 0, x, 0, ExpVector.LANES, whole / ExpVector.LANES, bound);
        }
        for (int i = whole; i < n; i++) {
            x[i] = exp(1.0 * x[i]);
        }
    }

    /** s[i] = 1 / (1 + exp(-z[i])) for every i. */
    public static void sigmoids(double[] z, double[] s) {
        sigmoids(z, s, z.length);
    }

    /** s[i] = 1 / (1 + exp(-z[i])) for i in [0, n). */
    public static void sigmoids(double[] z, double[] s, int n) {
        for (int i = 0; i < n; i++) {
            s[i] = -z[i];
        }
        expInPlace(s, n);
        for (int i = 0; i < n; i++) {
            s[i] = 1 / (1 + s[i]);
        }
    }

    /** x[i] = expf(x[i]) for i in [0, n): the float form of {@link #expInPlace(double[], int)}. */
    static void expInPlace(float[] x, int n) {
        expInPlace(x, 0, n);
    }

    /** x[i] = expf(x[i]) for i in [from, from + n). */
    static void expInPlace(float[] x, int from, int n) {
        int whole = 0;
        if (Simd.on()) {
            int lanes = ExpVector.FLOAT_LANES;
            whole = n - n % lanes;
            ExpVector.expRows(x, from, ExpVector.FLOAT_ONES, 0, x, from, lanes, whole / lanes,
                    ExpVector.maxAbs(x, from, whole));
        }
        for (int i = from + whole; i < from + n; i++) {
            x[i] = expf(1f * x[i]);
        }
    }

    /**
     * s[i] = 1 / (1 + expf(-z[i])) for i in [0, n), with -z clamped to [-87, 87], the exponential's range
     * (1 / (1 + e^87) is 1.6e-38, not 0); whole vectors in one pass ({@link ExpVector#sigmoids}).
     */
    public static void sigmoids(float[] z, float[] s, int n) {
        sigmoids(z, s, 0, n);
    }

    /** {@link #sigmoids(float[], float[], int)} on [from, from + n). */
    public static void sigmoids(float[] z, float[] s, int from, int n) {
        for (int i = Simd.on() ? ExpVector.sigmoids(z, -1, s, from, n) : from; i < from + n; i++) {
            s[i] = 1 / (1 + expf(Math.max(F_LO, Math.min(-F_LO, -z[i]))));
        }
    }

    /** s[i] = 1 / (1 + exp(z[i])): the sigmoids of -z, those of a negated copy bit for bit, for i in [0, n). */
    public static void sigmoidsOfMinus(float[] z, float[] s, int n) {
        for (int i = Simd.on() ? ExpVector.sigmoids(z, 1, s, 0, n) : 0; i < n; i++) {
            s[i] = 1 / (1 + expf(Math.max(F_LO, Math.min(-F_LO, z[i]))));
        }
    }

    /** y[yo + i] = exp(s * a[ao + i]) for i in [0, n). */
    static void expScaled(double[] y, int yo, double[] a, int ao, double s, int n) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = exp(s * a[ao + i]);
        }
    }
}
