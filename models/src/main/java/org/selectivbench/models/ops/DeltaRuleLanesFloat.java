package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DeltaRuleLanes} in float, the lane form of {@link DeltaRuleFloat}: one sequence per lane (16 on
 * a 512-bit machine against the double form's 8), each running exactly the scalar float form's
 * operations in their order, so the two give the same bits. Loaded only when {@link Simd#on}.
 */
final class DeltaRuleLanesFloat {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int LANES = S.length();
    private static final int CHUNK = DeltaRuleRecurrent.CHUNK;

    private DeltaRuleLanesFloat() {
    }

    /** Whole groups of lanes among {@code sequences}. */
    static int groups(int sequences) {
        return LANES < 2 ? 0 : sequences / LANES;
    }

    /** One thread's arrays, lane-minor: [..., lanes]. */
    static final class Work {
        final float[] s, r, o, dO, ds, gk, dr, dq, dk, dv, dbeta, da, rdo;
        /** The token's inputs in lanes; in backward, a chunk's tokens each in their own slot of {@link #tokens}. */
        float[] q, k, v, beta, alpha;
        /** Backward: q, k, v, beta and alpha of each token of a chunk, gathered once for both passes over it. */
        final float[][][] tokens;
        final float[][][] sub, rs;
        /** Each lane's first element in the row layouts, token 0: q, o and a rows; k, v and beta rows. */
        final int[] iq = new int[LANES], io = new int[LANES], ia = new int[LANES];
        final int[] ik = new int[LANES], iv = new int[LANES], ib = new int[LANES];

        Work(DeltaRuleRecurrent.Dims d, boolean backward) {
            int kd = d.k(), vd = d.v(), nh = d.subSteps(), kv = d.state();
            s = Arena.floats(kv * LANES);
            r = Arena.floats(vd * LANES);
            q = Arena.floats(kd * LANES);
            k = Arena.floats(nh * kd * LANES);
            v = Arena.floats(nh * vd * LANES);
            beta = Arena.floats(nh * LANES);
            alpha = Arena.floats(LANES);
            o = Arena.floats(vd * LANES);
            int b = backward ? 1 : 0;
            dO = Arena.floats(b * vd * LANES);
            ds = Arena.floats(b * kv * LANES);
            gk = Arena.floats(b * vd * LANES);
            dr = Arena.floats(b * vd * LANES);
            dq = Arena.floats(b * kd * LANES);
            dk = Arena.floats(b * nh * kd * LANES);
            dv = Arena.floats(b * nh * vd * LANES);
            dbeta = Arena.floats(b * nh * LANES);
            da = Arena.floats(b * LANES);
            rdo = Arena.floats(b * LANES);
            sub = new float[b * CHUNK][nh][kv * LANES];
            rs = new float[b * CHUNK][nh][vd * LANES];
            tokens = new float[b * CHUNK][][];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = new float[][] {Arena.floats(kd * LANES), Arena.floats(nh * kd * LANES),
                    Arena.floats(nh * vd * LANES), Arena.floats(nh * LANES), Arena.floats(LANES)};
            }
        }

        /** Points q, k, v, beta and alpha at the token slot i of {@link #tokens}. */
        void token(int i) {
            q = tokens[i][0];
            k = tokens[i][1];
            v = tokens[i][2];
            beta = tokens[i][3];
            alpha = tokens[i][4];
        }

        /** Points the index maps at the group of sequences from g0. */
        void group(DeltaRuleRecurrent.Dims d, int g0) {
            int heads = d.heads(), nh = d.subSteps();
            for (int l = 0; l < LANES; l++) {
                int g = g0 + l, b = g / heads, h = g % heads;
                ia[l] = b * d.steps() * heads + h;
                iq[l] = ia[l] * d.k();
                io[l] = ia[l] * d.v();
                ib[l] = b * d.steps() * nh * heads + h;
                ik[l] = ib[l] * d.k();
                iv[l] = ib[l] * d.v();
            }
        }
    }

    static void forward(DeltaRuleRecurrent.Dims d, int g0, float[] q, float[] k, float[] v, float[] beta,
                        float[] alpha, float[] start, float[] o, float[] end, float[] ckpt, Work w) {
        int kv = d.state();
        w.group(d, g0);
        toLanes(start, g0, kv, w.s);
        for (int t = 0; t < d.steps(); t++) {
            if (ckpt != null && t % CHUNK == 0) {
                for (int l = 0; l < LANES; l++) {
                    for (int e = 0; e < kv; e++) {
                        ckpt[((g0 + l) * d.chunks() + t / CHUNK) * kv + e] = w.s[e * LANES + l];
                    }
                }
            }
            gather(d, t, q, k, v, beta, alpha, w);
            for (int j = 0; j < d.subSteps(); j++) {
                residual(d.k(), d.v(), j, w);
                if (j == d.subSteps() - 1) {
                    updateReadout(d.k(), d.v(), j, w);
                } else {
                    update(d.k(), d.v(), j, w);
                }
            }
            VectorLoops.scatterRows(w.o, o, t * d.heads() * d.v(), d.v(), w.io);
        }
        if (end != null) {
            fromLanes(w.s, g0, kv, end);
        }
    }

    static void backward(DeltaRuleFloat.Saved sv, int g0, float[] dO, float[] dEnd, float[] dq, float[] dk,
                         float[] dv, float[] dbeta, float[] da, float[] dStart, Work w) {
        DeltaRuleRecurrent.Dims d = sv.dims();
        int kd = d.k(), vd = d.v(), kv = d.state(), nh = d.subSteps();
        w.group(d, g0);
        toLanes(dEnd, g0, kv, w.ds);
        for (int c = d.chunks() - 1; c >= 0; c--) {
            int t0 = c * CHUNK, t1 = Math.min(d.steps(), t0 + CHUNK);
            for (int l = 0; l < LANES; l++) {
                for (int e = 0; e < kv; e++) {
                    w.s[e * LANES + l] = sv.checkpoints()[((g0 + l) * d.chunks() + c) * kv + e];
                }
            }
            for (int t = t0; t < t1; t++) {
                w.token(t - t0);
                gather(d, t, sv.q(), sv.k(), sv.v(), sv.beta(), sv.alpha(), w);
                for (int j = 0; j < nh; j++) {
                    residual(kd, vd, j, w);
                    System.arraycopy(w.r, 0, w.rs[t - t0][j], 0, vd * LANES);
                    updateKeeping(kd, vd, j, w, w.sub[t - t0][j]);
                }
            }
            for (int t = t1 - 1; t >= t0; t--) {
                w.token(t - t0);
                VectorLoops.gatherRows(dO, t * d.heads() * vd, vd, w.io, w.dO);
                java.util.Arrays.fill(w.da, 0);
                for (int j = nh - 1; j >= 0; j--) {
                    float[] sj = w.sub[t - t0][j], rj = w.rs[t - t0][j];
                    boolean last = j == nh - 1;
                    if (last) {
                        passALast(kd, vd, j, w, sj, rj);
                    } else {
                        passA(kd, vd, j, w, rj);
                    }
                    if (j == 0 && sv.alpha() != null) {
                        passBDecay(kd, vd, j, last, w, sj, rj);
                    } else {
                        passB(kd, vd, j, last, w, sj, rj);
                    }
                }
                scatterGrads(d, t, w, dq, dk, dv, dbeta, sv.alpha() != null ? da : null);
            }
        }
        if (dStart != null) {
            fromLanes(w.ds, g0, kv, dStart);
        }
    }

    /** r = v_j - f S^T k_j, f = alpha at the first sub-step and 1 after. */
    private static void residual(int kd, int vd, int j, Work w) {
        FloatVector f = j == 0 ? FloatVector.fromArray(S, w.alpha, 0) : FloatVector.broadcast(S, 1f);
        for (int y = 0; y < vd; y++) {
            FloatVector acc = FloatVector.zero(S);
            for (int x = 0; x < kd; x++) {
                acc = acc.add(FloatVector.fromArray(S, w.s, (x * vd + y) * LANES)
                        .mul(FloatVector.fromArray(S, w.k, (j * kd + x) * LANES)));
            }
            FloatVector.fromArray(S, w.v, (j * vd + y) * LANES).sub(acc.mul(f)).intoArray(w.r, y * LANES);
        }
    }

    /** S = f S + (k_j beta_j) r^T. */
    private static void update(int kd, int vd, int j, Work w) {
        FloatVector f = j == 0 ? FloatVector.fromArray(S, w.alpha, 0) : FloatVector.broadcast(S, 1f);
        FloatVector bt = FloatVector.fromArray(S, w.beta, j * LANES);
        for (int x = 0; x < kd; x++) {
            FloatVector kb = FloatVector.fromArray(S, w.k, (j * kd + x) * LANES).mul(bt);
            for (int y = 0; y < vd; y++) {
                int so = (x * vd + y) * LANES;
                FloatVector.fromArray(S, w.s, so).mul(f).add(kb.mul(FloatVector.fromArray(S, w.r, y * LANES)))
                        .intoArray(w.s, so);
            }
        }
    }

    /** The update with the readout o = S^T q folded in (a token's last sub-step). */
    private static void updateReadout(int kd, int vd, int j, Work w) {
        FloatVector f = j == 0 ? FloatVector.fromArray(S, w.alpha, 0) : FloatVector.broadcast(S, 1f);
        FloatVector bt = FloatVector.fromArray(S, w.beta, j * LANES);
        java.util.Arrays.fill(w.o, 0);
        for (int x = 0; x < kd; x++) {
            FloatVector kb = FloatVector.fromArray(S, w.k, (j * kd + x) * LANES).mul(bt);
            FloatVector qx = FloatVector.fromArray(S, w.q, x * LANES);
            for (int y = 0; y < vd; y++) {
                int so = (x * vd + y) * LANES;
                FloatVector sv = FloatVector.fromArray(S, w.s, so).mul(f)
                        .add(kb.mul(FloatVector.fromArray(S, w.r, y * LANES)));
                sv.intoArray(w.s, so);
                FloatVector.fromArray(S, w.o, y * LANES).add(sv.mul(qx)).intoArray(w.o, y * LANES);
            }
        }
    }

    /** The update keeping the decayed state f S in {@code keep} (backward's recomputation). */
    private static void updateKeeping(int kd, int vd, int j, Work w, float[] keep) {
        FloatVector f = j == 0 ? FloatVector.fromArray(S, w.alpha, 0) : FloatVector.broadcast(S, 1f);
        FloatVector bt = FloatVector.fromArray(S, w.beta, j * LANES);
        for (int x = 0; x < kd; x++) {
            FloatVector kb = FloatVector.fromArray(S, w.k, (j * kd + x) * LANES).mul(bt);
            for (int y = 0; y < vd; y++) {
                int so = (x * vd + y) * LANES;
                FloatVector sv = FloatVector.fromArray(S, w.s, so).mul(f);
                sv.intoArray(keep, so);
                sv.add(kb.mul(FloatVector.fromArray(S, w.r, y * LANES))).intoArray(w.s, so);
            }
        }
    }

    /** Pass A at the last sub-step: gk = G^T k + (q . k) dO, dq = S do, and dr, dv, dbeta from gk. */
    private static void passALast(int kd, int vd, int j, Work w, float[] sj, float[] rj) {
        java.util.Arrays.fill(w.gk, 0);
        FloatVector qk = FloatVector.zero(S);
        for (int x = 0; x < kd; x++) {
            FloatVector kx = FloatVector.fromArray(S, w.k, (j * kd + x) * LANES);
            qk = qk.add(FloatVector.fromArray(S, w.q, x * LANES).mul(kx));
            FloatVector dqx = FloatVector.zero(S);
            for (int y = 0; y < vd; y++) {
                int so = (x * vd + y) * LANES;
                FloatVector.fromArray(S, w.gk, y * LANES).add(FloatVector.fromArray(S, w.ds, so).mul(kx))
                        .intoArray(w.gk, y * LANES);
                dqx = dqx.add(FloatVector.fromArray(S, sj, so).mul(FloatVector.fromArray(S, w.dO, y * LANES)));
            }
            dqx.intoArray(w.dq, x * LANES);
        }
        FloatVector bt = FloatVector.fromArray(S, w.beta, j * LANES);
        FloatVector dbt = FloatVector.zero(S), rdo = FloatVector.zero(S);
        for (int y = 0; y < vd; y++) {
            FloatVector dOy = FloatVector.fromArray(S, w.dO, y * LANES), ry = FloatVector.fromArray(S, rj, y * LANES);
            FloatVector gk = FloatVector.fromArray(S, w.gk, y * LANES).add(qk.mul(dOy));
            gk.intoArray(w.gk, y * LANES);
            rdo = rdo.add(ry.mul(dOy));
            dbt = dbt.add(gk.mul(ry));
            FloatVector dr = bt.mul(gk);
            dr.intoArray(w.dr, y * LANES);
            dr.intoArray(w.dv, (j * vd + y) * LANES);
        }
        dbt.intoArray(w.dbeta, j * LANES);
        rdo.intoArray(w.rdo, 0); // pass B adds beta k (r . do) to dq
    }

    /** Pass A before the last sub-step: gk = G^T k, and dr, dv, dbeta from it. */
    private static void passA(int kd, int vd, int j, Work w, float[] rj) {
        java.util.Arrays.fill(w.gk, 0);
        for (int x = 0; x < kd; x++) {
            FloatVector kx = FloatVector.fromArray(S, w.k, (j * kd + x) * LANES);
            for (int y = 0; y < vd; y++) {
                int so = (x * vd + y) * LANES;
                FloatVector.fromArray(S, w.gk, y * LANES).add(FloatVector.fromArray(S, w.ds, so).mul(kx))
                        .intoArray(w.gk, y * LANES);
            }
        }
        FloatVector bt = FloatVector.fromArray(S, w.beta, j * LANES);
        FloatVector dbt = FloatVector.zero(S);
        for (int y = 0; y < vd; y++) {
            FloatVector gk = FloatVector.fromArray(S, w.gk, y * LANES);
            dbt = dbt.add(gk.mul(FloatVector.fromArray(S, rj, y * LANES)));
            FloatVector dr = bt.mul(gk);
            dr.intoArray(w.dr, y * LANES);
            dr.intoArray(w.dv, (j * vd + y) * LANES);
        }
        dbt.intoArray(w.dbeta, j * LANES);
    }

    /** Pass B: dk, and G becomes dL/dS^(j); at the last sub-step with the readout's q do^T in G. */
    private static void passB(int kd, int vd, int j, boolean last, Work w, float[] sj, float[] rj) {
        FloatVector bt = FloatVector.fromArray(S, w.beta, j * LANES);
        FloatVector rdo = FloatVector.fromArray(S, w.rdo, 0);
        for (int x = 0; x < kd; x++) {
            FloatVector kx = FloatVector.fromArray(S, w.k, (j * kd + x) * LANES);
            FloatVector qx = last ? FloatVector.fromArray(S, w.q, x * LANES) : FloatVector.zero(S);
            if (last) {
                FloatVector.fromArray(S, w.dq, x * LANES).add(bt.mul(kx).mul(rdo)).intoArray(w.dq, x * LANES);
            }
            FloatVector acc1 = FloatVector.zero(S), acc2 = FloatVector.zero(S);
            for (int y = 0; y < vd; y++) {
                int so = (x * vd + y) * LANES;
                FloatVector dr = FloatVector.fromArray(S, w.dr, y * LANES);
                FloatVector gv = FloatVector.fromArray(S, w.ds, so).add(qx.mul(FloatVector.fromArray(S, w.dO, y * LANES)));
                acc1 = acc1.add(gv.mul(FloatVector.fromArray(S, rj, y * LANES)));
                acc2 = acc2.add(FloatVector.fromArray(S, sj, so).mul(dr));
                gv.sub(kx.mul(dr)).intoArray(w.ds, so);
            }
            bt.mul(acc1).sub(acc2).intoArray(w.dk, (j * kd + x) * LANES);
        }
    }

    /** Pass B at the first sub-step with a decay: also da = S^(0) . dL/dS^(0), and dL/dS_{t-1} = alpha that. */
    private static void passBDecay(int kd, int vd, int j, boolean last, Work w, float[] sj, float[] rj) {
        FloatVector bt = FloatVector.fromArray(S, w.beta, j * LANES);
        FloatVector rdo = FloatVector.fromArray(S, w.rdo, 0), alpha = FloatVector.fromArray(S, w.alpha, 0);
        FloatVector da = FloatVector.fromArray(S, w.da, 0);
        for (int x = 0; x < kd; x++) {
            FloatVector kx = FloatVector.fromArray(S, w.k, (j * kd + x) * LANES);
            FloatVector qx = last ? FloatVector.fromArray(S, w.q, x * LANES) : FloatVector.zero(S);
            if (last) {
                FloatVector.fromArray(S, w.dq, x * LANES).add(bt.mul(kx).mul(rdo)).intoArray(w.dq, x * LANES);
            }
            FloatVector acc1 = FloatVector.zero(S), acc2 = FloatVector.zero(S), dax = FloatVector.zero(S);
            for (int y = 0; y < vd; y++) {
                int so = (x * vd + y) * LANES;
                FloatVector dr = FloatVector.fromArray(S, w.dr, y * LANES), s0 = FloatVector.fromArray(S, sj, so);
                FloatVector gv = FloatVector.fromArray(S, w.ds, so).add(qx.mul(FloatVector.fromArray(S, w.dO, y * LANES)));
                acc1 = acc1.add(gv.mul(FloatVector.fromArray(S, rj, y * LANES)));
                acc2 = acc2.add(s0.mul(dr));
                FloatVector next = gv.sub(kx.mul(dr));
                dax = dax.add(s0.mul(next));
                next.mul(alpha).intoArray(w.ds, so);
            }
            da = da.add(dax); // a row at a time, as the scalar form: one chain over all of S ran at its latency
            bt.mul(acc1).sub(acc2).intoArray(w.dk, (j * kd + x) * LANES);
        }
        da.intoArray(w.da, 0);
    }

    /** The token's q, k, v, beta and decay of the group's sequences, one lane each (gathered loads). */
    private static void gather(DeltaRuleRecurrent.Dims d, int t, float[] q, float[] k, float[] v,
                               float[] beta, float[] alpha, Work w) {
        int kd = d.k(), vd = d.v(), nh = d.subSteps(), heads = d.heads();
        VectorLoops.gatherRows(q, t * d.heads() * kd, kd, w.iq, w.q);
        for (int j = 0; j < nh; j++) {
            int bi = (t * nh + j) * heads; // this token's sub-step j, relative to each lane's first row
            for (int x = 0; x < kd; x++) {
                FloatVector.fromArray(S, k, bi * kd + x, w.ik, 0).intoArray(w.k, (j * kd + x) * LANES);
            }
            for (int y = 0; y < vd; y++) {
                FloatVector.fromArray(S, v, bi * vd + y, w.iv, 0).intoArray(w.v, (j * vd + y) * LANES);
            }
            FloatVector.fromArray(S, beta, bi, w.ib, 0).intoArray(w.beta, j * LANES);
        }
        if (alpha == null) {
            java.util.Arrays.fill(w.alpha, 1);
        } else {
            FloatVector.fromArray(S, alpha, t * heads, w.ia, 0).intoArray(w.alpha, 0);
        }
    }

    private static void scatterGrads(DeltaRuleRecurrent.Dims d, int t, Work w, float[] dq, float[] dk,
                                     float[] dv, float[] dbeta, float[] da) {
        int kd = d.k(), vd = d.v(), nh = d.subSteps(), heads = d.heads();
        VectorLoops.scatterRows(w.dq, dq, t * d.heads() * kd, kd, w.iq);
        for (int j = 0; j < nh; j++) {
            int bi = (t * nh + j) * heads;
            for (int x = 0; x < kd; x++) {
                FloatVector.fromArray(S, w.dk, (j * kd + x) * LANES).intoArray(dk, bi * kd + x, w.ik, 0);
            }
            for (int y = 0; y < vd; y++) {
                FloatVector.fromArray(S, w.dv, (j * vd + y) * LANES).intoArray(dv, bi * vd + y, w.iv, 0);
            }
            FloatVector.fromArray(S, w.dbeta, j * LANES).intoArray(dbeta, bi, w.ib, 0);
        }
        if (da != null) {
            FloatVector.fromArray(S, w.da, 0).intoArray(da, t * heads, w.ia, 0);
        }
    }

    /** States [sequences, n] of the group into lanes [n, lanes] (zeros for null). */
    private static void toLanes(float[] states, int g0, int n, float[] out) {
        for (int l = 0; l < LANES; l++) {
            for (int e = 0; e < n; e++) {
                out[e * LANES + l] = states == null ? 0 : states[(g0 + l) * n + e];
            }
        }
    }

    private static void fromLanes(float[] lanes, int g0, int n, float[] states) {
        for (int l = 0; l < LANES; l++) {
            for (int e = 0; e < n; e++) {
                states[(g0 + l) * n + e] = lanes[e * LANES + l];
            }
        }
    }
}
