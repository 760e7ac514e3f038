package org.selectivbench.models.ops;

/**
 * {@link DeltaRuleRecurrent} in float, for float32 models: the same recurrence, layouts, checkpoints and
 * order of operations, on float arrays (half the bytes, twice the vector lanes). The double form stays
 * the reference the tests hold tightly to the plain recurrence and finite differences; this one is
 * tested against it. Whole groups of sequences run one per lane ({@link DeltaRuleLanesFloat}), the rest
 * one by one here in plain loops.
 */
public final class DeltaRuleFloat {
    private static final int CHUNK = DeltaRuleRecurrent.CHUNK;

    private DeltaRuleFloat() {
    }

    /**
     * What the backward pass needs: the inputs, the decays alpha = exp(a) (null without a decay) and the
     * state at the start of every chunk.
     */
    public record Saved(DeltaRuleRecurrent.Dims dims, float[] q, float[] k, float[] v, float[] beta, float[] alpha,
                        float[] checkpoints) {
    }

    /**
     * Writes o (and the state after the last token into {@code end} when not null).
     *
     * @param start the state before the first token [B, H, K, V], or null for 0
     * @param keep  whether to keep checkpoints for a backward pass
     */
    public static Saved forward(DeltaRuleRecurrent.Dims d, float[] q, float[] k, float[] v, float[] beta, float[] a,
                                float[] start, float[] o, float[] end, boolean keep) {
        int kv = d.state();
        float[] ckpt = keep ? Arena.floats(d.sequences() * d.chunks() * kv) : null;
        float[] alpha = alphas(a);
        int grouped = lanes(d);
        if (grouped > 0) {
            Parallel.forRange(grouped / DeltaRuleLanesFloat.LANES, (from, to) -> {
                DeltaRuleLanesFloat.Work w = new DeltaRuleLanesFloat.Work(d, false);
                for (int i = from; i < to; i++) {
                    DeltaRuleLanesFloat.forward(d, i * DeltaRuleLanesFloat.LANES, q, k, v, beta, alpha, start, o, end,
                            ckpt, w);
                }
            });
        }
        Parallel.forRange(d.sequences() - grouped, (lo, hi) -> {
            int from = grouped + lo, to = grouped + hi;
            float[] s = Arena.floats(kv);
            float[] r = Arena.floats(d.v());
            for (int g = from; g < to; g++) {
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
                    token(d, b, h, t, q, k, v, beta, alpha, s, r, null, null, o);
                }
                if (end != null) {
                    System.arraycopy(s, 0, end, g * kv, kv);
                }
            }
        });
        return keep ? new Saved(d, q, k, v, beta, alpha, ckpt) : null;
    }

    /** exp(a) once, in vectors, for the forward pass and the backward's recomputation (null for null). */
    private static float[] alphas(float[] a) {
        if (a == null) {
            return null;
        }
        float[] alpha = a.clone();
        Exp.expInPlace(alpha, alpha.length);
        return alpha;
    }

    /** Sequences taken a group of lanes at a time ({@link DeltaRuleLanesFloat}); the rest run one by one. */
    private static int lanes(DeltaRuleRecurrent.Dims d) {
        return Simd.on() ? DeltaRuleLanesFloat.groups(d.sequences()) * DeltaRuleLanesFloat.LANES : 0;
    }

    /**
     * One token from state s (updated in place), two passes over S per sub-step: r = v - f S^T k, then
     * S = f S + beta k r^T (f = alpha on the first sub-step, 1 after), the readout o = S^T q folded into the
     * last. When {@code sub} is given (backward's recomputation), the state each sub-step starts from (after
     * the decay) goes to sub[j] and r to rs[j], and o is not written.
     */
    private static void token(DeltaRuleRecurrent.Dims d, int b, int h, int t, float[] q, float[] k, float[] v,
                              float[] beta, float[] alphas, float[] s, float[] r, float[][] sub, float[][] rs, float[] o) {
        int kd = d.k(), vd = d.v(), nh = d.subSteps(), heads = d.heads();
        int row = b * d.steps() + t;
        float alpha = alphas == null ? 1 : alphas[row * heads + h];
        int qo = (row * heads + h) * kd, oo = (row * heads + h) * vd;
        for (int j = 0; j < nh; j++) {
            int ko = ((row * nh + j) * heads + h) * kd, vo = ((row * nh + j) * heads + h) * vd;
            float f = j == 0 ? alpha : 1;
            java.util.Arrays.fill(r, 0, vd, 0);
            for (int x = 0; x < kd; x++) {
                float kx = k[ko + x];
                int so = x * vd;
                for (int y = 0; y < vd; y++) {
                    r[y] += s[so + y] * kx;
                }
            }
            for (int y = 0; y < vd; y++) {
                r[y] = v[vo + y] - f * r[y];
            }
            float bt = beta[(row * nh + j) * heads + h];
            boolean readout = o != null && j == nh - 1;
            if (readout) {
                java.util.Arrays.fill(o, oo, oo + vd, 0);
            }
            float[] keepTo = sub == null ? null : sub[j];
            if (rs != null) {
                System.arraycopy(r, 0, rs[j], 0, vd);
            }
            for (int x = 0; x < kd; x++) {
                float kb = k[ko + x] * bt, qx = readout ? q[qo + x] : 0;
                int so = x * vd;
                if (keepTo != null) {
                    for (int y = 0; y < vd; y++) {
                        float sv = f * s[so + y];
                        keepTo[so + y] = sv;
                        s[so + y] = sv + kb * r[y];
                    }
                } else if (readout) {
                    for (int y = 0; y < vd; y++) {
                        float sv = f * s[so + y] + kb * r[y];
                        s[so + y] = sv;
                        o[oo + y] += sv * qx;
                    }
                } else {
                    for (int y = 0; y < vd; y++) {
                        s[so + y] = f * s[so + y] + kb * r[y];
                    }
                }
            }
        }
    }

    /**
     * Gradients of every input from dO [B*T, H*V] and dEnd (the gradient of the end state, or null for
     * 0). Writes dq, dk, dv, dbeta (same layouts as the inputs), da (when the forward had a decay) and
     * dStart (when not null).
     *
     * <p>Per sub-step j, from G = dL/dS^(j+1) (plus q do^T at a token's last sub-step, never formed):
     * dr = beta G^T k, dv = dr, dbeta = (G^T k) . r, dk = beta G r - S^(j) dr, dL/dS^(j) = G - k dr^T; the
     * readout's dq = S_t do = S^(j) do + beta k (r . do); the decay's da = S^(0) . dL/dS^(0) and
     * dL/dS_{t-1} = alpha dL/dS^(0). Two passes over S per sub-step.
     */
    public static void backward(Saved sv, float[] dO, float[] dEnd, float[] dq, float[] dk, float[] dv,
                                float[] dbeta, float[] da, float[] dStart) {
        DeltaRuleRecurrent.Dims d = sv.dims();
        int kd = d.k(), vd = d.v(), kv = d.state(), nh = d.subSteps(), heads = d.heads();
        float[] q = sv.q(), k = sv.k(), beta = sv.beta(), a = sv.alpha();
        int grouped = lanes(d);
        if (grouped > 0) {
            Parallel.forRange(grouped / DeltaRuleLanesFloat.LANES, (from, to) -> {
                DeltaRuleLanesFloat.Work w = new DeltaRuleLanesFloat.Work(d, true);
                for (int i = from; i < to; i++) {
                    DeltaRuleLanesFloat.backward(sv, i * DeltaRuleLanesFloat.LANES, dO, dEnd, dq, dk, dv, dbeta, da,
                            dStart, w);
                }
            });
        }
        Parallel.forRange(d.sequences() - grouped, (lo, hi) -> {
            int from = grouped + lo, to = grouped + hi;
            float[][][] sub = new float[CHUNK][nh][kv];
            float[][][] rs = new float[CHUNK][nh][vd];
            float[] s = Arena.floats(kv);
            float[] r = Arena.floats(vd);
            float[] ds = Arena.floats(kv);
            float[] dr = Arena.floats(vd);
            float[] gk = Arena.floats(vd);
            for (int g = from; g < to; g++) {
                int b = g / heads, h = g % heads;
                if (dEnd != null) {
                    System.arraycopy(dEnd, g * kv, ds, 0, kv);
                } else {
                    java.util.Arrays.fill(ds, 0);
                }
                for (int c = d.chunks() - 1; c >= 0; c--) {
                    int t0 = c * CHUNK, t1 = Math.min(d.steps(), t0 + CHUNK);
                    System.arraycopy(sv.checkpoints(), (g * d.chunks() + c) * kv, s, 0, kv);
                    for (int t = t0; t < t1; t++) {
                        token(d, b, h, t, q, k, sv.v(), beta, a, s, r, sub[t - t0], rs[t - t0], null);
                    }
                    for (int t = t1 - 1; t >= t0; t--) {
                        int row = b * d.steps() + t;
                        int qo = (row * heads + h) * kd, oo = (row * heads + h) * vd;
                        float alpha = a == null ? 1 : a[row * heads + h];
                        float daAcc = 0;
                        for (int j = nh - 1; j >= 0; j--) {
                            int ko = ((row * nh + j) * heads + h) * kd, vo = ((row * nh + j) * heads + h) * vd;
                            int bi = (row * nh + j) * heads + h;
                            float bt = beta[bi];
                            float[] sj = sub[t - t0][j], rj = rs[t - t0][j];
                            boolean last = j == nh - 1;
                            // pass A: gk = G^T k (with the readout's q do^T at the last sub-step); dq
                            java.util.Arrays.fill(gk, 0, vd, 0);
                            float qk = 0, rdo = 0;
                            for (int x = 0; x < kd; x++) {
                                float kx = k[ko + x];
                                int so = x * vd;
                                if (last) {
                                    qk += q[qo + x] * kx;
                                    float dqx = 0;
                                    for (int y = 0; y < vd; y++) {
                                        gk[y] += ds[so + y] * kx;
                                        dqx += sj[so + y] * dO[oo + y];
                                    }
                                    dq[qo + x] = dqx;
                                } else {
                                    for (int y = 0; y < vd; y++) {
                                        gk[y] += ds[so + y] * kx;
                                    }
                                }
                            }
                            float dbt = 0;
                            for (int y = 0; y < vd; y++) {
                                if (last) {
                                    gk[y] += qk * dO[oo + y];
                                    rdo += rj[y] * dO[oo + y];
                                }
                                dbt += gk[y] * rj[y];
                                dr[y] = bt * gk[y];
                                dv[vo + y] = dr[y];
                            }
                            dbeta[bi] = dbt;
                            // pass B: dk, and G becomes dL/dS^(j) (then dL/dS_{t-1} after the decay)
                            boolean decay = j == 0 && a != null;
                            for (int x = 0; x < kd; x++) {
                                float kx = k[ko + x], qx = last ? q[qo + x] : 0;
                                float acc1 = 0, acc2 = 0, dax = 0;
                                int so = x * vd;
                                if (last) {
                                    dq[qo + x] += bt * kx * rdo;
                                }
                                for (int y = 0; y < vd; y++) {
                                    float gv = ds[so + y] + qx * dO[oo + y];
                                    acc1 += gv * rj[y];
                                    acc2 += sj[so + y] * dr[y];
                                    float next = gv - kx * dr[y];
                                    if (decay) {
                                        dax += sj[so + y] * next;
                                        next *= alpha;
                                    }
                                    ds[so + y] = next;
                                }
                                // da summed a row of S at a time: one running sum over all of S held the
                                // lane form to the latency of a chain of K*V additions
                                daAcc += dax;
                                dk[ko + x] = bt * acc1 - acc2;
                            }
                        }
                        if (a != null) {
                            da[row * heads + h] = daAcc;
                        }
                    }
                }
                if (dStart != null) {
                    System.arraycopy(ds, 0, dStart, g * kv, kv);
                }
            }
        });
    }
}
