package org.selectivbench.models.ops;

/**
 * Linear recurrences with a diagonal decay, step by step (the CPU kernel), per sequence (b, h), S [K, V]:
 * <pre>
 *   S = diag(exp(a_t)) S + k_t v_t^T,   o_t = S^T q_t
 * </pre>
 * The decay is one scalar per head (linear attention without decay, Mamba2's SSD) or one per key channel
 * (GLA). In Mamba2 the heads share q (its C) and k (its B).
 *
 * <p>Backward runs the recurrence in reverse; the states it needs are recomputed chunk by chunk from
 * checkpoints taken every {@link #CHUNK} steps.
 *
 * <p>Layouts, rows ordered (b, t): q, k [B*T, H*K] ([B*T, K] with shared keys); v, o [B*T, H*V];
 * a [B*T, H] (scalar decay), [B*T, H*K] (channel decay) or null; states [B, H, K, V].
 */
public final class DecayScanRecurrent {
    static final int CHUNK = 32;

    private DecayScanRecurrent() {
    }

    /** How the decay is laid out. */
    public enum Decay { NONE, HEAD, CHANNEL }

    public record Dims(int batch, int steps, int heads, int k, int v, Decay decay, boolean sharedKeys) {
        int chunks() {
            return (steps + CHUNK - 1) / CHUNK;
        }

        int state() {
            return k * v;
        }

        /** Offset of (row, head)'s q or k vector. */
        int keyAt(int row, int h) {
            return sharedKeys ? row * k : (row * heads + h) * k;
        }
    }

    /** What the backward pass needs: the inputs, exp(a) (null without a decay), the state every chunk. */
    public record Saved(Dims dims, double[] q, double[] k, double[] v, double[] alpha, double[] checkpoints) {
    }

    /**
     * Writes o, and the state after the last step into {@code end} when not null.
     *
     * @param start the state before the first step [B, H, K, V], or null for 0
     */
    public static Saved forward(Dims d, double[] q, double[] k, double[] v, double[] a, double[] start, double[] o,
                                double[] end, boolean keep) {
        double[] alpha = a == null ? null : exps(a);
        if (d.sharedKeys()) {
            if (d.decay() == Decay.CHANNEL) { // no model has it; the shared path decays per head
                throw new IllegalArgumentException("the Java kernel has no decay per key channel with shared keys");
            }
            return SharedKeys.forward(d, q, k, v, alpha, start, o, end, keep);
        }
        // a lane per sequence where a value row is shorter than a vector; else the lane-per-column step
        // (DecayScanVector) is as fast without the gathering (linear attention's evaluation 7.7-7.8 ms
        // against 8.5-9.3); backward takes the lanes either way
        int kv = d.state(), seqs = d.batch() * d.heads(), grouped = d.v() >= DecayScanVector.LANES ? 0 : lanes(d);
        double[] ckpt = keep ? new double[seqs * d.chunks() * kv] : null;
        if (grouped > 0) {
            Parallel.forRange(grouped / DecayScanLanes.LANES, (from, to) -> {
                DecayScanLanes.Work w = new DecayScanLanes.Work(d, false);
                for (int i = from; i < to; i++) {
                    DecayScanLanes.forward(d, i * DecayScanLanes.LANES, q, k, v, alpha, start, o, end, ckpt, w);
                }
            });
        }
        Parallel.forRange(seqs - grouped, (lo, hi) -> {
            double[] s = new double[kv];
            double[] ax = new double[d.k()];
            for (int g = grouped + lo; g < grouped + hi; g++) {
                int b = g / d.heads(), h = g % d.heads();
                if (start != null) {
                    System.arraycopy(start, g * kv, s, 0, kv);
                } else {
                    java.util.Arrays.fill(s, 0);
                }
                for (int t = 0; t < d.steps(); t++) {
                    if (ckpt != null && t % CHUNK == 0) {
                        System.arraycopy(s, 0, ckpt, (g * d.chunks() + t / CHUNK) * kv, kv);
                    }
                    step(d, b * d.steps() + t, h, k, v, alpha, s, q, o, ax);
                }
                if (end != null) {
                    System.arraycopy(s, 0, end, g * kv, kv);
                }
            }
        });
        return keep ? new Saved(d, q, k, v, alpha, ckpt) : null;
    }

    /** exp(a) for every entry, computed once for all the passes over it ({@link Exp}, one per kernel). */
    private static double[] exps(double[] a) {
        double[] alpha = a.clone();
        Exp.expInPlace(alpha, alpha.length);
        return alpha;
    }

    /** Sequences taken a group of lanes at a time ({@link DecayScanLanes}); the rest one by one. */
    private static int lanes(Dims d) {
        return Simd.on() ? DecayScanLanes.groups(d.batch() * d.heads()) * DecayScanLanes.LANES : 0;
    }

    /** The decay of (row, head)'s key row x: exp(a) per channel or per head, or 1. */
    static double decay(Dims d, double[] alpha, int row, int h, int x) {
        return switch (d.decay()) {
            case CHANNEL -> alpha[(row * d.heads() + h) * d.k() + x];
            case HEAD -> alpha[row * d.heads() + h];
            case NONE -> 1;
        };
    }

    /**
     * S = diag(alpha) S + k v^T for one row, in one pass; with {@code o}, also o = S^T q. {@code ax}
     * ([K], the caller's) holds each key row's decay for the vector form.
     */
    private static void step(Dims d, int row, int h, double[] k, double[] v, double[] alpha, double[] s, double[] q,
                             double[] o, double[] ax) {
        int kd = d.k(), vd = d.v(), ko = d.keyAt(row, h), vo = (row * d.heads() + h) * vd;
        if (Simd.on() && vd >= DecayScanVector.LANES) {
            for (int x = 0; x < kd; x++) {
                ax[x] = decay(d, alpha, row, h, x);
            }
            DecayScanVector.step(kd, vd, ko, vo, ax, k, v, s, q, o);
            return;
        }
        if (o != null) {
            java.util.Arrays.fill(o, vo, vo + vd, 0);
        }
        for (int x = 0; x < kd; x++) {
            double decay = decay(d, alpha, row, h, x);
            double kx = k[ko + x];
            int so = x * vd;
            if (o == null) {
                for (int y = 0; y < vd; y++) {
                    s[so + y] = decay * s[so + y] + kx * v[vo + y];
                }
            } else {
                double qx = q[ko + x];
                for (int y = 0; y < vd; y++) {
                    double sv = decay * s[so + y] + kx * v[vo + y];
                    s[so + y] = sv;
                    o[vo + y] += sv * qx;
                }
            }
        }
    }

    /**
     * Gradients from dO (and dEnd, the gradient of the end state, or null). With shared keys dq and dk
     * are sums over the heads (see {@link SharedKeys}).
     */
    public static void backward(Saved sv, double[] dO, double[] dEnd, double[] dq, double[] dk, double[] dv,
                                double[] da, double[] dStart) {
        if (sv.dims().sharedKeys()) {
            SharedKeys.backward(sv, dO, dEnd, dq, dk, dv, da, dStart);
            return;
        }
        Dims d = sv.dims();
        int kv = d.state(), heads = d.heads(), grouped = lanes(d);
        if (grouped > 0) {
            Parallel.forRange(grouped / DecayScanLanes.LANES, (from, to) -> {
                DecayScanLanes.Work w = new DecayScanLanes.Work(d, true);
                for (int i = from; i < to; i++) {
                    DecayScanLanes.backward(sv, i * DecayScanLanes.LANES, dO, dEnd, dq, dk, dv, da, dStart, w);
                }
            });
        }
        Parallel.forRange(d.batch() * heads - grouped, (lo, hi) -> {
            double[][] states = new double[CHUNK + 1][kv];
            double[] ds = new double[kv];
            double[] ax = new double[d.k()];
            for (int g = grouped + lo; g < grouped + hi; g++) {
                int b = g / heads, h = g % heads;
                if (dEnd != null) {
                    System.arraycopy(dEnd, g * kv, ds, 0, kv);
                } else {
                    java.util.Arrays.fill(ds, 0);
                }
                for (int c = d.chunks() - 1; c >= 0; c--) {
                    int t0 = c * CHUNK, t1 = Math.min(d.steps(), t0 + CHUNK);
                    System.arraycopy(sv.checkpoints(), (g * d.chunks() + c) * kv, states[0], 0, kv);
                    for (int t = t0; t < t1; t++) {
                        System.arraycopy(states[t - t0], 0, states[t - t0 + 1], 0, kv);
                        step(d, b * d.steps() + t, h, sv.k(), sv.v(), sv.alpha(), states[t - t0 + 1], null, null, ax);
                    }
                    for (int t = t1 - 1; t >= t0; t--) {
                        back(d, sv, b * d.steps() + t, h, states[t - t0], states[t - t0 + 1], ds, dO, dq, dk, dv, da);
                    }
                }
                if (dStart != null) {
                    System.arraycopy(ds, 0, dStart, g * kv, kv);
                }
            }
        });
    }

    /** One step back: ds holds dL/dS_t on entry and dL/dS_{t-1} on exit. */
    private static void back(Dims d, Saved sv, int row, int h, double[] prev, double[] now, double[] ds, double[] dO,
                             double[] dq, double[] dk, double[] dv, double[] da) {
        int kd = d.k(), vd = d.v(), heads = d.heads();
        int ko = d.keyAt(row, h), oo = (row * heads + h) * vd;
        double[] q = sv.q(), k = sv.k(), v = sv.v();
        for (int y = 0; y < vd; y++) {
            dv[oo + y] = 0;
        }
        double daHead = 0;
        for (int x = 0; x < kd; x++) {
            int so = x * vd;
            double qx = q[ko + x], kx = k[ko + x];
            double ax = decay(d, sv.alpha(), row, h, x);
            double dqx = 0, dkx = 0, dax = 0;
            for (int y = 0; y < vd; y++) {
                dqx += now[so + y] * dO[oo + y];
                double g = ds[so + y] + qx * dO[oo + y]; // dL/dS_t, the readout included
                dkx += g * v[oo + y];
                dv[oo + y] += g * kx;
                dax += g * prev[so + y];
                ds[so + y] = g * ax;
            }
            dq[ko + x] = dqx;
            dk[ko + x] = dkx;
            if (d.decay() == Decay.CHANNEL) {
                da[(row * heads + h) * kd + x] = dax * ax;
            }
            daHead += dax;
        }
        if (d.decay() == Decay.HEAD) {
            da[row * heads + h] = daHead * sv.alpha()[row * heads + h];
        }
    }

    /**
     * Mamba2's layout: the heads share q and k and each has its own scalar decay, so a batch row's states
     * are kept together as [K, H*V] and every pass runs over H*V entries (64 to 1,024 in this benchmark)
     * instead of one head's V (8 to 64): the loops are long enough for the JIT to vectorize.
     */
    private static final class SharedKeys {
        private SharedKeys() {
        }

        /** The state of row b in [K, H*V] from [H, K, V] (start/end state layout) or back. */
        private static void toRow(double[] hkv, int base, double[] row, Dims d) {
            int hh = d.heads(), kd = d.k(), vd = d.v();
            for (int h = 0; h < hh; h++) {
                for (int x = 0; x < kd; x++) {
                    System.arraycopy(hkv, base + (h * kd + x) * vd, row, x * hh * vd + h * vd, vd);
                }
            }
        }

        private static void fromRow(double[] row, double[] hkv, int base, Dims d) {
            int hh = d.heads(), kd = d.k(), vd = d.v();
            for (int h = 0; h < hh; h++) {
                for (int x = 0; x < kd; x++) {
                    System.arraycopy(row, x * hh * vd + h * vd, hkv, base + (h * kd + x) * vd, vd);
                }
            }
        }

        /** exp(a) per head, repeated over the head's V entries. */
        private static void decays(Dims d, double[] alpha, int row, double[] out) {
            int hh = d.heads(), vd = d.v();
            for (int h = 0; h < hh; h++) {
                java.util.Arrays.fill(out, h * vd, (h + 1) * vd, alpha[row * hh + h]);
            }
        }

        /** S = alpha S + k v^T over [K, H*V]; with o, also o = S^T q. */
        private static void step(Dims d, int row, double[] q, double[] k, double[] v, double[] alv, double[] s,
                                 double[] o) {
            int kd = d.k(), w = d.heads() * d.v(), vo = row * w;
            if (Simd.on()) {
                DecayScanVector.sharedStep(kd, w, row, q, k, v, alv, s, o);
                return;
            }
            if (o != null) {
                java.util.Arrays.fill(o, vo, vo + w, 0);
            }
            for (int x = 0; x < kd; x++) {
                double kx = k[row * kd + x];
                int so = x * w;
                if (o == null) {
                    for (int j = 0; j < w; j++) {
                        s[so + j] = alv[j] * s[so + j] + kx * v[vo + j];
                    }
                } else {
                    double qx = q[row * kd + x];
                    for (int j = 0; j < w; j++) {
                        double sv = alv[j] * s[so + j] + kx * v[vo + j];
                        s[so + j] = sv;
                        o[vo + j] += sv * qx;
                    }
                }
            }
        }

        static Saved forward(Dims d, double[] q, double[] k, double[] v, double[] alpha, double[] start, double[] o,
                             double[] end, boolean keep) {
            int st = d.heads() * d.state(), w = d.heads() * d.v();
            double[] ckpt = keep ? new double[d.batch() * d.chunks() * st] : null;
            Parallel.forRange(d.batch(), (from, to) -> {
                double[] s = new double[st];
                double[] alv = new double[w], alv1 = new double[w];
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
                            DecayScanVector.sharedTwoSteps(d.k(), w, row, q, k, v, alv, alv1, s, o);
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

        static void backward(Saved sv, double[] dO, double[] dEnd, double[] dq, double[] dk, double[] dv, double[] da,
                             double[] dStart) {
            Dims d = sv.dims();
            int kd = d.k(), vd = d.v(), hh = d.heads(), w = hh * vd, st = hh * d.state();
            double[] q = sv.q(), k = sv.k(), v = sv.v(), alpha = sv.alpha();
            Parallel.forRange(d.batch(), (from, to) -> {
                double[][] states = new double[CHUNK + 1][st];
                double[][] alvs = new double[CHUNK][w];
                double[] ds = new double[st];
                double[] gs = Simd.on() ? new double[st] : null; // dS of every key row, for the vector form
                double[] dav = new double[w];
                double[] gRow = new double[w];
                double[] ones = new double[w];
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
                            double[] alv = alpha == null ? ones : alvs[t - t0];
                            if (alpha != null) {
                                decays(d, alpha, row, alv);
                            }
                            System.arraycopy(states[t - t0], 0, states[t - t0 + 1], 0, st);
                            step(d, row, q, k, v, alv, states[t - t0 + 1], null);
                        }
                        for (int t = t1 - 1; t >= t0; t--) {
                            int row = b * d.steps() + t, vo = row * w;
                            double[] prev = states[t - t0], now = states[t - t0 + 1];
                            double[] alv = alpha == null ? ones : alvs[t - t0];
                            if (gs != null) {
                                DecayScanVector.sharedBackwardRow(kd, w, row, q, k, v, dO, prev, now, alv, ds, gs, dq,
                                        dk, dv, dav);
                            } else {
                                java.util.Arrays.fill(dv, vo, vo + w, 0);
                                java.util.Arrays.fill(dav, 0);
                            }
                            for (int x = 0; gs == null && x < kd; x++) {
                                int so = x * w;
                                double qx = q[row * kd + x], kx = k[row * kd + x];
                                for (int j = 0; j < w; j++) {
                                    double g = ds[so + j] + qx * dO[vo + j]; // dL/dS_t, the readout included
                                    gRow[j] = g;
                                    dv[vo + j] += g * kx;
                                    dav[j] += g * prev[so + j];
                                    ds[so + j] = g * alv[j];
                                }
                                dq[row * kd + x] = Loops.stripedDot(now, so, dO, vo, w);
                                dk[row * kd + x] = Loops.stripedDot(gRow, 0, v, vo, w);
                            }
                            if (alpha != null) {
                                for (int h = 0; h < hh; h++) {
                                    double acc = 0;
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
    }
}
