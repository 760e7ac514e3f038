package org.selectivbench.models.ops;

/**
 * S4D's modal recurrence ({@link ModalScanRecurrent} gives the math) as the causal convolution it is, in
 * float, for float32 models on passes that start from a zero state and want no end state (training and
 * whole-sequence evaluation): y_t[h] = sum_{l <= t} K[l, h] u_{t-l}[h] with taps K[l, h] = 2 Re(sum_m
 * C'_m E_m^l), the way S4D itself trains. Per channel that is T^2 / 2 multiply-adds against the
 * recurrence's T M complex ones, so it pays while T is at most a few times M ({@link #pays}). The taps
 * and their gradients (H M T complex products) are computed in double; the convolutions in float.
 *
 * <p>Backward: du_s = sum_{l} K[l] dy_{s+l} and dK[l] = sum_b sum_i dy_{i+l} u_i (summed per batch row
 * in float, over the batch in double), then dC' = 2 sum_l dK_l conj(E^l) and dE = 2 sum_l l dK_l
 * conj(C' E^(l-1)) (complex gradients as in {@link ModalScanChunked}).
 *
 * <p>Layouts, rows ordered (b, t): u, y [B*T, H]; E and C' real and imaginary parts [H, M]; taps [T, H].
 * Every sum runs over l (or i) in ascending order; {@link ModalConvFloatVector} takes a channel per lane
 * and four rows at a time in that order, so it computes the same bits.
 */
public final class ModalConvFloat {
    /**
     * The convolution runs while T is at most this many steps per mode: forward and backward (training),
     * forward alone (evaluation). Between the points where the two forms cost the same on the hosts
     * measured, which lie four times apart (docs/engine-log.md, "The quick start's own model settings").
     */
    static final int TRAIN_STEPS_PER_MODE = 24;
    static final int EVAL_STEPS_PER_MODE = 12;

    private ModalConvFloat() {
    }

    /** Whether the convolution is the cheaper form for these dimensions, with backward to follow or not. */
    public static boolean pays(ModalScanRecurrent.Dims d, boolean backward) {
        return d.steps() <= (long) (backward ? TRAIN_STEPS_PER_MODE : EVAL_STEPS_PER_MODE) * d.modes();
    }

    /** What backward needs. */
    public record Saved(ModalScanRecurrent.Dims dims, float[] u, float[] taps, double[] er, double[] ei, double[] cr,
                        double[] ci) {
    }

    /** y [B*T, H] into {@code y}; what backward needs when {@code keep}. */
    public static Saved forward(ModalScanRecurrent.Dims d, float[] u, double[] er, double[] ei, double[] cr,
                                double[] ci, float[] y, boolean keep) {
        float[] taps = taps(d, er, ei, cr, ci);
        int hh = d.channels(), n = d.steps(), rows = n * hh;
        Parallel.forRange(d.batch(), (from, to) -> {
            for (int b = from; b < to; b++) {
                convolve(taps, 0, u, b * rows, y, b * rows, n, hh);
            }
        });
        return keep ? new Saved(d, u, taps, er, ei, cr, ci) : null;
    }

    /** du [B*T, H] into {@code du}; dE, dC' parts [H, M] (summed over the batch) into der, dei, dcr, dci. */
    public static void backward(Saved s, float[] dY, float[] du, double[] der, double[] dei, double[] dcr,
                                double[] dci) {
        ModalScanRecurrent.Dims d = s.dims();
        int hh = d.channels(), n = d.steps(), rows = n * hh;
        float[] parts = Arena.floats(d.batch() * rows); // dK per batch row
        Parallel.forRange(d.batch(), (from, to) -> {
            for (int b = from; b < to; b++) {
                correlate(s.taps(), 0, dY, b * rows, du, b * rows, n, hh);
                correlate(s.u(), b * rows, dY, b * rows, parts, b * rows, n, hh);
            }
        });
        double[] dTaps = new double[rows];
        for (int b = 0; b < d.batch(); b++) {
            for (int j = 0; j < rows; j++) {
                dTaps[j] += parts[b * rows + j];
            }
        }
        tapGrads(d, dTaps, s.er(), s.ei(), s.cr(), s.ci(), der, dei, dcr, dci);
    }

    /**
     * K [T, H] = 2 Re(sum_m C'_m E_m^l), powers by repeated products, in double, rounded once. E and C'
     * come in [H, M] and are held mode by mode ([M, H]) so that the vector form takes a channel per lane.
     */
    static float[] taps(ModalScanRecurrent.Dims d, double[] er, double[] ei, double[] cr, double[] ci) {
        int hh = d.channels(), mm = d.modes(), n = d.steps();
        double[][] e = {Loops.transposed(er, hh, mm), Loops.transposed(ei, hh, mm), Loops.transposed(cr, hh, mm),
            Loops.transposed(ci, hh, mm)};
        float[] k = Arena.floats(n * hh);
        int h0 = Simd.on() ? ModalConvFloatVector.taps(e, k, n, hh, mm) : 0;
        double[] pr = new double[mm], pi = new double[mm];
        for (int h = h0; h < hh; h++) {
            java.util.Arrays.fill(pr, 1);
            java.util.Arrays.fill(pi, 0);
            for (int l = 0; l < n; l++) {
                double sum = 0;
                for (int m = 0, j = h; m < mm; m++, j += hh) {
                    sum += e[2][j] * pr[m] - e[3][j] * pi[m];
                    double r = pr[m] * e[0][j] - pi[m] * e[1][j];
                    pi[m] = pr[m] * e[1][j] + pi[m] * e[0][j];
                    pr[m] = r;
                }
                k[l * hh + h] = (float) (2 * sum);
            }
        }
        return k;
    }

    /**
     * dC' = 2 sum_l dK_l conj(E^l), dE = 2 sum_{l >= 1} l dK_l conj(C' E^(l-1)), per channel and mode
     * ([H, M] in and out, mode by mode inside as in {@link #taps}).
     */
    static void tapGrads(ModalScanRecurrent.Dims d, double[] dTaps, double[] er, double[] ei, double[] cr,
                         double[] ci, double[] der, double[] dei, double[] dcr, double[] dci) {
        int hh = d.channels(), mm = d.modes(), n = d.steps(), hm = hh * mm;
        double[][] e = {Loops.transposed(er, hh, mm), Loops.transposed(ei, hh, mm), Loops.transposed(cr, hh, mm),
            Loops.transposed(ci, hh, mm)};
        double[][] g = {new double[hm], new double[hm], new double[hm], new double[hm]}; // dEr, dEi, dCr, dCi
        int h0 = Simd.on() ? ModalConvFloatVector.tapGrads(dTaps, e, g, n, hh, mm) : 0;
        for (int m = 0; m < mm; m++) {
            for (int h = h0, j = m * hh + h0; h < hh; h++, j++) {
                double r0 = e[0][j], i0 = e[1][j], c0 = e[2][j], c1 = e[3][j];
                double pr = 1, pi = 0, gEr = 0, gEi = 0, gCr = 0, gCi = 0;
                for (int l = 0; l < n; l++) {
                    double gl = 2 * dTaps[l * hh + h];
                    if (l > 0) { // P = E^(l-1) here
                        gEr += l * gl * (c0 * pr - c1 * pi);
                        gEi -= l * gl * (c0 * pi + c1 * pr);
                        double r = pr * r0 - pi * i0;
                        pi = pr * i0 + pi * r0;
                        pr = r;
                    }
                    gCr += gl * pr;
                    gCi -= gl * pi;
                }
                g[0][j] = gEr;
                g[1][j] = gEi;
                g[2][j] = gCr;
                g[3][j] = gCi;
            }
        }
        Loops.transpose(g[0], 0, mm, hh, der, 0);
        Loops.transpose(g[1], 0, mm, hh, dei, 0);
        Loops.transpose(g[2], 0, mm, hh, dcr, 0);
        Loops.transpose(g[3], 0, mm, hh, dci, 0);
    }

    /** out_t = sum_{l <= t} a_l b_{t-l} per channel, for t < n; a, b, out [n, H] from their offsets. */
    static void convolve(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n, int hh) {
        int h0 = Simd.on() ? ModalConvFloatVector.convolve(a, ao, b, bo, out, oo, n, hh) : 0;
        for (int t = 0; t < n; t++) {
            for (int h = h0; h < hh; h++) {
                float acc = 0;
                for (int l = 0; l <= t; l++) {
                    acc = Math.fma(a[ao + l * hh + h], b[bo + (t - l) * hh + h], acc);
                }
                out[oo + t * hh + h] = acc;
            }
        }
    }

    /** out_s = sum_{i < n - s} a_i b_{s+i} per channel, for s < n; a, b, out [n, H] from their offsets. */
    static void correlate(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n, int hh) {
        int h0 = Simd.on() ? ModalConvFloatVector.correlate(a, ao, b, bo, out, oo, n, hh) : 0;
        for (int s = 0; s < n; s++) {
            for (int h = h0; h < hh; h++) {
                float acc = 0;
                for (int i = 0; i < n - s; i++) {
                    acc = Math.fma(a[ao + i * hh + h], b[bo + (s + i) * hh + h], acc);
                }
                out[oo + s * hh + h] = acc;
            }
        }
    }
}
