package org.selectivbench.models.ops;

/**
 * Element-wise activations of float32 arrays as Java loops: the CPU path of float32 models. On 164K floats
 * ND4J's sigmoid took 2.3 ns an element and GELU through its erf 13, these loops (with {@link Exp}'s
 * vector form) 1.2 and 1.5 with the copies in and out (docs/engine-log.md). Each returns a new array. GELU is
 * the exact one, 0.5 y erfc(-y / sqrt 2), with erfc from Numerical Recipes' Chebyshev fit (relative error
 * under 1.2e-7 everywhere, so the negative tail keeps its digits).
 */
public final class PointwiseFloat {
    static final float BOUND = -Exp.F_LO;
    static final float RSQRT2 = (float) (1 / Math.sqrt(2));
    /** Numerical Recipes' erfc fit: erfc(z) = t exp(-z^2 - P0 + t (P1 + t (P2 + ... + t P9))). */
    static final float P0 = 1.26551223f, P1 = 1.00002368f, P2 = 0.37409196f, P3 = 0.09678418f, P4 = -0.18628806f,
            P5 = 0.27886807f, P6 = -1.13520398f, P7 = 1.48851587f, P8 = -0.82215223f, P9 = 0.17087277f;
    private static final float RSQRT2PI = (float) (1 / Math.sqrt(2 * Math.PI));

    private PointwiseFloat() {
    }

    /**
     * y[r n + c] += x[r n + c] f[c] over rows of n: a factor per column. As one loop over (r, c), C2 kept it
     * scalar (f's index is not the others'), 5 times slower than a loop it vectorizes.
     */
    public static void addColumnProducts(float[] y, float[] x, float[] f, int n) {
        for (int o = 0; o < y.length; o += n) {
            Loops.addProducts(y, o, x, o, f, 0, n);
        }
    }

    /** x[r n + c] f[c] over rows of n, a new array ({@link #addColumnProducts}' loops). */
    public static float[] columnProducts(float[] x, float[] f, int n) {
        float[] out = Arena.uninitialized(x.length);
        for (int o = 0; o < x.length; o += n) {
            Loops.products(x, o, f, 0, out, o, n);
        }
        return out;
    }

    /** x[i] f[i / group], a new array: a factor per group of consecutive entries (per row and head). */
    public static float[] groupProducts(float[] x, float[] f, int group) {
        float[] out = Arena.uninitialized(x.length);
        for (int o = 0, g = 0; o < x.length; o += group, g++) {
            Loops.scaled(x, o, f[g], out, o, group);
        }
        return out;
    }

    /** 1 / (1 + exp(-x)) ({@link Exp#sigmoids}). */
    public static float[] sigmoid(float[] x) {
        float[] s = Arena.uninitialized(x.length);
        Exp.sigmoids(x, s, x.length);
        return s;
    }

    /**
     * log(1 + exp(x)) = max(x, 0) + log1p(e), e = exp(-|x|) in (0, 1], with log1p(e) = 2 atanh(s) for
     * s = e / (2 + e) <= 1/3 by its odd series to s^15 (remainder under 2e-9 relative): no cancellation, so
     * the negative tail, where softplus is e, keeps its digits. Scalar Math.log took 20 ns an element here.
     */
    public static float[] softplus(float[] x) {
        return softplus(x, 1, 1);
    }

    /** softplus(sign x) c, sign 1 or -1 (a product by either is exact), c = 1 leaving it as it is. */
    private static float[] softplus(float[] x, float sign, float c) {
        int n = x.length;
        float[] y = Arena.uninitialized(n);
        for (int i = 0; i < n; i++) {
            y[i] = Math.max(-BOUND, -Math.abs(x[i]));
        }
        Exp.expInPlace(y, n);
        for (int i = 0; i < n; i++) {
            float e = y[i], s = e / (2 + e), s2 = s * s;
            float series = 1 + s2 * (1 / 3f + s2 * (1 / 5f + s2 * (1 / 7f + s2 * (1 / 9f + s2 * (1 / 11f
                    + s2 * (1 / 13f + s2 * (1 / 15f)))))));
            y[i] = (Math.max(sign * x[i], 0) + 2 * s * series) * c;
        }
        return y;
    }

    /**
     * softplus(-x) c in one pass, {@code scaled(softplus(scaled(x, -1)), c)} bit for bit (negation is
     * exact): GLA's gate, logsigmoid(x) / 16 = softplus(-x) (-1/16), without two arrays and passes.
     */
    public static float[] softplusOfMinusScaled(float[] x, float c) {
        return softplus(x, -1, c);
    }

    /** sigmoid(-x), {@code sigmoid(scaled(x, -1))} bit for bit, in one pass. */
    public static float[] sigmoidOfMinus(float[] x) {
        float[] s = Arena.uninitialized(x.length);
        Exp.sigmoidsOfMinus(x, s, x.length);
        return s;
    }

    /** dy sigmoid'(.) from the sigmoid's output s: (1 - s) s dy. */
    public static float[] sigmoidBackward(float[] s, float[] dy) {
        float[] d = Arena.uninitialized(s.length);
        for (int i = 0; i < d.length; i++) {
            d[i] = (1 - s[i]) * s[i] * dy[i];
        }
        return d;
    }

    /** GLU of rows [R, 2h]: z1 sigmoid(z2) [R, h], z1 and z2 each row's halves. */
    public static float[] glu(float[] z, int h) {
        return glu(z, gates(z, h), h);
    }

    /** GLU given s = {@link #gates}(z), which a caller may keep for the backward pass. */
    public static float[] glu(float[] z, float[] s, int h) {
        float[] y = Arena.uninitialized(s.length);
        int rows = s.length / h, j0 = Simd.on() ? PointwiseFloatVector.glu(z, s, y, rows, h) : 0;
        for (int r = 0; r < rows; r++) { // rows, not i / h: a division per entry cost more than the rest
            for (int j = j0, i = r * h, o = 2 * r * h; j < h; j++) {
                y[i + j] = s[i + j] * z[o + j];
            }
        }
        return y;
    }

    /** {@link #glu}'s gradient [R, 2h] from dy [R, h]: dz1 = dy s, dz2 = (1 - s) s (dy z1), s = sigmoid(z2). */
    public static float[] gluBackward(float[] z, float[] dy, int h) {
        return gluBackward(z, gates(z, h), dy, h);
    }

    /** {@link #gluBackward(float[], float[], int)} given s = {@link #gates}(z). */
    public static float[] gluBackward(float[] z, float[] s, float[] dy, int h) {
        float[] dz = Arena.uninitialized(z.length);
        int rows = s.length / h, j0 = Simd.on() ? PointwiseFloatVector.gluBackward(z, s, dy, dz, rows, h) : 0;
        for (int r = 0; r < rows; r++) {
            for (int j = j0, i = r * h, o = 2 * r * h; j < h; j++) {
                float si = s[i + j], di = dy[i + j];
                dz[o + j] = di * si;
                dz[o + h + j] = (1 - si) * si * (di * z[o + j]);
            }
        }
        return dz;
    }

    /** sigmoid(z2) [R, h] of rows [R, 2h], gathered first so that the exponentials run in vector form. */
    public static float[] gates(float[] z, int h) {
        int rows = z.length / (2 * h);
        float[] z2 = Arena.uninitialized(rows * h);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(z, (2 * r + 1) * h, z2, r * h, h);
        }
        Exp.sigmoids(z2, z2, z2.length);
        return z2;
    }

    /** y[r, j] += x[r, j] d[j] over rows of h (a skip connection's weight per channel), in place. */
    public static void addScaledRows(float[] y, float[] x, float[] d, int h) {
        Loops.addScaledRows(y, 0, d, 0, x, 0, y.length / h, h);
    }

    /** x c, a new array. */
    public static float[] scaled(float[] x, float c) {
        float[] y = Arena.uninitialized(x.length);
        for (int i = 0; i < y.length; i++) {
            y[i] = x[i] * c;
        }
        return y;
    }

    /** x c in place, x returned: for an array nothing else reads. */
    public static float[] scaleInPlace(float[] x, float c) {
        for (int i = 0; i < x.length; i++) {
            x[i] *= c;
        }
        return x;
    }

    /** x sigmoid(x). */
    public static float[] silu(float[] x) {
        float[] y = sigmoid(x);
        for (int i = 0; i < y.length; i++) {
            y[i] *= x[i];
        }
        return y;
    }

    /** dy silu'(x), silu'(x) = s (1 + x (1 - s)), s = sigmoid(x). */
    public static float[] siluBackward(float[] x, float[] dy) {
        float[] d = sigmoid(x);
        for (int i = 0; i < d.length; i++) {
            float s = d[i];
            d[i] = s * (1 + x[i] * (1 - s)) * dy[i];
        }
        return d;
    }

    /** Exact GELU: y Phi(y) = 0.5 y erfc(-y / sqrt 2). */
    public static float[] gelu(float[] y) {
        return gelu(y, erfcOfMinus(y));
    }

    /** GELU from c = {@link #erfcOfMinus}(y), which a caller may keep for {@link #geluBackward(float[], float[], float[])}. */
    public static float[] gelu(float[] y, float[] c) {
        float[] g = Arena.uninitialized(y.length);
        for (int i = 0; i < y.length; i++) {
            g[i] = 0.5f * y[i] * c[i];
        }
        return g;
    }

    /** d gelu(y) = Phi(y) + y phi(y), times d. */
    public static float[] geluBackward(float[] y, float[] d) {
        return geluBackward(y, erfcOfMinus(y), d);
    }

    /** {@link #geluBackward(float[], float[])} given c = erfcOfMinus(y) (overwritten with the result). */
    public static float[] geluBackward(float[] y, float[] c, float[] d) {
        float[] pdf = Arena.uninitialized(y.length);
        for (int i = 0; i < y.length; i++) {
            pdf[i] = Math.max(-BOUND, -0.5f * y[i] * y[i]);
        }
        Exp.expInPlace(pdf, pdf.length);
        for (int i = 0; i < y.length; i++) {
            c[i] = (0.5f * c[i] + y[i] * RSQRT2PI * pdf[i]) * d[i];
        }
        return c;
    }

    /** erfc(-y / sqrt 2) per entry: erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z / 2), for z = |y| / sqrt 2. */
    public static float[] erfcOfMinus(float[] y) {
        int n = y.length;
        float[] t = Arena.uninitialized(n), e = Arena.uninitialized(n);
        int i = Simd.on() ? PointwiseFloatVector.erfcArguments(y, t, e, n) : 0;
        for (; i < n; i++) {
            float z = Math.abs(y[i]) * RSQRT2, ti = 1 / (1 + 0.5f * z);
            t[i] = ti;
            float a = -z * z - P0 + ti * (P1 + ti * (P2 + ti * (P3 + ti * (P4 + ti * (P5 + ti * (P6 + ti * (P7
                    + ti * (P8 + ti * P9))))))));
            e[i] = Math.max(-BOUND, a); // in the exponential's vector range, as Exp.sigmoids
        }
        Exp.expInPlace(e, n);
        i = Simd.on() ? PointwiseFloatVector.erfcFromTail(y, t, e, n) : 0;
        for (; i < n; i++) {
            float tail = t[i] * e[i]; // erfc(|y| / sqrt 2)
            e[i] = y[i] > 0 ? 2 - tail : tail;
        }
        return e;
    }
}
