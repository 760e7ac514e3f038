package org.selectivbench.models.ops;

/**
 * The gated delta rule with n_h Householder sub-steps per token, step by step (the CPU kernel):
 * per sequence (b, h), S [K, V] starts at {@code start} (or 0), and for every token t
 * <pre>
 *   S = alpha_t S                       alpha_t = exp(a_t), or 1 without decay
 *   for j = 0 .. n_h-1:  r = v_tj - S^T k_tj;  S = S + beta_tj k_tj r^T
 *   o_t = S^T q_t
 * </pre>
 * n_h = 1 is DeltaNet (without decay) and Gated DeltaNet; n_h > 1 is Gated DeltaProduct.
 *
 * <p>Backward runs the recurrence in reverse. The states it needs are recomputed chunk by chunk from
 * checkpoints taken every {@link #CHUNK} tokens in the forward pass, so memory is one state per
 * chunk plus one chunk's sub-step states per thread, not a state per step.
 *
 * <p>Layouts, rows ordered (b, t): q [B*T, H*K]; k [B*T, n_h*H*K]; v [B*T, n_h*H*V]; beta [B*T, n_h*H];
 * a [B*T, H] (log decay, or null); o [B*T, H*V]; states [B, H, K, V].
 */
public final class DeltaRuleRecurrent {
    /** Tokens between checkpoints of the state. */
    static final int CHUNK = 32;

    private DeltaRuleRecurrent() {
    }

    public record Dims(int batch, int steps, int heads, int k, int v, int subSteps) {
        int sequences() {
            return batch * heads;
        }

        int chunks() {
            return (steps + CHUNK - 1) / CHUNK;
        }

        int state() {
            return k * v;
        }
    }

    /** What the backward pass needs: the inputs and the state at the start of every chunk. */
    public record Saved(Dims dims, double[] q, double[] k, double[] v, double[] beta, double[] a, double[] checkpoints) {
    }

    /**
     * Writes o (and the state after the last token into {@code end} when not null).
     *
     * @param start the state before the first token [B, H, K, V], or null for 0
     * @param keep  whether to keep checkpoints for a backward pass
     */
    public static Saved forward(Dims d, double[] q, double[] k, double[] v, double[] beta, double[] a, double[] start,
                                double[] o, double[] end, boolean keep) {
        int kv = d.state();
        double[] ckpt = keep ? new double[d.sequences() * d.chunks() * kv] : null;
        int grouped = lanes(d);
        if (grouped > 0) {
            Parallel.forRange(grouped / DeltaRuleLanes.LANES, (from, to) -> {
                DeltaRuleLanes.Work w = new DeltaRuleLanes.Work(d, false);
                for (int i = from; i < to; i++) {
                    DeltaRuleLanes.forward(d, i * DeltaRuleLanes.LANES, q, k, v, beta, a, start, o, end, ckpt, w);
                }
            });
        }
        Parallel.forRange(d.sequences() - grouped, (lo, hi) -> {
            int from = grouped + lo, to = grouped + hi;
            double[] s = new double[kv];
            double[] r = new double[d.v()];
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
                    token(d, b, h, t, q, k, v, beta, a, s, r, null, null, o);
                }
                if (end != null) {
                    System.arraycopy(s, 0, end, g * kv, kv);
                }
            }
        });
        return keep ? new Saved(d, q, k, v, beta, a, ckpt) : null;
    }

    /** Sequences taken a group of lanes at a time ({@link DeltaRuleLanes}); the rest run one by one. */
    private static int lanes(Dims d) {
        return Simd.on() ? DeltaRuleLanes.groups(d.sequences()) * DeltaRuleLanes.LANES : 0;
    }

    /**
     * One token from state s (updated in place), two passes over S per sub-step: r = v - f S^T k, then
     * S = f S + beta k r^T (f = alpha on the first sub-step, 1 after), the readout o = S^T q folded into the
     * last. When {@code sub} is given (backward's recomputation), the state each sub-step starts from (after
     * the decay) goes to sub[j] and r to rs[j], and o is not written.
     */
    private static void token(Dims d, int b, int h, int t, double[] q, double[] k, double[] v, double[] beta,
                              double[] a, double[] s, double[] r, double[][] sub, double[][] rs, double[] o) {
        int kd = d.k(), vd = d.v(), nh = d.subSteps(), heads = d.heads();
        int row = b * d.steps() + t;
        double alpha = a == null ? 1 : Math.exp(a[row * heads + h]);
        int qo = (row * heads + h) * kd, oo = (row * heads + h) * vd;
        for (int j = 0; j < nh; j++) {
            int ko = ((row * nh + j) * heads + h) * kd, vo = ((row * nh + j) * heads + h) * vd;
            double f = j == 0 ? alpha : 1;
            if (Simd.on()) {
                double[] keepTo = sub == null ? null : sub[j];
                DeltaRuleVector.subStep(kd, vd, f, beta[(row * nh + j) * heads + h], k, ko, v, vo, s, r, keepTo, q,
                        qo, o, oo, o != null && j == nh - 1);
                if (rs != null) {
                    System.arraycopy(r, 0, rs[j], 0, vd);
                }
                continue;
            }
            java.util.Arrays.fill(r, 0, vd, 0);
            for (int x = 0; x < kd; x++) {
                double kx = k[ko + x];
                int so = x * vd;
                for (int y = 0; y < vd; y++) {
                    r[y] += s[so + y] * kx;
                }
            }
            for (int y = 0; y < vd; y++) {
                r[y] = v[vo + y] - f * r[y];
            }
            double bt = beta[(row * nh + j) * heads + h];
            boolean readout = o != null && j == nh - 1;
            if (readout) {
                java.util.Arrays.fill(o, oo, oo + vd, 0);
            }
            double[] keepTo = sub == null ? null : sub[j];
            if (rs != null) {
                System.arraycopy(r, 0, rs[j], 0, vd);
            }
            for (int x = 0; x < kd; x++) {
                double kb = k[ko + x] * bt, qx = readout ? q[qo + x] : 0;
                int so = x * vd;
                if (keepTo != null) {
                    for (int y = 0; y < vd; y++) {
                        double sv = f * s[so + y];
                        keepTo[so + y] = sv;
                        s[so + y] = sv + kb * r[y];
                    }
                } else if (readout) {
                    for (int y = 0; y < vd; y++) {
                        double sv = f * s[so + y] + kb * r[y];
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
    public static void backward(Saved sv, double[] dO, double[] dEnd, double[] dq, double[] dk, double[] dv,
                                double[] dbeta, double[] da, double[] dStart) {
        Dims d = sv.dims();
        int kd = d.k(), vd = d.v(), kv = d.state(), nh = d.subSteps(), heads = d.heads();
        double[] q = sv.q(), k = sv.k(), beta = sv.beta(), a = sv.a();
        int grouped = lanes(d);
        if (grouped > 0) {
            Parallel.forRange(grouped / DeltaRuleLanes.LANES, (from, to) -> {
                DeltaRuleLanes.Work w = new DeltaRuleLanes.Work(d, true);
                for (int i = from; i < to; i++) {
                    DeltaRuleLanes.backward(sv, i * DeltaRuleLanes.LANES, dO, dEnd, dq, dk, dv, dbeta, da, dStart, w);
                }
            });
        }
        Parallel.forRange(d.sequences() - grouped, (lo, hi) -> {
            int from = grouped + lo, to = grouped + hi;
            double[][][] sub = new double[CHUNK][nh][kv];
            double[][][] rs = new double[CHUNK][nh][vd];
            double[] s = new double[kv];
            double[] r = new double[vd];
            double[] ds = new double[kv];
            double[] dr = new double[vd];
            double[] gk = new double[vd];
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
                        double alpha = a == null ? 1 : Math.exp(a[row * heads + h]);
                        double daAcc = 0;
                        for (int j = nh - 1; j >= 0; j--) {
                            int ko = ((row * nh + j) * heads + h) * kd, vo = ((row * nh + j) * heads + h) * vd;
                            int bi = (row * nh + j) * heads + h;
                            double bt = beta[bi];
                            double[] sj = sub[t - t0][j], rj = rs[t - t0][j];
                            boolean last = j == nh - 1;
                            // pass A: gk = G^T k (with the readout's q do^T at the last sub-step); dq
                            java.util.Arrays.fill(gk, 0, vd, 0);
                            double qk = 0, rdo = 0;
                            for (int x = 0; x < kd; x++) {
                                double kx = k[ko + x];
                                int so = x * vd;
                                if (last) {
                                    qk += q[qo + x] * kx;
                                    double dqx = 0;
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
                            double dbt = 0;
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
                                double kx = k[ko + x], qx = last ? q[qo + x] : 0;
                                double acc1 = 0, acc2 = 0, dax = 0;
                                int so = x * vd;
                                if (last) {
                                    dq[qo + x] += bt * kx * rdo;
                                }
                                for (int y = 0; y < vd; y++) {
                                    double gv = ds[so + y] + qx * dO[oo + y];
                                    acc1 += gv * rj[y];
                                    acc2 += sj[so + y] * dr[y];
                                    double next = gv - kx * dr[y];
                                    if (decay) {
                                        dax += sj[so + y] * next;
                                        next *= alpha;
                                    }
                                    ds[so + y] = next;
                                }
                                daAcc += dax; // a row of S at a time, as the lane form needs for speed
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
