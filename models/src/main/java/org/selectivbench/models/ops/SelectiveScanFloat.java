package org.selectivbench.models.ops;

/**
 * {@link SelectiveScanRecurrent} in single precision: the same recurrence, layouts, checkpoints and
 * order of operations, on float arrays with {@link Exp#expf}. Float32 models train through it (its
 * vector form holds twice the lanes and its exponential is five multiply-adds shorter); float64 runs
 * and the 1e-9 comparisons take the double kernel. dB and dC sum over channels in {@link #STRIPES}
 * stripes, so that a block of 16, 8 or 4 float lanes adds its terms as one vector. With
 * {@link Simd#on} whole blocks of channels run in {@link SelectiveScanFloatVector}, the rest here.
 */
public final class SelectiveScanFloat {
    static final int CHUNK = SelectiveScanRecurrent.CHUNK;
    /** Stripes of the sums over channels. */
    static final int STRIPES = 16;

    private SelectiveScanFloat() {
    }

    public record Saved(SelectiveScanRecurrent.Dims dims, float[] dt, float[] a, float[] u, float[] bm, float[] cm,
                        float[] checkpoints) {
    }

    public static Saved forward(SelectiveScanRecurrent.Dims d, float[] dt, float[] a, float[] u, float[] bm, float[] cm,
                                float[] start, float[] y, float[] end, boolean keep) {
        int n = d.states(), di = d.channels(), chunks = d.chunks();
        float f = (float) d.floor();
        float[] ckpt = keep ? Arena.floats(d.batch() * di * chunks * n) : null;
        boolean simd = Simd.on();
        int c0 = simd ? SelectiveScanFloatVector.whole(di) : 0;
        SelectiveScanFloatVector.Decays at = simd ? SelectiveScanFloatVector.Decays.of(a, di, n) : null;
        Parallel.forRange(d.batch(), (from, to) -> {
            float[] h = Arena.floats(n), x = Arena.floats(n);
            SelectiveScanFloatVector.Scratch scratch = simd ? new SelectiveScanFloatVector.Scratch(n, false) : null;
            for (int b = from; b < to; b++) {
                for (int c = 0; c < c0; c += SelectiveScanFloatVector.LANES) {
                    SelectiveScanFloatVector.forwardBlock(d, b, c, dt, at, u, bm, cm, start, y, end, ckpt, scratch);
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
                        float dtv = dt[row * di + c], uv = u[row * di + c], acc = 0;
                        int ao = c * n, bo = row * n;
                        expScaled(x, 0, a, ao, dtv, n);
                        for (int s = 0; s < n; s++) {
                            float e = f > 0 ? f + (1 - f) * x[s] : x[s];
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
    public static void backward(Saved sv, float[] dY, float[] dEnd, float[] ddt, float[] dA, float[] du,
                                float[] dB, float[] dC, float[] dStart) {
        SelectiveScanRecurrent.Dims d = sv.dims();
        int n = d.states(), di = d.channels(), chunks = d.chunks(), t = d.steps();
        float f = (float) d.floor();
        float[] dAparts = Arena.floats(d.batch() * di * n);
        boolean simd = Simd.on();
        int c0 = simd ? SelectiveScanFloatVector.whole(di) : 0;
        SelectiveScanFloatVector.Decays at = simd ? SelectiveScanFloatVector.Decays.of(sv.a(), di, n) : null;
        Parallel.forRange(d.batch(), (from, to) -> {
            float[][] hs = new float[CHUNK + 1][n];
            float[][] xs = new float[CHUNK][n];
            float[] dh = Arena.floats(n);
            // one batch row's dB and dC stripes [T, N, STRIPES], zeroed again as they are combined
            float[] sb = Arena.floats(t * n * STRIPES), scm = Arena.floats(t * n * STRIPES);
            SelectiveScanFloatVector.Scratch scratch = simd ? new SelectiveScanFloatVector.Scratch(n, true) : null;
            for (int b = from; b < to; b++) {
                for (int c = 0; c < c0; c += SelectiveScanFloatVector.LANES) {
                    SelectiveScanFloatVector.backwardBlock(sv, b, c, at, dY, dEnd, ddt, dAparts, du, sb, scm, dStart,
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
                            float dtv = sv.dt()[row * di + c], uv = sv.u()[row * di + c];
                            float[] prev = hs[s - t0], now = hs[s - t0 + 1], x = xs[s - t0];
                            expScaled(x, 0, sv.a(), ao, dtv, n);
                            for (int m = 0; m < n; m++) {
                                float e = f > 0 ? f + (1 - f) * x[m] : x[m];
                                now[m] = e * prev[m] + uv * sv.bm()[bo + m];
                            }
                        }
                        for (int s = t1 - 1; s >= t0; s--) {
                            int row = b * t + s, bo = row * n, so = s * n * STRIPES + (c & (STRIPES - 1));
                            float dtv = sv.dt()[row * di + c], uv = sv.u()[row * di + c], dy = dY[row * di + c];
                            float[] prev = hs[s - t0], now = hs[s - t0 + 1], x = xs[s - t0];
                            float duv = 0, ddtv = 0;
                            for (int m = 0; m < n; m++) {
                                scm[so + m * STRIPES] += dy * now[m];
                                float g = dh[m] + dy * sv.cm()[bo + m];
                                duv += g * sv.bm()[bo + m];
                                sb[so + m * STRIPES] += g * uv;
                                float dx = g * prev[m] * (f > 0 ? 1 - f : 1); // dL/d exp(dt A)
                                float am = sv.a()[ao + m];
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

    /**
     * out[oo + i] = the combined stripes i of p [count, 16], pairwise; then p zeroed for the next batch row
     * (in one fill: a fill per entry was 8% of a Mamba step).
     */
    private static void combineStripes(float[] p, int count, float[] out, int oo) {
        for (int i = 0, o = 0; i < count; i++, o += STRIPES) {
            float lo = ((p[o] + p[o + 1]) + (p[o + 2] + p[o + 3])) + ((p[o + 4] + p[o + 5]) + (p[o + 6] + p[o + 7]));
            float hi = ((p[o + 8] + p[o + 9]) + (p[o + 10] + p[o + 11]))
                    + ((p[o + 12] + p[o + 13]) + (p[o + 14] + p[o + 15]));
            out[oo + i] = lo + hi;
        }
        java.util.Arrays.fill(p, 0, count * STRIPES, 0);
    }

    /** y[yo + i] = expf(s * a[ao + i]) for i in [0, n). */
    private static void expScaled(float[] y, int yo, float[] a, int ao, float s, int n) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = Exp.expf(s * a[ao + i]);
        }
    }
}
