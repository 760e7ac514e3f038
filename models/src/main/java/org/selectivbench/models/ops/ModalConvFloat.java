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
    /** The convolution runs while T <= this many steps per mode (measured: docs/models.md). */
    static final int STEPS_PER_MODE = 8;

    private ModalConvFloat() {
    }

    /** Whether the convolution is the cheaper form for these dimensions. */
    public static boolean pays(ModalScanRecurrent.Dims d) {
        return d.steps() <= (long) STEPS_PER_MODE * d.modes();
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
        float[] parts = new float[d.batch() * rows]; // dK per batch row
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

    /** K [T, H] = 2 Re(sum_m C'_m E_m^l), powers by repeated products, in double, rounded once. */
    static float[] taps(ModalScanRecurrent.Dims d, double[] er, double[] ei, double[] cr, double[] ci) {
        int hh = d.channels(), mm = d.modes(), n = d.steps();
        float[] k = new float[n * hh];
        double[] pr = new double[mm], pi = new double[mm];
        for (int h = 0; h < hh; h++) {
            java.util.Arrays.fill(pr, 1);
            java.util.Arrays.fill(pi, 0);
            int o = h * mm;
            for (int l = 0; l < n; l++) {
                double sum = 0;
                for (int m = 0; m < mm; m++) {
                    sum += cr[o + m] * pr[m] - ci[o + m] * pi[m];
                    double r = pr[m] * er[o + m] - pi[m] * ei[o + m];
                    pi[m] = pr[m] * ei[o + m] + pi[m] * er[o + m];
                    pr[m] = r;
                }
                k[l * hh + h] = (float) (2 * sum);
            }
        }
        return k;
    }

    /** dC' = 2 sum_l dK_l conj(E^l), dE = 2 sum_{l >= 1} l dK_l conj(C' E^(l-1)), per channel and mode. */
    static void tapGrads(ModalScanRecurrent.Dims d, double[] dTaps, double[] er, double[] ei, double[] cr,
                         double[] ci, double[] der, double[] dei, double[] dcr, double[] dci) {
        int hh = d.channels(), mm = d.modes(), n = d.steps();
        for (int h = 0; h < hh; h++) {
            for (int m = 0; m < mm; m++) {
                int i = h * mm + m;
                double pr = 1, pi = 0, gEr = 0, gEi = 0, gCr = 0, gCi = 0;
                for (int l = 0; l < n; l++) {
                    double g = 2 * dTaps[l * hh + h];
                    if (l > 0) { // P = E^(l-1) here
                        gEr += l * g * (cr[i] * pr - ci[i] * pi);
                        gEi -= l * g * (cr[i] * pi + ci[i] * pr);
                        double r = pr * er[i] - pi * ei[i];
                        pi = pr * ei[i] + pi * er[i];
                        pr = r;
                    }
                    gCr += g * pr;
                    gCi -= g * pi;
                }
                der[i] = gEr;
                dei[i] = gEi;
                dcr[i] = gCr;
                dci[i] = gCi;
            }
        }
    }

    /** out_t = sum_{l <= t} a_l b_{t-l} per channel, for t < n; a, b, out [n, H] from their offsets. */
    static void convolve(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n, int hh) {
        int h0 = Simd.on() ? ModalConvFloatVector.convolve(a, ao, b, bo, out, oo, n, hh) : 0;
        for (int t = 0; t < n; t++) {
            for (int h = h0; h < hh; h++) {
                float acc = 0;
                for (int l = 0; l <= t; l++) {
                    acc += a[ao + l * hh + h] * b[bo + (t - l) * hh + h];
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
                    acc += a[ao + i * hh + h] * b[bo + (s + i) * hh + h];
                }
                out[oo + s * hh + h] = acc;
            }
        }
    }
}
