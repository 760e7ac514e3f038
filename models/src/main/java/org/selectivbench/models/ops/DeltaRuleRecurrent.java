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
        Parallel.forRange(d.sequences(), (from, to) -> {
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
                    step(d, b, h, t, q, k, v, beta, a, s, r, null, null, o);
                }
                if (end != null) {
                    System.arraycopy(s, 0, end, g * kv, kv);
                }
            }
        });
        return keep ? new Saved(d, q, k, v, beta, a, ckpt) : null;
    }

    /**
     * One token from state s (updated in place). When {@code subStates} is given, the state before each
     * sub-step (after the decay) goes to subStates[j] and r to rs[j]. Writes o_t when {@code o} is given.
     */
    private static void step(Dims d, int b, int h, int t, double[] q, double[] k, double[] v, double[] beta,
                             double[] a, double[] s, double[] r, double[][] subStates, double[][] rs, double[] o) {
        int kd = d.k(), vd = d.v(), nh = d.subSteps(), heads = d.heads();
        int row = b * d.steps() + t;
        if (a != null) {
            double alpha = Math.exp(a[row * heads + h]);
            for (int i = 0; i < s.length; i++) {
                s[i] *= alpha;
            }
        }
        for (int j = 0; j < nh; j++) {
            int ko = ((row * nh + j) * heads + h) * kd, vo = ((row * nh + j) * heads + h) * vd;
            if (subStates != null) {
                System.arraycopy(s, 0, subStates[j], 0, s.length);
            }
            System.arraycopy(v, vo, r, 0, vd);
            for (int x = 0; x < kd; x++) {
                double kx = k[ko + x];
                int so = x * vd;
                for (int y = 0; y < vd; y++) {
                    r[y] -= s[so + y] * kx;
                }
            }
            if (rs != null) {
                System.arraycopy(r, 0, rs[j], 0, vd);
            }
            double bt = beta[(row * nh + j) * heads + h];
            for (int x = 0; x < kd; x++) {
                double kb = k[ko + x] * bt;
                int so = x * vd;
                for (int y = 0; y < vd; y++) {
                    s[so + y] += kb * r[y];
                }
            }
        }
        if (o != null) {
            int qo = (row * heads + h) * kd, oo = (row * heads + h) * vd;
            for (int y = 0; y < vd; y++) {
                o[oo + y] = 0;
            }
            for (int x = 0; x < kd; x++) {
                double qx = q[qo + x];
                int so = x * vd;
                for (int y = 0; y < vd; y++) {
                    o[oo + y] += s[so + y] * qx;
                }
            }
        }
    }

    /**
     * Gradients of every input from dO [B*T, H*V] and dEnd (the gradient of the end state, or null for
     * 0). Writes dq, dk, dv, dbeta (same layouts as the inputs), da (when the forward had a decay) and
     * dStart (when not null).
     */
    public static void backward(Saved sv, double[] dO, double[] dEnd, double[] dq, double[] dk, double[] dv,
                                double[] dbeta, double[] da, double[] dStart) {
        Dims d = sv.dims();
        int kd = d.k(), vd = d.v(), kv = d.state(), nh = d.subSteps(), heads = d.heads();
        Parallel.forRange(d.sequences(), (from, to) -> {
            double[][][] sub = new double[CHUNK][nh][kv];
            double[][][] rs = new double[CHUNK][nh][vd];
            double[][] after = new double[CHUNK][kv];
            double[] s = new double[kv];
            double[] r = new double[vd];
            double[] ds = new double[kv];
            double[] dr = new double[vd];
            double[] dsk = new double[vd];
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
                        step(d, b, h, t, sv.q(), sv.k(), sv.v(), sv.beta(), sv.a(), s, r, sub[t - t0], rs[t - t0], null);
                        System.arraycopy(s, 0, after[t - t0], 0, kv);
                    }
                    for (int t = t1 - 1; t >= t0; t--) {
                        int row = b * d.steps() + t;
                        int qo = (row * heads + h) * kd, oo = (row * heads + h) * vd;
                        double[] st = after[t - t0];
                        // readout o = S^T q
                        for (int x = 0; x < kd; x++) {
                            double acc = 0, qx = sv.q()[qo + x];
                            int so = x * vd;
                            for (int y = 0; y < vd; y++) {
                                acc += st[so + y] * dO[oo + y];
                                ds[so + y] += qx * dO[oo + y];
                            }
                            dq[qo + x] = acc;
                        }
                        for (int j = nh - 1; j >= 0; j--) {
                            int ko = ((row * nh + j) * heads + h) * kd, vo = ((row * nh + j) * heads + h) * vd;
                            int bi = (row * nh + j) * heads + h;
                            double bt = sv.beta()[bi];
                            double[] sj = sub[t - t0][j], rj = rs[t - t0][j];
                            // dsk = dS^T k
                            java.util.Arrays.fill(dsk, 0);
                            for (int x = 0; x < kd; x++) {
                                double kx = sv.k()[ko + x];
                                int so = x * vd;
                                for (int y = 0; y < vd; y++) {
                                    dsk[y] += ds[so + y] * kx;
                                }
                            }
                            double dbt = 0;
                            for (int y = 0; y < vd; y++) {
                                dbt += dsk[y] * rj[y];
                                dr[y] = bt * dsk[y];
                                dv[vo + y] = dr[y];
                            }
                            dbeta[bi] = dbt;
                            for (int x = 0; x < kd; x++) {
                                double acc1 = 0, acc2 = 0, kx = sv.k()[ko + x];
                                int so = x * vd;
                                for (int y = 0; y < vd; y++) {
                                    acc1 += ds[so + y] * rj[y];
                                    acc2 += sj[so + y] * dr[y];
                                    ds[so + y] -= kx * dr[y];
                                }
                                dk[ko + x] = bt * acc1 - acc2;
                            }
                        }
                        if (sv.a() != null) {
                            double[] s0 = sub[t - t0][0];
                            double acc = 0;
                            for (int i = 0; i < kv; i++) {
                                acc += s0[i] * ds[i];
                            }
                            da[row * heads + h] = acc;
                            double alpha = Math.exp(sv.a()[row * heads + h]);
                            for (int i = 0; i < kv; i++) {
                                ds[i] *= alpha;
                            }
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
