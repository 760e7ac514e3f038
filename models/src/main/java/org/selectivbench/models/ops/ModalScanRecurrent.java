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
 * by mode ([M, H]), so that {@link ModalScanVector} takes a channel per lane.
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
        int st = d.state(), chunks = d.chunks(), hh = d.channels(), mm = d.modes(), rows = d.steps() * hh;
        double[] ert = Loops.transposed(er, hh, mm), eit = Loops.transposed(ei, hh, mm);
        double[] crt = Loops.transposed(cr, hh, mm), cit = Loops.transposed(ci, hh, mm);
        double[] ckpt = keep ? new double[d.batch() * chunks * st] : null;
        int whole = Simd.on() ? ModalScanVector.whole(hh) : 0;
        Saved sv = new Saved(d, u, ert, eit, crt, cit, ckpt);
        Parallel.forRange(d.batch(), (from, to) -> {
            double[] z0 = new double[st], z1 = new double[st];
            double[] spare = keep ? null : new double[chunks * st]; // checkpoints nobody keeps
            for (int b = from; b < to; b++) {
                if (start != null) {
                    swap(start, b * st, hh, mm, z0, 0);
                }
                java.util.Arrays.fill(y, b * rows, (b + 1) * rows, 0);
                double[] ck = keep ? ckpt : spare;
                int co = keep ? b * chunks * st : 0;
                for (int h = 0; h < whole; h += ModalScanVector.LANES) {
                    int m = 0;
                    for (; m + 1 < mm; m += 2) {
                        ModalScanVector.forwardModePair(sv, b, h, m, z0, y, z1, ck, co);
                    }
                    if (m < mm) {
                        ModalScanVector.forwardModes(sv, b, h, m, z0, y, z1, ck, co);
                    }
                }
                for (int h = whole; h < hh; h++) {
                    for (int m = 0; m < mm; m++) {
                        forwardMode(sv, b, h, m, z0, y, z1, ck, co);
                    }
                }
                for (int i = b * rows; i < (b + 1) * rows; i++) {
                    y[i] = 2 * y[i];
                }
                if (end != null) {
                    swap(z1, 0, mm, hh, end, b * st);
                }
            }
        });
        return keep ? sv : null;
    }

    /**
     * Mode m of channel h of batch row b through time: z = E z + u from z0's entry into z1's, checkpoints
     * into ck from co on, and C' z added into y (which is 2 C' z once every mode is in). Every (channel,
     * mode) pair is a recurrence of its own, so a pair runs through all its steps with its state in
     * registers; the sums over modes (y, and du backward) take the modes in order at every step.
     */
    private static void forwardMode(Saved sv, int b, int h, int m, double[] z0, double[] y, double[] z1, double[] ck,
                                    int co) {
        Dims d = sv.dims();
        int hh = d.channels(), im = hh * d.modes(), st = d.state(), i = m * hh + h;
        double r = sv.er()[i], q = sv.ei()[i], c = sv.cr()[i], ic = sv.ci()[i], zr = z0[i], zi = z0[im + i];
        for (int k = 0; k < d.chunks(); k++) {
            ck[co + k * st + i] = zr;
            ck[co + k * st + im + i] = zi;
            for (int t = k * CHUNK, row = b * d.steps() + t; t < Math.min(d.steps(), (k + 1) * CHUNK); t++, row++) {
                double nr = r * zr - q * zi + sv.u()[row * hh + h], ni = r * zi + q * zr;
                zr = nr;
                zi = ni;
                y[row * hh + h] += c * zr - ic * zi;
            }
        }
        z1[i] = zr;
        z1[im + i] = zi;
    }

    /** Gradients from dY (and dEnd, or null): du [B*T, H]; dE and dC' [H, M] parts, summed over the batch. */
    public static void backward(Saved sv, double[] dY, double[] dEnd, double[] du, double[] der, double[] dei,
                                double[] dcr, double[] dci, double[] dStart) {
        Dims d = sv.dims();
        int st = d.state(), hh = d.channels(), mm = d.modes(), im = hh * mm, rows = d.steps() * hh;
        double[] parts = new double[d.batch() * 4 * im]; // per batch row: dEr, dEi, dCr, dCi
        int whole = Simd.on() ? ModalScanVector.whole(hh) : 0;
        Parallel.forRange(d.batch(), (from, to) -> {
            double[] dz0 = new double[st], dz1 = new double[st];
            double[] zs = new double[4 * (CHUNK + 1) * (Simd.on() ? ModalScanVector.LANES : 1)]; // two modes' states
            for (int b = from; b < to; b++) {
                if (dEnd != null) {
                    swap(dEnd, b * st, hh, mm, dz0, 0);
                }
                java.util.Arrays.fill(du, b * rows, (b + 1) * rows, 0);
                for (int h = 0; h < whole; h += ModalScanVector.LANES) {
                    int m = 0;
                    for (; m + 1 < mm; m += 2) {
                        ModalScanVector.backwardModePair(sv, b, h, m, dY, dz0, du, parts, b * 4 * im, dz1, zs);
                    }
                    if (m < mm) {
                        ModalScanVector.backwardModes(sv, b, h, m, dY, dz0, du, parts, b * 4 * im, dz1, zs);
                    }
                }
                for (int h = whole; h < hh; h++) {
                    for (int m = 0; m < mm; m++) {
                        backwardMode(sv, b, h, m, dY, dz0, du, parts, b * 4 * im, dz1, zs);
                    }
                }
                if (dStart != null) {
                    swap(dz1, 0, mm, hh, dStart, b * st);
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
     * Mode m of channel h of batch row b back through time, a chunk at a time (its states recomputed from
     * the chunk's checkpoint into zs): its parameter gradients into parts from p on (dEr, dEi, dCr, dCi),
     * its term of du (modes in order), and dz from dz0's entry (dL/dz_T) to dz1's (dL/dz_0).
     */
    private static void backwardMode(Saved sv, int b, int h, int m, double[] dY, double[] dz0, double[] du,
                                     double[] parts, int p, double[] dz1, double[] zs) {
        Dims d = sv.dims();
        int hh = d.channels(), im = hh * d.modes(), st = d.state(), i = m * hh + h;
        double r = sv.er()[i], q = sv.ei()[i], c = sv.cr()[i], ic = sv.ci()[i];
        double gzr = dz0[i], gzi = dz0[im + i], p0 = 0, p1 = 0, p2 = 0, p3 = 0;
        for (int k = d.chunks() - 1; k >= 0; k--) {
            int t0 = k * CHUNK, t1 = Math.min(d.steps(), t0 + CHUNK), base = b * d.steps();
            double zr = sv.checkpoints()[(b * d.chunks() + k) * st + i];
            double zi = sv.checkpoints()[(b * d.chunks() + k) * st + im + i];
            zs[0] = zr;
            zs[1] = zi;
            for (int t = t0; t < t1; t++) {
                double nr = r * zr - q * zi + sv.u()[(base + t) * hh + h], ni = r * zi + q * zr;
                zr = nr;
                zi = ni;
                zs[2 * (t - t0 + 1)] = zr;
                zs[2 * (t - t0 + 1) + 1] = zi;
            }
            for (int t = t1 - 1; t >= t0; t--) {
                int o = (base + t) * hh + h, s = 2 * (t - t0);
                double dy = 2 * dY[o], nr = zs[s + 2], ni = zs[s + 3], pr = zs[s], pi = zs[s + 1];
                p2 += dy * nr;
                p3 -= dy * ni;
                double gr = gzr + dy * c, gi = gzi - dy * ic;
                du[o] += gr;
                p0 += gr * pr + gi * pi;
                p1 += gi * pr - gr * pi;
                gzr = r * gr + q * gi;
                gzi = r * gi - q * gr;
            }
        }
        parts[p + i] = p0;
        parts[p + im + i] = p1;
        parts[p + 2 * im + i] = p2;
        parts[p + 3 * im + i] = p3;
        dz1[i] = gzr;
        dz1[im + i] = gzi;
    }

    /** Transposes the real and the imaginary [rows, cols] block of a from ao into out from oo. */
    private static void swap(double[] a, int ao, int rows, int cols, double[] out, int oo) {
        Loops.transpose(a, ao, rows, cols, out, oo);
        Loops.transpose(a, ao + rows * cols, rows, cols, out, oo + rows * cols);
    }
}
