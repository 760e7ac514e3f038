package org.selectivbench.models.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link DeltaRuleRecurrent} with one sequence (b, h) per lane: each lane runs its
 * sequence through exactly the scalar form's operations in their order, so the numbers are the same bit
 * for bit and no sum crosses lanes. The benchmark's states are small (K 8 by V 16 at the embedded
 * default): with a lane per value column ({@link DeltaRuleVector}) a row is two vectors and the
 * backward pass's sums over columns stayed scalar; with a lane per sequence every operation is a vector
 * one. A group's state is held [K, V, lanes]; each token's inputs are gathered into lanes and its
 * outputs scattered back. Loaded only when {@link Simd#on}; the sequences after the last whole group
 * take the other forms. Each step is its own method, with one loop per case (see {@link DecayScanVector}).
 */
final class DeltaRuleLanes {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    static final int LANES = S.length();
    private static final int CHUNK = DeltaRuleRecurrent.CHUNK;

    private DeltaRuleLanes() {
    }

    /** Whole groups of lanes among {@code sequences}. */
    static int groups(int sequences) {
        return LANES < 2 ? 0 : sequences / LANES;
    }

    /** One thread's arrays, lane-minor: [..., lanes]. */
    static final class Work {
        final double[] s, r, q, k, v, beta, alpha, o, dO, ds, gk, dr, dq, dk, dv, dbeta, da, rdo;
        final double[][][] sub, rs;

        Work(DeltaRuleRecurrent.Dims d, boolean backward) {
            int kd = d.k(), vd = d.v(), nh = d.subSteps(), kv = d.state();
            s = new double[kv * LANES];
            r = new double[vd * LANES];
            q = new double[kd * LANES];
            k = new double[nh * kd * LANES];
            v = new double[nh * vd * LANES];
            beta = new double[nh * LANES];
            alpha = new double[LANES];
            o = new double[vd * LANES];
            int b = backward ? 1 : 0;
            dO = new double[b * vd * LANES];
            ds = new double[b * kv * LANES];
            gk = new double[b * vd * LANES];
            dr = new double[b * vd * LANES];
            dq = new double[b * kd * LANES];
            dk = new double[b * nh * kd * LANES];
            dv = new double[b * nh * vd * LANES];
            dbeta = new double[b * nh * LANES];
            da = new double[b * LANES];
            rdo = new double[b * LANES];
            sub = new double[b * CHUNK][nh][kv * LANES];
            rs = new double[b * CHUNK][nh][vd * LANES];
        }
    }

    static void forward(DeltaRuleRecurrent.Dims d, int g0, double[] q, double[] k, double[] v, double[] beta,
                        double[] a, double[] start, double[] o, double[] end, double[] ckpt, Work w) {
        int kv = d.state();
        toLanes(start, g0, kv, w.s);
        for (int t = 0; t < d.steps(); t++) {
            if (ckpt != null && t % CHUNK == 0) {
                for (int l = 0; l < LANES; l++) {
                    for (int e = 0; e < kv; e++) {
                        ckpt[((g0 + l) * d.chunks() + t / CHUNK) * kv + e] = w.s[e * LANES + l];
                    }
                }
            }
            gather(d, g0, t, q, k, v, beta, a, w);
            for (int j = 0; j < d.subSteps(); j++) {
                residual(d.k(), d.v(), j, w);
                if (j == d.subSteps() - 1) {
                    updateReadout(d.k(), d.v(), j, w);
                } else {
                    update(d.k(), d.v(), j, w);
                }
            }
            scatterRows(d, g0, t, w.o, d.v(), o);
        }
        if (end != null) {
            fromLanes(w.s, g0, kv, end);
        }
    }

    static void backward(DeltaRuleRecurrent.Saved sv, int g0, double[] dO, double[] dEnd, double[] dq, double[] dk,
                         double[] dv, double[] dbeta, double[] da, double[] dStart, Work w) {
        DeltaRuleRecurrent.Dims d = sv.dims();
        int kd = d.k(), vd = d.v(), kv = d.state(), nh = d.subSteps();
        toLanes(dEnd, g0, kv, w.ds);
        for (int c = d.chunks() - 1; c >= 0; c--) {
            int t0 = c * CHUNK, t1 = Math.min(d.steps(), t0 + CHUNK);
            for (int l = 0; l < LANES; l++) {
                for (int e = 0; e < kv; e++) {
                    w.s[e * LANES + l] = sv.checkpoints()[((g0 + l) * d.chunks() + c) * kv + e];
                }
            }
            for (int t = t0; t < t1; t++) {
                gather(d, g0, t, sv.q(), sv.k(), sv.v(), sv.beta(), sv.a(), w);
                for (int j = 0; j < nh; j++) {
                    residual(kd, vd, j, w);
                    System.arraycopy(w.r, 0, w.rs[t - t0][j], 0, vd * LANES);
                    updateKeeping(kd, vd, j, w, w.sub[t - t0][j]);
                }
            }
            for (int t = t1 - 1; t >= t0; t--) {
                gather(d, g0, t, sv.q(), sv.k(), sv.v(), sv.beta(), sv.a(), w);
                gatherRows(d, g0, t, dO, vd, w.dO);
                java.util.Arrays.fill(w.da, 0);
                for (int j = nh - 1; j >= 0; j--) {
                    double[] sj = w.sub[t - t0][j], rj = w.rs[t - t0][j];
                    boolean last = j == nh - 1;
                    if (last) {
                        passALast(kd, vd, j, w, sj, rj);
                    } else {
                        passA(kd, vd, j, w, rj);
                    }
                    if (j == 0 && sv.a() != null) {
                        passBDecay(kd, vd, j, last, w, sj, rj);
                    } else {
                        passB(kd, vd, j, last, w, sj, rj);
                    }
                }
                scatterGrads(d, g0, t, w, dq, dk, dv, dbeta, sv.a() != null ? da : null);
            }
        }
        if (dStart != null) {
            fromLanes(w.ds, g0, kv, dStart);
        }
    }

    /** r = v_j - f S^T k_j, f = alpha at the first sub-step and 1 after. */
    private static void residual(int kd, int vd, int j, Work w) {
        DoubleVector f = j == 0 ? DoubleVector.fromArray(S, w.alpha, 0) : DoubleVector.broadcast(S, 1.0);
        for (int y = 0; y < vd; y++) {
            DoubleVector acc = DoubleVector.zero(S);
            for (int x = 0; x < kd; x++) {
                acc = acc.add(DoubleVector.fromArray(S, w.s, (x * vd + y) * LANES)
                        .mul(DoubleVector.fromArray(S, w.k, (j * kd + x) * LANES)));
            }
            DoubleVector.fromArray(S, w.v, (j * vd + y) * LANES).sub(acc.mul(f)).intoArray(w.r, y * LANES);
        }
    }

    /** S = f S + (k_j beta_j) r^T. */
    private static void update(int kd, int vd, int j, Work w) {
        DoubleVector f = j == 0 ? DoubleVector.fromArray(S, w.alpha, 0) : DoubleVector.broadcast(S, 1.0);
        DoubleVector bt = DoubleVector.fromArray(S, w.beta, j * LANES);
        for (int x = 0; x < kd; x++) {
            DoubleVector kb = DoubleVector.fromArray(S, w.k, (j * kd + x) * LANES).mul(bt);
            for (int y = 0; y < vd; y++) {
                int so = (x * vd + y) * LANES;
                DoubleVector.fromArray(S, w.s, so).mul(f).add(kb.mul(DoubleVector.fromArray(S, w.r, y * LANES)))
                        .intoArray(w.s, so);
            }
        }
    }

    /** The update with the readout o = S^T q folded in (a token's last sub-step). */
    private static void updateReadout(int kd, int vd, int j, Work w) {
        DoubleVector f = j == 0 ? DoubleVector.fromArray(S, w.alpha, 0) : DoubleVector.broadcast(S, 1.0);
        DoubleVector bt = DoubleVector.fromArray(S, w.beta, j * LANES);
        java.util.Arrays.fill(w.o, 0);
        for (int x = 0; x < kd; x++) {
            DoubleVector kb = DoubleVector.fromArray(S, w.k, (j * kd + x) * LANES).mul(bt);
            DoubleVector qx = DoubleVector.fromArray(S, w.q, x * LANES);
            for (int y = 0; y < vd; y++) {
                int so = (x * vd + y) * LANES;
                DoubleVector sv = DoubleVector.fromArray(S, w.s, so).mul(f)
                        .add(kb.mul(DoubleVector.fromArray(S, w.r, y * LANES)));
                sv.intoArray(w.s, so);
                DoubleVector.fromArray(S, w.o, y * LANES).add(sv.mul(qx)).intoArray(w.o, y * LANES);
            }
        }
    }

    /** The update keeping the decayed state f S in {@code keep} (backward's recomputation). */
    private static void updateKeeping(int kd, int vd, int j, Work w, double[] keep) {
        DoubleVector f = j == 0 ? DoubleVector.fromArray(S, w.alpha, 0) : DoubleVector.broadcast(S, 1.0);
        DoubleVector bt = DoubleVector.fromArray(S, w.beta, j * LANES);
        for (int x = 0; x < kd; x++) {
            DoubleVector kb = DoubleVector.fromArray(S, w.k, (j * kd + x) * LANES).mul(bt);
            for (int y = 0; y < vd; y++) {
                int so = (x * vd + y) * LANES;
                DoubleVector sv = DoubleVector.fromArray(S, w.s, so).mul(f);
                sv.intoArray(keep, so);
                sv.add(kb.mul(DoubleVector.fromArray(S, w.r, y * LANES))).intoArray(w.s, so);
            }
        }
    }

    /** Pass A at the last sub-step: gk = G^T k + (q . k) dO, dq = S do, and dr, dv, dbeta from gk. */
    private static void passALast(int kd, int vd, int j, Work w, double[] sj, double[] rj) {
        java.util.Arrays.fill(w.gk, 0);
        DoubleVector qk = DoubleVector.zero(S);
        for (int x = 0; x < kd; x++) {
            DoubleVector kx = DoubleVector.fromArray(S, w.k, (j * kd + x) * LANES);
            qk = qk.add(DoubleVector.fromArray(S, w.q, x * LANES).mul(kx));
            DoubleVector dqx = DoubleVector.zero(S);
            for (int y = 0; y < vd; y++) {
                int so = (x * vd + y) * LANES;
                DoubleVector.fromArray(S, w.gk, y * LANES).add(DoubleVector.fromArray(S, w.ds, so).mul(kx))
                        .intoArray(w.gk, y * LANES);
                dqx = dqx.add(DoubleVector.fromArray(S, sj, so).mul(DoubleVector.fromArray(S, w.dO, y * LANES)));
            }
            dqx.intoArray(w.dq, x * LANES);
        }
        DoubleVector bt = DoubleVector.fromArray(S, w.beta, j * LANES);
        DoubleVector dbt = DoubleVector.zero(S), rdo = DoubleVector.zero(S);
        for (int y = 0; y < vd; y++) {
            DoubleVector dOy = DoubleVector.fromArray(S, w.dO, y * LANES), ry = DoubleVector.fromArray(S, rj, y * LANES);
            DoubleVector gk = DoubleVector.fromArray(S, w.gk, y * LANES).add(qk.mul(dOy));
            gk.intoArray(w.gk, y * LANES);
            rdo = rdo.add(ry.mul(dOy));
            dbt = dbt.add(gk.mul(ry));
            DoubleVector dr = bt.mul(gk);
            dr.intoArray(w.dr, y * LANES);
            dr.intoArray(w.dv, (j * vd + y) * LANES);
        }
        dbt.intoArray(w.dbeta, j * LANES);
        rdo.intoArray(w.rdo, 0); // pass B adds beta k (r . do) to dq
    }

    /** Pass A before the last sub-step: gk = G^T k, and dr, dv, dbeta from it. */
    private static void passA(int kd, int vd, int j, Work w, double[] rj) {
        java.util.Arrays.fill(w.gk, 0);
        for (int x = 0; x < kd; x++) {
            DoubleVector kx = DoubleVector.fromArray(S, w.k, (j * kd + x) * LANES);
            for (int y = 0; y < vd; y++) {
                int so = (x * vd + y) * LANES;
                DoubleVector.fromArray(S, w.gk, y * LANES).add(DoubleVector.fromArray(S, w.ds, so).mul(kx))
                        .intoArray(w.gk, y * LANES);
            }
        }
        DoubleVector bt = DoubleVector.fromArray(S, w.beta, j * LANES);
        DoubleVector dbt = DoubleVector.zero(S);
        for (int y = 0; y < vd; y++) {
            DoubleVector gk = DoubleVector.fromArray(S, w.gk, y * LANES);
            dbt = dbt.add(gk.mul(DoubleVector.fromArray(S, rj, y * LANES)));
            DoubleVector dr = bt.mul(gk);
            dr.intoArray(w.dr, y * LANES);
            dr.intoArray(w.dv, (j * vd + y) * LANES);
        }
        dbt.intoArray(w.dbeta, j * LANES);
    }

    /** Pass B: dk, and G becomes dL/dS^(j); at the last sub-step with the readout's q do^T in G. */
    private static void passB(int kd, int vd, int j, boolean last, Work w, double[] sj, double[] rj) {
        DoubleVector bt = DoubleVector.fromArray(S, w.beta, j * LANES);
        DoubleVector rdo = DoubleVector.fromArray(S, w.rdo, 0);
        for (int x = 0; x < kd; x++) {
            DoubleVector kx = DoubleVector.fromArray(S, w.k, (j * kd + x) * LANES);
            DoubleVector qx = last ? DoubleVector.fromArray(S, w.q, x * LANES) : DoubleVector.zero(S);
            if (last) {
                DoubleVector.fromArray(S, w.dq, x * LANES).add(bt.mul(kx).mul(rdo)).intoArray(w.dq, x * LANES);
            }
            DoubleVector acc1 = DoubleVector.zero(S), acc2 = DoubleVector.zero(S);
            for (int y = 0; y < vd; y++) {
                int so = (x * vd + y) * LANES;
                DoubleVector dr = DoubleVector.fromArray(S, w.dr, y * LANES);
                DoubleVector gv = DoubleVector.fromArray(S, w.ds, so).add(qx.mul(DoubleVector.fromArray(S, w.dO, y * LANES)));
                acc1 = acc1.add(gv.mul(DoubleVector.fromArray(S, rj, y * LANES)));
                acc2 = acc2.add(DoubleVector.fromArray(S, sj, so).mul(dr));
                gv.sub(kx.mul(dr)).intoArray(w.ds, so);
            }
            bt.mul(acc1).sub(acc2).intoArray(w.dk, (j * kd + x) * LANES);
        }
    }

    /** Pass B at the first sub-step with a decay: also da = S^(0) . dL/dS^(0), and dL/dS_{t-1} = alpha that. */
    private static void passBDecay(int kd, int vd, int j, boolean last, Work w, double[] sj, double[] rj) {
        DoubleVector bt = DoubleVector.fromArray(S, w.beta, j * LANES);
        DoubleVector rdo = DoubleVector.fromArray(S, w.rdo, 0), alpha = DoubleVector.fromArray(S, w.alpha, 0);
        DoubleVector da = DoubleVector.fromArray(S, w.da, 0);
        for (int x = 0; x < kd; x++) {
            DoubleVector kx = DoubleVector.fromArray(S, w.k, (j * kd + x) * LANES);
            DoubleVector qx = last ? DoubleVector.fromArray(S, w.q, x * LANES) : DoubleVector.zero(S);
            if (last) {
                DoubleVector.fromArray(S, w.dq, x * LANES).add(bt.mul(kx).mul(rdo)).intoArray(w.dq, x * LANES);
            }
            DoubleVector acc1 = DoubleVector.zero(S), acc2 = DoubleVector.zero(S), dax = DoubleVector.zero(S);
            for (int y = 0; y < vd; y++) {
                int so = (x * vd + y) * LANES;
                DoubleVector dr = DoubleVector.fromArray(S, w.dr, y * LANES), s0 = DoubleVector.fromArray(S, sj, so);
                DoubleVector gv = DoubleVector.fromArray(S, w.ds, so).add(qx.mul(DoubleVector.fromArray(S, w.dO, y * LANES)));
                acc1 = acc1.add(gv.mul(DoubleVector.fromArray(S, rj, y * LANES)));
                acc2 = acc2.add(s0.mul(dr));
                DoubleVector next = gv.sub(kx.mul(dr));
                dax = dax.add(s0.mul(next));
                next.mul(alpha).intoArray(w.ds, so);
            }
            da = da.add(dax); // a row at a time, as the scalar form: one chain over all of S ran at its latency
            bt.mul(acc1).sub(acc2).intoArray(w.dk, (j * kd + x) * LANES);
        }
        da.intoArray(w.da, 0);
    }

    /** The token's q, k, v, beta and decay of the group's sequences, one lane each. */
    private static void gather(DeltaRuleRecurrent.Dims d, int g0, int t, double[] q, double[] k, double[] v,
                               double[] beta, double[] a, Work w) {
        int kd = d.k(), vd = d.v(), nh = d.subSteps(), heads = d.heads();
        for (int l = 0; l < LANES; l++) {
            int g = g0 + l, h = g % heads, row = g / heads * d.steps() + t;
            for (int x = 0; x < kd; x++) {
                w.q[x * LANES + l] = q[(row * heads + h) * kd + x];
            }
            for (int j = 0; j < nh; j++) {
                int bi = (row * nh + j) * heads + h;
                for (int x = 0; x < kd; x++) {
                    w.k[(j * kd + x) * LANES + l] = k[bi * kd + x];
                }
                for (int y = 0; y < vd; y++) {
                    w.v[(j * vd + y) * LANES + l] = v[bi * vd + y];
                }
                w.beta[j * LANES + l] = beta[bi];
            }
            w.alpha[l] = a == null ? 1 : Math.exp(a[row * heads + h]);
        }
    }

    /** Rows [B*T, H*n] of the token into lanes [n, lanes]. */
    private static void gatherRows(DeltaRuleRecurrent.Dims d, int g0, int t, double[] rows, int n, double[] out) {
        for (int l = 0; l < LANES; l++) {
            int g = g0 + l, h = g % d.heads(), row = g / d.heads() * d.steps() + t;
            for (int y = 0; y < n; y++) {
                out[y * LANES + l] = rows[(row * d.heads() + h) * n + y];
            }
        }
    }

    private static void scatterRows(DeltaRuleRecurrent.Dims d, int g0, int t, double[] lanes, int n, double[] rows) {
        for (int l = 0; l < LANES; l++) {
            int g = g0 + l, h = g % d.heads(), row = g / d.heads() * d.steps() + t;
            for (int y = 0; y < n; y++) {
                rows[(row * d.heads() + h) * n + y] = lanes[y * LANES + l];
            }
        }
    }

    private static void scatterGrads(DeltaRuleRecurrent.Dims d, int g0, int t, Work w, double[] dq, double[] dk,
                                     double[] dv, double[] dbeta, double[] da) {
        int kd = d.k(), vd = d.v(), nh = d.subSteps(), heads = d.heads();
        scatterRows(d, g0, t, w.dq, kd, dq);
        for (int l = 0; l < LANES; l++) {
            int g = g0 + l, h = g % heads, row = g / heads * d.steps() + t;
            for (int j = 0; j < nh; j++) {
                int bi = (row * nh + j) * heads + h;
                for (int x = 0; x < kd; x++) {
                    dk[bi * kd + x] = w.dk[(j * kd + x) * LANES + l];
                }
                for (int y = 0; y < vd; y++) {
                    dv[bi * vd + y] = w.dv[(j * vd + y) * LANES + l];
                }
                dbeta[bi] = w.dbeta[j * LANES + l];
            }
            if (da != null) {
                da[row * heads + h] = w.da[l];
            }
        }
    }

    /** States [sequences, n] of the group into lanes [n, lanes] (zeros for null). */
    private static void toLanes(double[] states, int g0, int n, double[] out) {
        for (int l = 0; l < LANES; l++) {
            for (int e = 0; e < n; e++) {
                out[e * LANES + l] = states == null ? 0 : states[(g0 + l) * n + e];
            }
        }
    }

    private static void fromLanes(double[] lanes, int g0, int n, double[] states) {
        for (int l = 0; l < LANES; l++) {
            for (int e = 0; e < n; e++) {
                states[(g0 + l) * n + e] = lanes[e * LANES + l];
            }
        }
    }
}
