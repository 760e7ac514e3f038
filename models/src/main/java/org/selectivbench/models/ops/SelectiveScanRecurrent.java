package org.selectivbench.models.ops;

/**
 * Mamba's selective scan with its readout, step by step (the CPU kernel). Per batch row b, channel c
 * and state n:
 * <pre>
 *   h_t[c, n] = e_t[c, n] h_{t-1}[c, n] + u_t[c] B_t[n],   e = exp(dt_t[c] A[c, n])
 *   y_t[c]    = sum_n h_t[c, n] C_t[n]
 * </pre>
 * (u = dt x; A < 0). Under a forget floor f the transition is e = f + (1 - f) exp(dt A). The states
 * [B, T, di, N] are the largest arrays of a Mamba step, so they are never stored whole: backward
 * recomputes them chunk by chunk from checkpoints every {@link #CHUNK} steps.
 *
 * <p>Layouts, rows ordered (b, t): dt, u, y [B*T, di]; B, C [B*T, N]; A [di, N]; states [B, di, N].
 * B and C are shared by the channels and A by the batch, so one thread takes whole batch rows and
 * sums over them in row order. dB and dC sum over the channels in eight stripes (channel c into stripe
 * c mod 8, in channel order), combined as ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7)): the order
 * {@link Loops#stripedDot} keeps, in which a vector block of 8, 4 or 2 channels adds its terms to its
 * stripes as one vector (a sum taken lane by lane in channel order cost Mamba a ninth of its step).
 * With {@link Simd#on} whole blocks of channels run in {@link SelectiveScanVector}, the rest here.
 */
public final class SelectiveScanRecurrent {
    static final int CHUNK = 64;
    /** Stripes of the sums over channels. */
    static final int STRIPES = 8;

    private SelectiveScanRecurrent() {
    }

    public record Dims(int batch, int steps, int channels, int states, double floor) {
        int chunks() {
            return (steps + CHUNK - 1) / CHUNK;
        }
    }

    public record Saved(Dims dims, double[] dt, double[] a, double[] u, double[] bm, double[] cm, double[] checkpoints) {
    }

    public static Saved forward(Dims d, double[] dt, double[] a, double[] u, double[] bm, double[] cm, double[] start,
                                double[] y, double[] end, boolean keep) {
        int n = d.states(), di = d.channels(), chunks = d.chunks();
        double[] ckpt = keep ? new double[d.batch() * di * chunks * n] : null;
        boolean simd = Simd.on();
        int c0 = simd ? SelectiveScanVector.whole(di) : 0;
        SelectiveScanVector.Decays at = simd ? SelectiveScanVector.Decays.of(a, di, n) : null;
        Parallel.forRange(d.batch(), (from, to) -> {
            double[] h = new double[n], x = new double[n];
            SelectiveScanVector.Scratch scratch = simd ? new SelectiveScanVector.Scratch(n, false) : null;
            for (int b = from; b < to; b++) {
                for (int c = 0; c < c0; c += SelectiveScanVector.LANES) {
                    SelectiveScanVector.forwardBlock(d, b, c, dt, at, u, bm, cm, start, y, end, ckpt, scratch);
                }
                for (int c = c0; c < di; c++) {
                    int sc = (b * di + c) * n;
                    if (start != null) {
                        System.arraycopy(start, sc, h, 0, n);
                    } else {
                        java.util.Arrays.fill(h, 0);
                    }
                    for (int t = 0; t < d.steps(); t++) {
                        if (ckpt != null && t % CHUNK == 0) {
                            System.arraycopy(h, 0, ckpt, ((b * di + c) * chunks + t / CHUNK) * n, n);
                        }
                        int row = b * d.steps() + t;
                        double dtv = dt[row * di + c], uv = u[row * di + c], acc = 0;
                        int ao = c * n, bo = row * n;
                        Exp.expScaled(x, 0, a, ao, dtv, n);
                        for (int s = 0; s < n; s++) {
                            double e = d.floor() > 0 ? d.floor() + (1 - d.floor()) * x[s] : x[s];
                            h[s] = e * h[s] + uv * bm[bo + s];
                            acc += h[s] * cm[bo + s];
                        }
                        y[row * di + c] = acc;
                    }
                    if (end != null) {
                        System.arraycopy(h, 0, end, sc, n);
                    }
                }
            }
        });
        return keep ? new Saved(d, dt, a, u, bm, cm, ckpt) : null;
    }

    /**
     * Gradients from dY [B*T, di] and dEnd (or null): writes ddt, du, dB, dC (layouts as the inputs), dA
     * [di, N] (summed over the batch) and dStart when not null.
     */
    public static void backward(Saved sv, double[] dY, double[] dEnd, double[] ddt, double[] dA, double[] du,
                                double[] dB, double[] dC, double[] dStart) {
        Dims d = sv.dims();
        int n = d.states(), di = d.channels(), chunks = d.chunks(), t = d.steps();
        double f = d.floor();
        double[] dAparts = new double[d.batch() * di * n];
        boolean simd = Simd.on();
        int c0 = simd ? SelectiveScanVector.whole(di) : 0;
        SelectiveScanVector.Decays at = simd ? SelectiveScanVector.Decays.of(sv.a(), di, n) : null;
        Parallel.forRange(d.batch(), (from, to) -> {
            double[][] hs = new double[CHUNK + 1][n];
            double[][] xs = new double[CHUNK][n];
            double[] dh = new double[n];
            // one batch row's dB and dC stripes [T, N, STRIPES], zeroed again as they are combined
            double[] sb = new double[t * n * STRIPES], scm = new double[t * n * STRIPES];
            SelectiveScanVector.Scratch scratch = simd ? new SelectiveScanVector.Scratch(n, true) : null;
            for (int b = from; b < to; b++) {
                for (int c = 0; c < c0; c += SelectiveScanVector.LANES) {
                    SelectiveScanVector.backwardBlock(sv, b, c, at, dY, dEnd, ddt, dAparts, du, sb, scm, dStart,
                            scratch);
                }
                for (int c = c0; c < di; c++) {
                    int sc = (b * di + c) * n, ao = c * n;
                    if (dEnd != null) {
                        System.arraycopy(dEnd, sc, dh, 0, n);
                    } else {
                        java.util.Arrays.fill(dh, 0);
                    }
                    for (int k = chunks - 1; k >= 0; k--) {
                        int t0 = k * CHUNK, t1 = Math.min(t, t0 + CHUNK);
                        System.arraycopy(sv.checkpoints(), ((b * di + c) * chunks + k) * n, hs[0], 0, n);
                        for (int s = t0; s < t1; s++) {
                            int row = b * t + s, bo = row * n;
                            double dtv = sv.dt()[row * di + c], uv = sv.u()[row * di + c];
                            double[] prev = hs[s - t0], now = hs[s - t0 + 1], x = xs[s - t0];
                            Exp.expScaled(x, 0, sv.a(), ao, dtv, n);
                            for (int m = 0; m < n; m++) {
                                double e = f > 0 ? f + (1 - f) * x[m] : x[m];
                                now[m] = e * prev[m] + uv * sv.bm()[bo + m];
                            }
                        }
                        for (int s = t1 - 1; s >= t0; s--) {
                            int row = b * t + s, bo = row * n, so = s * n * STRIPES + (c & (STRIPES - 1));
                            double dtv = sv.dt()[row * di + c], uv = sv.u()[row * di + c], dy = dY[row * di + c];
                            double[] prev = hs[s - t0], now = hs[s - t0 + 1], x = xs[s - t0];
                            double duv = 0, ddtv = 0;
                            for (int m = 0; m < n; m++) {
                                scm[so + m * STRIPES] += dy * now[m];
                                double g = dh[m] + dy * sv.cm()[bo + m];
                                duv += g * sv.bm()[bo + m];
                                sb[so + m * STRIPES] += g * uv;
                                double dx = g * prev[m] * (f > 0 ? 1 - f : 1); // dL/d exp(dt A)
                                double am = sv.a()[ao + m];
                                ddtv += dx * x[m] * am;
                                dAparts[sc + m] += dx * x[m] * dtv;
                                dh[m] = g * (f > 0 ? f + (1 - f) * x[m] : x[m]);
                            }
                            du[row * di + c] = duv;
                            ddt[row * di + c] = ddtv;
                        }
                    }
                    if (dStart != null) {
                        System.arraycopy(dh, 0, dStart, sc, n);
                    }
                }
                combineStripes(sb, t * n, dB, b * t * n);
                combineStripes(scm, t * n, dC, b * t * n);
            }
        });
        java.util.Arrays.fill(dA, 0);
        for (int b = 0; b < d.batch(); b++) {
            for (int i = 0; i < di * n; i++) {
                dA[i] += dAparts[b * di * n + i];
            }
        }
    }

    /** out[oo + i] = the combined stripes i of p [count, STRIPES]; then p zeroed for the next batch row. */
    private static void combineStripes(double[] p, int count, double[] out, int oo) {
        for (int i = 0, o = 0; i < count; i++, o += STRIPES) {
            out[oo + i] = ((p[o] + p[o + 1]) + (p[o + 2] + p[o + 3])) + ((p[o + 4] + p[o + 5]) + (p[o + 6] + p[o + 7]));
        }
        java.util.Arrays.fill(p, 0, count * STRIPES, 0);
    }
}
