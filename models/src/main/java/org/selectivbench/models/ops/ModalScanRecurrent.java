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
 * states [B, 2, H, M] (real parts, then imaginary parts).
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

    public record Saved(Dims dims, double[] u, double[] er, double[] ei, double[] cr, double[] ci, double[] checkpoints) {
    }

    public static Saved forward(Dims d, double[] u, double[] er, double[] ei, double[] cr, double[] ci, double[] start,
                                double[] y, double[] end, boolean keep) {
        int st = d.state(), chunks = d.chunks();
        double[] ckpt = keep ? new double[d.batch() * chunks * st] : null;
        Parallel.forRange(d.batch(), (from, to) -> {
            double[] z = new double[st];
            for (int b = from; b < to; b++) {
                if (start != null) {
                    System.arraycopy(start, b * st, z, 0, st);
                } else {
                    java.util.Arrays.fill(z, 0);
                }
                for (int t = 0; t < d.steps(); t++) {
                    if (ckpt != null && t % CHUNK == 0) {
                        System.arraycopy(z, 0, ckpt, (b * chunks + t / CHUNK) * st, st);
                    }
                    step(d, b * d.steps() + t, u, er, ei, z, z);
                    readout(d, b * d.steps() + t, cr, ci, z, y);
                }
                if (end != null) {
                    System.arraycopy(z, 0, end, b * st, st);
                }
            }
        });
        return keep ? new Saved(d, u, er, ei, cr, ci, ckpt) : null;
    }

    /** next = E prev + u (next may be prev). */
    private static void step(Dims d, int row, double[] u, double[] er, double[] ei, double[] prev, double[] next) {
        int hh = d.channels(), mm = d.modes(), im = hh * mm;
        for (int h = 0; h < hh; h++) {
            double uv = u[row * hh + h];
            for (int m = 0; m < mm; m++) {
                int i = h * mm + m;
                double zr = prev[i], zi = prev[im + i];
                next[i] = er[i] * zr - ei[i] * zi + uv;
                next[im + i] = er[i] * zi + ei[i] * zr;
            }
        }
    }

    private static void readout(Dims d, int row, double[] cr, double[] ci, double[] z, double[] y) {
        int hh = d.channels(), mm = d.modes(), im = hh * mm;
        for (int h = 0; h < hh; h++) {
            double acc = 0;
            for (int m = 0; m < mm; m++) {
                int i = h * mm + m;
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
                    System.arraycopy(dEnd, b * st, dz, 0, st);
                } else {
                    java.util.Arrays.fill(dz, 0);
                }
                for (int k = chunks - 1; k >= 0; k--) {
                    int t0 = k * CHUNK, t1 = Math.min(t, t0 + CHUNK);
                    System.arraycopy(sv.checkpoints(), (b * chunks + k) * st, zs[0], 0, st);
                    for (int s = t0; s < t1; s++) {
                        step(d, b * t + s, sv.u(), sv.er(), sv.ei(), zs[s - t0], zs[s - t0 + 1]);
                    }
                    for (int s = t1 - 1; s >= t0; s--) {
                        int row = b * t + s;
                        double[] prev = zs[s - t0], now = zs[s - t0 + 1];
                        for (int h = 0; h < hh; h++) {
                            double dy = 2 * dY[row * hh + h], duv = 0;
                            for (int m = 0; m < mm; m++) {
                                int i = h * mm + m;
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
                }
                if (dStart != null) {
                    System.arraycopy(dz, 0, dStart, b * st, st);
                }
            }
        });
        double[][] outs = {der, dei, dcr, dci};
        for (int j = 0; j < 4; j++) {
            java.util.Arrays.fill(outs[j], 0);
            for (int b = 0; b < d.batch(); b++) {
                for (int i = 0; i < im; i++) {
                    outs[j][i] += parts[b * 4 * im + j * im + i];
                }
            }
        }
    }
}
