package org.selectivbench.models.ops;

/**
 * {@link DecayScanRecurrent}'s form for keys of their own per head (GLA, linear attention) in float, for
 * float32 models: the same recurrence, layouts, checkpoints and order of operations on float arrays, with
 * exp(a) from {@link Exp#expf}. Tested against the double form, which stays the tight reference. Whole
 * groups of sequences run one per lane ({@link DecayScanLanesFloat}), the rest one by one; heads of half a
 * vector of keys two at a time ({@link DecayScanPairsFloat}); forward, a value
 * row of a vector or more takes a lane per column instead ({@link DecayScanFloatVector}).
 */
public final class DecayScanFloat {
    private static final int CHUNK = DecayScanRecurrent.CHUNK;

    private DecayScanFloat() {
    }

    /** What the backward pass needs: the inputs, exp(a) (null without a decay), the state every chunk. */
    public record Saved(DecayScanRecurrent.Dims dims, float[] q, float[] k, float[] v, float[] alpha,
                        float[] checkpoints) {
    }

    /**
     * Writes o, and the state after the last step into {@code end} when not null.
     *
     * @param start the state before the first step [B, H, K, V], or null for 0
     */
    public static Saved forward(DecayScanRecurrent.Dims d, float[] q, float[] k, float[] v, float[] a, float[] start,
                                float[] o, float[] end, boolean keep) {
        if (d.sharedKeys()) { // Mamba2's layout has its own float form
            throw new IllegalArgumentException("DecayScanFloat takes keys of their own per head (DecayScanSharedFloat"
                    + " takes shared ones)");
        }
        float[] alpha = a == null ? null : exps(a);
        // backward takes the lanes (or the pairs) either way: its sums over a value row would run across lanes
        int kv = d.state(), seqs = d.batch() * d.heads(), grouped = byColumns(d) ? 0 : lanes(d);
        float[] ckpt = keep ? Arena.floats(seqs * d.chunks() * kv) : null;
        if (pairs(d) && !byColumns(d)) { // at whole vectors of values, a head per vector runs as fast forward
            Parallel.forRange(seqs / 2, (from, to) -> {
                DecayScanPairsFloat.Work w = new DecayScanPairsFloat.Work(d);
                for (int p = from; p < to; p++) {
                    DecayScanPairsFloat.forward(d, p, q, k, v, alpha, start, o, end, ckpt, w);
                }
            });
            return keep ? new Saved(d, q, k, v, alpha, ckpt) : null;
        }
        if (grouped > 0) {
            Parallel.forRange(grouped / DecayScanLanesFloat.LANES, (from, to) -> {
                DecayScanLanesFloat.Work w = new DecayScanLanesFloat.Work(d, false);
                for (int i = from; i < to; i++) {
                    DecayScanLanesFloat.forward(d, i * DecayScanLanesFloat.LANES, q, k, v, alpha, start, o, end, ckpt,
                            w);
                }
            });
        }
        boolean eight = byColumns(d) && DecayScanFloatVector.takesEight(d);
        Parallel.forRange(seqs - grouped, (lo, hi) -> {
            float[] s = Arena.floats(kv), ax = Arena.floats(d.k());
            for (int g = grouped + lo; g < grouped + hi; g++) {
                int b = g / d.heads(), h = g % d.heads();
                if (start != null) {
                    System.arraycopy(start, g * kv, s, 0, kv);
                } else {
                    java.util.Arrays.fill(s, 0);
                }
                for (int t0 = 0; t0 < d.steps(); t0 += CHUNK) {
                    if (ckpt != null) {
                        System.arraycopy(s, 0, ckpt, (g * d.chunks() + t0 / CHUNK) * kv, kv);
                    }
                    int t1 = Math.min(d.steps(), t0 + CHUNK);
                    if (eight) { // the state in registers through the chunk
                        DecayScanFloatVector.eightSteps(d, b, h, t0, t1, q, k, v, alpha, s, o);
                    } else {
                        for (int t = t0; t < t1; t++) {
                            step(d, b * d.steps() + t, h, k, v, alpha, s, q, o, ax);
                        }
                    }
                }
                if (end != null) {
                    System.arraycopy(s, 0, end, g * kv, kv);
                }
            }
        });
        return keep ? new Saved(d, q, k, v, alpha, ckpt) : null;
    }

    /** exp(a) for every entry, computed once for all the passes over it. */
    private static float[] exps(float[] a) {
        float[] alpha = a.clone();
        Exp.expInPlace(alpha, alpha.length);
        return alpha;
    }

    /** Sequences taken a group of lanes at a time ({@link DecayScanLanesFloat}); the rest one by one. */
    private static int lanes(DecayScanRecurrent.Dims d) {
        return Simd.on() ? DecayScanLanesFloat.groups(d.batch() * d.heads()) * DecayScanLanesFloat.LANES : 0;
    }

    /** Whether two heads share a vector ({@link DecayScanPairsFloat}). */
    static boolean pairs(DecayScanRecurrent.Dims d) {
        return Simd.on() && DecayScanPairsFloat.takes(d);
    }

    /** Whether a step takes a lane per value column ({@link DecayScanFloatVector}). */
    private static boolean byColumns(DecayScanRecurrent.Dims d) {
        return Simd.on() && d.v() >= DecayScanFloatVector.LANES;
    }

    /** The decay of (row, head)'s key row x: exp(a) per channel or per head, or 1. */
    static float decay(DecayScanRecurrent.Dims d, float[] alpha, int row, int h, int x) {
        return switch (d.decay()) {
            case CHANNEL -> alpha[(row * d.heads() + h) * d.k() + x];
            case HEAD -> alpha[row * d.heads() + h];
            case NONE -> 1;
        };
    }

    /**
     * S = diag(alpha) S + k v^T for one row, in one pass; with {@code o}, also o = S^T q. {@code ax} ([K],
     * the caller's) holds each key row's decay for the vector form.
     */
    private static void step(DecayScanRecurrent.Dims d, int row, int h, float[] k, float[] v, float[] alpha,
                             float[] s, float[] q, float[] o, float[] ax) {
        int kd = d.k(), vd = d.v(), ko = d.keyAt(row, h), vo = (row * d.heads() + h) * vd;
        if (byColumns(d)) {
            for (int x = 0; x < kd; x++) {
                ax[x] = decay(d, alpha, row, h, x);
            }
            DecayScanFloatVector.step(kd, vd, ko, vo, ax, k, v, s, q, o);
            return;
        }
        if (o != null) {
            java.util.Arrays.fill(o, vo, vo + vd, 0);
        }
        for (int x = 0; x < kd; x++) {
            float decay = decay(d, alpha, row, h, x);
            float kx = k[ko + x];
            int so = x * vd;
            if (o == null) {
                for (int y = 0; y < vd; y++) {
                    s[so + y] = decay * s[so + y] + kx * v[vo + y];
                }
            } else {
                float qx = q[ko + x];
                for (int y = 0; y < vd; y++) {
                    float sv = decay * s[so + y] + kx * v[vo + y];
                    s[so + y] = sv;
                    o[vo + y] += sv * qx;
                }
            }
        }
    }

    /** Gradients from dO (and dEnd, the gradient of the end state, or null). */
    public static void backward(Saved sv, float[] dO, float[] dEnd, float[] dq, float[] dk, float[] dv,
                                float[] da, float[] dStart) {
        DecayScanRecurrent.Dims d = sv.dims();
        if (pairs(d)) {
            Parallel.forRange(d.batch() * d.heads() / 2, (from, to) -> {
                DecayScanPairsFloat.Work w = new DecayScanPairsFloat.Work(d);
                for (int p = from; p < to; p++) {
                    DecayScanPairsFloat.backward(sv, p, dO, dEnd, dq, dk, dv, da, dStart, w);
                }
            });
            return;
        }
        int kv = d.state(), heads = d.heads(), grouped = lanes(d);
        if (grouped > 0) {
            Parallel.forRange(grouped / DecayScanLanesFloat.LANES, (from, to) -> {
                DecayScanLanesFloat.Work w = new DecayScanLanesFloat.Work(d, true);
                for (int i = from; i < to; i++) {
                    DecayScanLanesFloat.backward(sv, i * DecayScanLanesFloat.LANES, dO, dEnd, dq, dk, dv, da, dStart,
                            w);
                }
            });
        }
        Parallel.forRange(d.batch() * heads - grouped, (lo, hi) -> {
            float[][] states = new float[CHUNK + 1][kv];
            float[] ds = Arena.floats(kv), ax = Arena.floats(d.k());
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
    private static void back(DecayScanRecurrent.Dims d, Saved sv, int row, int h, float[] prev, float[] now,
                             float[] ds, float[] dO, float[] dq, float[] dk, float[] dv, float[] da) {
        int kd = d.k(), vd = d.v(), heads = d.heads();
        int ko = d.keyAt(row, h), oo = (row * heads + h) * vd;
        float[] q = sv.q(), k = sv.k(), v = sv.v();
        for (int y = 0; y < vd; y++) {
            dv[oo + y] = 0;
        }
        float daHead = 0;
        for (int x = 0; x < kd; x++) {
            int so = x * vd;
            float qx = q[ko + x], kx = k[ko + x];
            float ax = decay(d, sv.alpha(), row, h, x);
            float dqx = 0, dkx = 0, dax = 0;
            for (int y = 0; y < vd; y++) {
                dqx += now[so + y] * dO[oo + y];
                float g = ds[so + y] + qx * dO[oo + y]; // dL/dS_t, the readout included
                dkx += g * v[oo + y];
                dv[oo + y] += g * kx;
                dax += g * prev[so + y];
                ds[so + y] = g * ax;
            }
            dq[ko + x] = dqx;
            dk[ko + x] = dkx;
            if (d.decay() == DecayScanRecurrent.Decay.CHANNEL) {
                da[(row * heads + h) * kd + x] = dax * ax;
            }
            daHead += dax;
        }
        if (d.decay() == DecayScanRecurrent.Decay.HEAD) {
            da[row * heads + h] = daHead * sv.alpha()[row * heads + h];
        }
    }
}
