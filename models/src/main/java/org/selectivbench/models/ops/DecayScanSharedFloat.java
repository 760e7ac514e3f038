package org.selectivbench.models.ops;

import org.selectivbench.models.ops.DecayScanRecurrent.Dims;

/**
 * {@link DecayScanRecurrent}'s shared-key recurrence (Mamba2's SSD: q and k shared by the heads, one
 * decay per head or none) in single precision: the same layouts, checkpoints and order of operations on
 * float arrays, with exp(a) from {@link Exp#expf}. Float32 models train through it (its vector form,
 * {@link DecayScanSharedFloatVector}, holds twice the lanes; {@link DecayScanSharedFloatBlocks} takes its
 * backward steps a block of state columns at a time); float64 runs and the 1e-9 comparisons take
 * the double kernel. Its sums over state columns (dq, dk) take {@link #stripedDot}'s sixteen stripes,
 * so that 16 and 8 float lanes keep the scalar form's order.
 */
final class DecayScanSharedFloat {
    static final int CHUNK = DecayScanRecurrent.CHUNK;

    private DecayScanSharedFloat() {
    }

    /** What the backward pass needs: the inputs, exp(a) (null without a decay), the state every chunk. */
    record Saved(Dims dims, float[] q, float[] k, float[] v, float[] alpha, float[] checkpoints) {
    }

    /** The state after the last step into {@code end} when not null; a: [B*T, H] or null. */
    static Saved forward(Dims d, float[] q, float[] k, float[] v, float[] a, float[] start, float[] o, float[] end,
                         boolean keep) {
        if (!d.sharedKeys() || d.decay() == DecayScanRecurrent.Decay.CHANNEL) {
            throw new IllegalArgumentException("the float kernel takes shared keys with a decay per head or none");
        }
        float[] alpha = null;
        if (a != null) {
            alpha = a.clone();
            Exp.expInPlace(alpha, alpha.length);
        }
        return run(d, q, k, v, alpha, start, o, end, keep);
    }

    /** The state of row b in [K, H*V] from [H, K, V] (start/end state layout) or back. */
    private static void toRow(float[] hkv, int base, float[] row, Dims d) {
        int hh = d.heads(), kd = d.k(), vd = d.v();
        for (int h = 0; h < hh; h++) {
            for (int x = 0; x < kd; x++) {
                System.arraycopy(hkv, base + (h * kd + x) * vd, row, x * hh * vd + h * vd, vd);
            }
        }
    }

    private static void fromRow(float[] row, float[] hkv, int base, Dims d) {
        int hh = d.heads(), kd = d.k(), vd = d.v();
        for (int h = 0; h < hh; h++) {
            for (int x = 0; x < kd; x++) {
                System.arraycopy(row, x * hh * vd + h * vd, hkv, base + (h * kd + x) * vd, vd);
            }
        }
    }

    /** exp(a) per head, repeated over the head's V entries. */
    private static void decays(Dims d, float[] alpha, int row, float[] out) {
        int hh = d.heads(), vd = d.v();
        for (int h = 0; h < hh; h++) {
            java.util.Arrays.fill(out, h * vd, (h + 1) * vd, alpha[row * hh + h]);
        }
    }

    /** S = alpha S + k v^T over [K, H*V]; with o, also o = S^T q. */
    private static void step(Dims d, int row, float[] q, float[] k, float[] v, float[] alv, float[] s,
                             float[] o) {
        int kd = d.k(), w = d.heads() * d.v(), vo = row * w;
        if (Simd.on()) {
            DecayScanSharedFloatVector.step(kd, w, row, q, k, v, alv, s, o);
            return;
        }
        if (o != null) {
            java.util.Arrays.fill(o, vo, vo + w, 0);
        }
        for (int x = 0; x < kd; x++) {
            float kx = k[row * kd + x];
            int so = x * w;
            if (o == null) {
                for (int j = 0; j < w; j++) {
                    s[so + j] = alv[j] * s[so + j] + kx * v[vo + j];
                }
            } else {
                float qx = q[row * kd + x];
                for (int j = 0; j < w; j++) {
                    float sv = alv[j] * s[so + j] + kx * v[vo + j];
                    s[so + j] = sv;
                    o[vo + j] += sv * qx;
                }
            }
        }
    }

    private static Saved run(Dims d, float[] q, float[] k, float[] v, float[] alpha, float[] start, float[] o,
                         float[] end, boolean keep) {
        int st = d.heads() * d.state(), w = d.heads() * d.v();
        float[] ckpt = keep ? Arena.floats(d.batch() * d.chunks() * st) : null;
        Parallel.forRange(d.batch(), (from, to) -> {
            float[] s = Arena.floats(st);
            float[] alv = Arena.floats(w), alv1 = Arena.floats(w);
            java.util.Arrays.fill(alv, 1);
            java.util.Arrays.fill(alv1, 1);
            for (int b = from; b < to; b++) {
                if (start != null) {
                    toRow(start, b * st, s, d);
                } else {
                    java.util.Arrays.fill(s, 0);
                }
                for (int t = 0; t < d.steps(); t++) {
                    int row = b * d.steps() + t;
                    if (ckpt != null && t % CHUNK == 0) {
                        System.arraycopy(s, 0, ckpt, (b * d.chunks() + t / CHUNK) * st, st);
                    }
                    if (alpha != null) {
                        decays(d, alpha, row, alv);
                    }
                    // two steps per pass over the state where no checkpoint falls between them
                    if (Simd.on() && o != null && t + 1 < d.steps() && (t + 1) % CHUNK != 0) {
                        if (alpha != null) {
                            decays(d, alpha, row + 1, alv1);
                        }
                        DecayScanSharedFloatVector.twoSteps(d.k(), w, row, q, k, v, alv, alv1, s, o);
                        t++;
                        continue;
                    }
                    step(d, row, q, k, v, alv, s, o);
                }
                if (end != null) {
                    fromRow(s, end, b * st, d);
                }
            }
        });
        return keep ? new Saved(d, q, k, v, alpha, ckpt) : null;
    }

    static void backward(Saved sv, float[] dO, float[] dEnd, float[] dq, float[] dk, float[] dv, float[] da,
                         float[] dStart) {
        Dims d = sv.dims();
        int kd = d.k(), vd = d.v(), hh = d.heads(), w = hh * vd, st = hh * d.state();
        float[] q = sv.q(), k = sv.k(), v = sv.v(), alpha = sv.alpha();
        Parallel.forRange(d.batch(), (from, to) -> {
            float[][] states = new float[CHUNK + 1][st];
            float[][] alvs = new float[CHUNK][w];
            float[] ds = Arena.floats(st);
            float[] gs = Simd.on() ? Arena.floats(st) : null; // the vector forms' scratch: dS, or stripes [K, 32]
            float[] dav = Arena.floats(w);
            float[] gRow = Arena.floats(w);
            float[] stripes = Arena.floats(16);
            float[] ones = Arena.floats(w);
            java.util.Arrays.fill(ones, 1);
            for (int b = from; b < to; b++) {
                if (dEnd != null) {
                    toRow(dEnd, b * st, ds, d);
                } else {
                    java.util.Arrays.fill(ds, 0);
                }
                for (int c = d.chunks() - 1; c >= 0; c--) {
                    int t0 = c * CHUNK, t1 = Math.min(d.steps(), t0 + CHUNK);
                    System.arraycopy(sv.checkpoints(), (b * d.chunks() + c) * st, states[0], 0, st);
                    for (int t = t0; t < t1; t++) {
                        int row = b * d.steps() + t;
                        float[] alv = alpha == null ? ones : alvs[t - t0];
                        if (alpha != null) {
                            decays(d, alpha, row, alv);
                        }
                        if (gs != null && t + 1 < t1) { // two steps per pass, each into its own array
                            float[] alv1 = alpha == null ? ones : alvs[t + 1 - t0];
                            if (alpha != null) {
                                decays(d, alpha, row + 1, alv1);
                            }
                            DecayScanSharedFloatVector.stepsInto(kd, w, row, k, v, alv, alv1, states[t - t0],
                                    states[t - t0 + 1], states[t - t0 + 2]);
                            t++;
                            continue;
                        }
                        System.arraycopy(states[t - t0], 0, states[t - t0 + 1], 0, st);
                        step(d, row, q, k, v, alv, states[t - t0 + 1], null);
                    }
                    for (int t = t1 - 1; t >= t0; t--) {
                        int row = b * d.steps() + t, vo = row * w;
                        float[] prev = states[t - t0], now = states[t - t0 + 1];
                        float[] alv = alpha == null ? ones : alvs[t - t0];
                        if (gs != null && DecayScanSharedFloatBlocks.blocks(w)) {
                            DecayScanSharedFloatBlocks.backwardBlocks(kd, w, row, q, k, v, dO, prev, now, alv, ds, gs,
                                    dq, dk, dv, dav);
                        } else if (gs != null) {
                            DecayScanSharedFloatVector.backwardRow(kd, w, row, q, k, v, dO, prev, now, alv, ds, gs, dq,
                                    dk, dv, dav);
                        } else {
                            java.util.Arrays.fill(dv, vo, vo + w, 0);
                            java.util.Arrays.fill(dav, 0);
                        }
                        for (int x = 0; gs == null && x < kd; x++) {
                            int so = x * w;
                            float qx = q[row * kd + x], kx = k[row * kd + x];
                            for (int j = 0; j < w; j++) {
                                float g = ds[so + j] + qx * dO[vo + j]; // dL/dS_t, the readout included
                                gRow[j] = g;
                                dv[vo + j] += g * kx;
                                dav[j] += g * prev[so + j];
                                ds[so + j] = g * alv[j];
                            }
                            dq[row * kd + x] = stripedDot(now, so, dO, vo, w, stripes);
                            dk[row * kd + x] = stripedDot(gRow, 0, v, vo, w, stripes);
                        }
                        if (alpha != null) {
                            for (int h = 0; h < hh; h++) {
                                float acc = 0;
                                for (int y = 0; y < vd; y++) {
                                    acc += dav[h * vd + y];
                                }
                                da[row * hh + h] = acc * alv[h * vd];
                            }
                        }
                    }
                }
                if (dStart != null) {
                    fromRow(ds, dStart, b * st, d);
                }
            }
        });
    }

    /**
     * sum of a[ao + i] b[bo + i] for i in [0, n), in the order the vector forms keep with 16 or 8 lanes:
     * sixteen stripes (i mod 16) over the first n - n % 16 entries, combined pairwise, then the rest in order;
     * p is scratch for the stripes (16 entries).
     */
    static float stripedDot(float[] a, int ao, float[] b, int bo, int n, float[] p) {
        java.util.Arrays.fill(p, 0, 16, 0);
        int n16 = n - n % 16;
        for (int i = 0; i < n16; i += 16) {
            for (int l = 0; l < 16; l++) {
                p[l] += a[ao + i + l] * b[bo + i + l];
            }
        }
        float sum = combine16(p);
        for (int i = n16; i < n; i++) {
            sum += a[ao + i] * b[bo + i];
        }
        return sum;
    }

    /** The sixteen stripes p[0..16) summed pairwise: ((p0 + p1) + (p2 + p3)) + ... */
    static float combine16(float[] p) {
        return combine16(p, 0);
    }

    /** p[o, o + 16) summed pairwise, as {@link #combine16(float[])}. */
    static float combine16(float[] p, int o) {
        float lo = ((p[o] + p[o + 1]) + (p[o + 2] + p[o + 3])) + ((p[o + 4] + p[o + 5]) + (p[o + 6] + p[o + 7]));
        float hi = ((p[o + 8] + p[o + 9]) + (p[o + 10] + p[o + 11]))
                + ((p[o + 12] + p[o + 13]) + (p[o + 14] + p[o + 15]));
        return lo + hi;
    }
}
