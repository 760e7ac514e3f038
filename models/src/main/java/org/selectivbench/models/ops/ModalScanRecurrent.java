package org.selectivbench.models.ops;

/**
 * S4D's diagonal SSM as a recurrence over its complex modes, step by step (the CPU kernel). Per batch
 * row b, channel h and mode m (E and C' fixed in time):
 * <pre>
 *   z_t = E z_{t-1} + u_t[h]              (complex)
 *   y_t[h] = 2 Re(sum_m C'_m z_t[m])
 * </pre>
 * This is the causal convolution with kernel K[h, l] = 2 Re(sum_m C'_m E^l) of S4D (E = exp(dt A),
 * C' = C (E - 1) / A); the layer turns S4D's parameters into E and C'. Backward recomputes the states
 * chunk by chunk from checkpoints every {@link #CHUNK} steps.
 *
 * <p>Layouts, rows ordered (b, t): u, y [B*T, H]; E and C' as real and imaginary parts [H, M] each;
 * states [B, 2, H, M] (real parts, then imaginary parts). Inside, parameters and states are held mode
 * by mode ([M, H]), so that every sum over modes is one channel per lane in {@link ModalScanVector}.
 */
public final class ModalScanRecurrent {
    static final int CHUNK = 64;

    private ModalScanRecurrent() {
    }

    public record Dims(int batch, int steps, int channels, int modes) {
        int chunks() {
            return (steps + CHUNK - 1) / CHUNK;
        }

        int state() {
            return 2 * channels * modes;
        }
    }

    /** er, ei, cr, ci mode-major [M, H]; checkpoints [B, chunks, 2, M, H]. */
    public record Saved(Dims dims, double[] u, double[] er, double[] ei, double[] cr, double[] ci, double[] checkpoints) {
    }

    public static Saved forward(Dims d, double[] u, double[] er, double[] ei, double[] cr, double[] ci, double[] start,
                                double[] y, double[] end, boolean keep) {
        int st = d.state(), chunks = d.chunks(), hh = d.channels(), mm = d.modes();
        double[] ert = Loops.transposed(er, hh, mm), eit = Loops.transposed(ei, hh, mm);
        double[] crt = Loops.transposed(cr, hh, mm), cit = Loops.transposed(ci, hh, mm);
        double[] ckpt = keep ? new double[d.batch() * chunks * st] : null;
        Parallel.forRange(d.batch(), (from, to) -> {
            double[] z = new double[st];
            for (int b = from; b < to; b++) {
                if (start != null) {
                    swap(start, b * st, hh, mm, z, 0);
                } else {
                    java.util.Arrays.fill(z, 0);
                }
                for (int t = 0; t < d.steps(); t++) {
                    if (ckpt != null && t % CHUNK == 0) {
                        System.arraycopy(z, 0, ckpt, (b * chunks + t / CHUNK) * st, st);
                    }
                    int row = b * d.steps() + t;
                    if (Simd.on()) {
                        ModalScanVector.stepAndReadout(hh, mm, row, u, ert, eit, crt, cit, z, y);
                    } else {
                        step(hh, mm, 0, row, u, ert, eit, z, z);
                        readout(hh, mm, 0, row, crt, cit, z, y);
                    }
                }
                if (end != null) {
                    swap(z, 0, mm, hh, end, b * st);
                }
            }
        });
        return keep ? new Saved(d, u, ert, eit, crt, cit, ckpt) : null;
    }

    /** next = E prev + u (next may be prev), for the channels from h0 on. */
    static void step(int hh, int mm, int h0, int row, double[] u, double[] er, double[] ei, double[] prev, double[] next) {
        int im = hh * mm;
        for (int m = 0; m < mm; m++) {
            for (int h = h0; h < hh; h++) {
                int i = m * hh + h;
                double zr = prev[i], zi = prev[im + i];
                next[i] = er[i] * zr - ei[i] * zi + u[row * hh + h];
                next[im + i] = er[i] * zi + ei[i] * zr;
            }
        }
    }

    static void readout(int hh, int mm, int h0, int row, double[] cr, double[] ci, double[] z, double[] y) {
        int im = hh * mm;
        for (int h = h0; h < hh; h++) {
            double acc = 0;
            for (int m = 0; m < mm; m++) {
                int i = m * hh + h;
                acc += cr[i] * z[i] - ci[i] * z[im + i];
            }
            y[row * hh + h] = 2 * acc;
        }
    }

    /** Gradients from dY (and dEnd, or null): du [B*T, H]; dE and dC' [H, M] parts, summed over the batch. */
    public static void backward(Saved sv, double[] dY, double[] dEnd, double[] du, double[] der, double[] dei,
                                double[] dcr, double[] dci, double[] dStart) {
        Dims d = sv.dims();
        int st = d.state(), chunks = d.chunks(), hh = d.channels(), mm = d.modes(), im = hh * mm, t = d.steps();
        double[] parts = new double[d.batch() * 4 * im]; // per batch row: dEr, dEi, dCr, dCi
        Parallel.forRange(d.batch(), (from, to) -> {
            double[][] zs = new double[CHUNK + 1][st];
            double[] dz = new double[st];
            for (int b = from; b < to; b++) {
                int p = b * 4 * im;
                if (dEnd != null) {
                    swap(dEnd, b * st, hh, mm, dz, 0);
                } else {
                    java.util.Arrays.fill(dz, 0);
                }
                for (int k = chunks - 1; k >= 0; k--) {
                    int t0 = k * CHUNK, t1 = Math.min(t, t0 + CHUNK);
                    System.arraycopy(sv.checkpoints(), (b * chunks + k) * st, zs[0], 0, st);
                    for (int s = t0; s < t1; s++) {
                        if (Simd.on()) {
                            ModalScanVector.step(hh, mm, b * t + s, sv.u(), sv.er(), sv.ei(), zs[s - t0], zs[s - t0 + 1]);
                        } else {
                            step(hh, mm, 0, b * t + s, sv.u(), sv.er(), sv.ei(), zs[s - t0], zs[s - t0 + 1]);
                        }
                    }
                    for (int s = t1 - 1; s >= t0; s--) {
                        if (Simd.on()) {
                            ModalScanVector.backwardRow(hh, mm, b * t + s, sv, dY, zs[s - t0], zs[s - t0 + 1], dz, parts, p, du);
                        } else {
                            backwardRow(hh, mm, 0, b * t + s, sv, dY, zs[s - t0], zs[s - t0 + 1], dz, parts, p, du);
                        }
                    }
                }
                if (dStart != null) {
                    swap(dz, 0, mm, hh, dStart, b * st);
                }
            }
        });
        double[][] outs = {der, dei, dcr, dci};
        double[] sum = new double[im];
        for (int j = 0; j < 4; j++) {
            java.util.Arrays.fill(sum, 0);
            for (int b = 0; b < d.batch(); b++) {
                for (int i = 0; i < im; i++) {
                    sum[i] += parts[b * 4 * im + j * im + i];
                }
            }
            Loops.transpose(sum, 0, mm, hh, outs[j], 0);
        }
    }

    /**
     * One step back for the channels from h0 on: the parameter gradients into parts, du for the row, dz
     * from z_t's to z_{t-1}'s.
     */
    static void backwardRow(int hh, int mm, int h0, int row, Saved sv, double[] dY, double[] prev, double[] now,
                            double[] dz, double[] parts, int p, double[] du) {
        int im = hh * mm;
        for (int h = h0; h < hh; h++) {
            double dy = 2 * dY[row * hh + h], duv = 0;
            for (int m = 0; m < mm; m++) {
                int i = m * hh + h;
                parts[p + 2 * im + i] += dy * now[i];
                parts[p + 3 * im + i] -= dy * now[im + i];
                double gr = dz[i] + dy * sv.cr()[i], gi = dz[im + i] - dy * sv.ci()[i];
                duv += gr;
                parts[p + i] += gr * prev[i] + gi * prev[im + i];
                parts[p + im + i] += gi * prev[i] - gr * prev[im + i];
                dz[i] = sv.er()[i] * gr + sv.ei()[i] * gi;
                dz[im + i] = sv.er()[i] * gi - sv.ei()[i] * gr;
            }
            du[row * hh + h] = duv;
        }
    }

    /** Transposes the real and the imaginary [rows, cols] block of a from ao into out from oo. */
    private static void swap(double[] a, int ao, int rows, int cols, double[] out, int oo) {
        Loops.transpose(a, ao, rows, cols, out, oo);
        Loops.transpose(a, ao + rows * cols, rows, cols, out, oo + rows * cols);
    }
}
