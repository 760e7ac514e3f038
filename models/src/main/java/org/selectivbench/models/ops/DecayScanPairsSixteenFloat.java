package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DecayScanPairsFloat}'s backward for GLA's heads on a 512-bit machine: 8 keys, 16 values (a vector
 * per head), a decay per key. Through a chunk of steps dL/dS stays in registers, each key's or value's
 * terms written out: first in the [K, 2V] layout for dv (16 vectors), then in the [V, 2K] layout for dq,
 * dk and the decays' gradients (16 vectors, in two methods of 8: {@link #backKeysFirst}); the two
 * recurrences share nothing, so each runs through the chunk on its own. The recomputed states likewise. Each method calls nothing while it holds vectors (C2
 * kept vectors live across a call as heap objects). The same operations in the same order per entry, so
 * the same bits ({@code DecayScanTest}). Loaded only when {@link Simd#on}.
 */
final class DecayScanPairsSixteenFloat {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** The upper half's lanes: the second head's keys. */
    private static final VectorMask<Float> SECOND = VectorMask.fromLong(S, 0xff00L);

    private DecayScanPairsSixteenFloat() {
    }

    /** Whether it takes these heads: 8 keys and 16 values on 16 lanes, a decay per key, paired. */
    static boolean takes(DecayScanRecurrent.Dims d) {
        return S.length() == 16 && d.k() == 8 && d.v() == 16 && d.decay() == DecayScanRecurrent.Decay.CHANNEL
                && DecayScanPairsFloat.takes(d);
    }

    /**
     * Backward's recomputation of steps [t0, t1) of the pair at head h of batch b in the [V, 2K] layout:
     * states[t - t0 + 1] = diag(alpha_t) states[t - t0] + k_t v_t^T, from states[0].
     */
    static void recompute(DecayScanRecurrent.Dims d, DecayScanFloat.Saved sv, int b, int h, int t0, int t1,
                          float[][] states) {
        float[] k = sv.k(), v = sv.v(), alpha = sv.alpha();
        FloatVector s0 = FloatVector.fromArray(S, states[0], 0);
        FloatVector s1 = FloatVector.fromArray(S, states[0], 16);
        FloatVector s2 = FloatVector.fromArray(S, states[0], 32);
        FloatVector s3 = FloatVector.fromArray(S, states[0], 48);
        FloatVector s4 = FloatVector.fromArray(S, states[0], 64);
        FloatVector s5 = FloatVector.fromArray(S, states[0], 80);
        FloatVector s6 = FloatVector.fromArray(S, states[0], 96);
        FloatVector s7 = FloatVector.fromArray(S, states[0], 112);
        FloatVector s8 = FloatVector.fromArray(S, states[0], 128);
        FloatVector s9 = FloatVector.fromArray(S, states[0], 144);
        FloatVector s10 = FloatVector.fromArray(S, states[0], 160);
        FloatVector s11 = FloatVector.fromArray(S, states[0], 176);
        FloatVector s12 = FloatVector.fromArray(S, states[0], 192);
        FloatVector s13 = FloatVector.fromArray(S, states[0], 208);
        FloatVector s14 = FloatVector.fromArray(S, states[0], 224);
        FloatVector s15 = FloatVector.fromArray(S, states[0], 240);
        for (int t = t0; t < t1; t++) {
            int r = (b * d.steps() + t) * d.heads() + h, k0 = r * 8, v0 = r * 16;
            FloatVector kk = FloatVector.fromArray(S, k, k0), dec = FloatVector.fromArray(S, alpha, k0);
            float[] now = states[t - t0 + 1];
            s0 = dec.mul(s0).add(kk.mul(FloatVector.broadcast(S, v[v0 + 0]).blend(v[v0 + 16], SECOND)));
            s0.intoArray(now, 0);
            s1 = dec.mul(s1).add(kk.mul(FloatVector.broadcast(S, v[v0 + 1]).blend(v[v0 + 17], SECOND)));
            s1.intoArray(now, 16);
            s2 = dec.mul(s2).add(kk.mul(FloatVector.broadcast(S, v[v0 + 2]).blend(v[v0 + 18], SECOND)));
            s2.intoArray(now, 32);
            s3 = dec.mul(s3).add(kk.mul(FloatVector.broadcast(S, v[v0 + 3]).blend(v[v0 + 19], SECOND)));
            s3.intoArray(now, 48);
            s4 = dec.mul(s4).add(kk.mul(FloatVector.broadcast(S, v[v0 + 4]).blend(v[v0 + 20], SECOND)));
            s4.intoArray(now, 64);
            s5 = dec.mul(s5).add(kk.mul(FloatVector.broadcast(S, v[v0 + 5]).blend(v[v0 + 21], SECOND)));
            s5.intoArray(now, 80);
            s6 = dec.mul(s6).add(kk.mul(FloatVector.broadcast(S, v[v0 + 6]).blend(v[v0 + 22], SECOND)));
            s6.intoArray(now, 96);
            s7 = dec.mul(s7).add(kk.mul(FloatVector.broadcast(S, v[v0 + 7]).blend(v[v0 + 23], SECOND)));
            s7.intoArray(now, 112);
            s8 = dec.mul(s8).add(kk.mul(FloatVector.broadcast(S, v[v0 + 8]).blend(v[v0 + 24], SECOND)));
            s8.intoArray(now, 128);
            s9 = dec.mul(s9).add(kk.mul(FloatVector.broadcast(S, v[v0 + 9]).blend(v[v0 + 25], SECOND)));
            s9.intoArray(now, 144);
            s10 = dec.mul(s10).add(kk.mul(FloatVector.broadcast(S, v[v0 + 10]).blend(v[v0 + 26], SECOND)));
            s10.intoArray(now, 160);
            s11 = dec.mul(s11).add(kk.mul(FloatVector.broadcast(S, v[v0 + 11]).blend(v[v0 + 27], SECOND)));
            s11.intoArray(now, 176);
            s12 = dec.mul(s12).add(kk.mul(FloatVector.broadcast(S, v[v0 + 12]).blend(v[v0 + 28], SECOND)));
            s12.intoArray(now, 192);
            s13 = dec.mul(s13).add(kk.mul(FloatVector.broadcast(S, v[v0 + 13]).blend(v[v0 + 29], SECOND)));
            s13.intoArray(now, 208);
            s14 = dec.mul(s14).add(kk.mul(FloatVector.broadcast(S, v[v0 + 14]).blend(v[v0 + 30], SECOND)));
            s14.intoArray(now, 224);
            s15 = dec.mul(s15).add(kk.mul(FloatVector.broadcast(S, v[v0 + 15]).blend(v[v0 + 31], SECOND)));
            s15.intoArray(now, 240);
        }
    }

    /** dv of steps [t0, t1), last first, from dL/dS in the [K, 2V] layout (rows), left there. */
    static void backValues(DecayScanRecurrent.Dims d, DecayScanFloat.Saved sv, int b, int h, int t0, int t1,
                           float[] dO, float[] dv, float[] rows) {
        float[] q = sv.q(), k = sv.k(), alpha = sv.alpha();
        FloatVector r00 = FloatVector.fromArray(S, rows, 0);
        FloatVector r10 = FloatVector.fromArray(S, rows, 16);
        FloatVector r01 = FloatVector.fromArray(S, rows, 32);
        FloatVector r11 = FloatVector.fromArray(S, rows, 48);
        FloatVector r02 = FloatVector.fromArray(S, rows, 64);
        FloatVector r12 = FloatVector.fromArray(S, rows, 80);
        FloatVector r03 = FloatVector.fromArray(S, rows, 96);
        FloatVector r13 = FloatVector.fromArray(S, rows, 112);
        FloatVector r04 = FloatVector.fromArray(S, rows, 128);
        FloatVector r14 = FloatVector.fromArray(S, rows, 144);
        FloatVector r05 = FloatVector.fromArray(S, rows, 160);
        FloatVector r15 = FloatVector.fromArray(S, rows, 176);
        FloatVector r06 = FloatVector.fromArray(S, rows, 192);
        FloatVector r16 = FloatVector.fromArray(S, rows, 208);
        FloatVector r07 = FloatVector.fromArray(S, rows, 224);
        FloatVector r17 = FloatVector.fromArray(S, rows, 240);
        for (int t = t1 - 1; t >= t0; t--) {
            int r = (b * d.steps() + t) * d.heads() + h, k0 = r * 8, v0 = r * 16;
            FloatVector dOv, dvv;
            dOv = FloatVector.fromArray(S, dO, v0 + 0);
            dvv = FloatVector.zero(S);
            r00 = r00.add(dOv.mul(q[k0 + 0]));
            dvv = dvv.add(r00.mul(k[k0 + 0]));
            r00 = r00.mul(alpha[k0 + 0]);
            r01 = r01.add(dOv.mul(q[k0 + 1]));
            dvv = dvv.add(r01.mul(k[k0 + 1]));
            r01 = r01.mul(alpha[k0 + 1]);
            r02 = r02.add(dOv.mul(q[k0 + 2]));
            dvv = dvv.add(r02.mul(k[k0 + 2]));
            r02 = r02.mul(alpha[k0 + 2]);
            r03 = r03.add(dOv.mul(q[k0 + 3]));
            dvv = dvv.add(r03.mul(k[k0 + 3]));
            r03 = r03.mul(alpha[k0 + 3]);
            r04 = r04.add(dOv.mul(q[k0 + 4]));
            dvv = dvv.add(r04.mul(k[k0 + 4]));
            r04 = r04.mul(alpha[k0 + 4]);
            r05 = r05.add(dOv.mul(q[k0 + 5]));
            dvv = dvv.add(r05.mul(k[k0 + 5]));
            r05 = r05.mul(alpha[k0 + 5]);
            r06 = r06.add(dOv.mul(q[k0 + 6]));
            dvv = dvv.add(r06.mul(k[k0 + 6]));
            r06 = r06.mul(alpha[k0 + 6]);
            r07 = r07.add(dOv.mul(q[k0 + 7]));
            dvv = dvv.add(r07.mul(k[k0 + 7]));
            r07 = r07.mul(alpha[k0 + 7]);
            dvv.intoArray(dv, v0 + 0);
            dOv = FloatVector.fromArray(S, dO, v0 + 16);
            dvv = FloatVector.zero(S);
            r10 = r10.add(dOv.mul(q[k0 + 8]));
            dvv = dvv.add(r10.mul(k[k0 + 8]));
            r10 = r10.mul(alpha[k0 + 8]);
            r11 = r11.add(dOv.mul(q[k0 + 9]));
            dvv = dvv.add(r11.mul(k[k0 + 9]));
            r11 = r11.mul(alpha[k0 + 9]);
            r12 = r12.add(dOv.mul(q[k0 + 10]));
            dvv = dvv.add(r12.mul(k[k0 + 10]));
            r12 = r12.mul(alpha[k0 + 10]);
            r13 = r13.add(dOv.mul(q[k0 + 11]));
            dvv = dvv.add(r13.mul(k[k0 + 11]));
            r13 = r13.mul(alpha[k0 + 11]);
            r14 = r14.add(dOv.mul(q[k0 + 12]));
            dvv = dvv.add(r14.mul(k[k0 + 12]));
            r14 = r14.mul(alpha[k0 + 12]);
            r15 = r15.add(dOv.mul(q[k0 + 13]));
            dvv = dvv.add(r15.mul(k[k0 + 13]));
            r15 = r15.mul(alpha[k0 + 13]);
            r16 = r16.add(dOv.mul(q[k0 + 14]));
            dvv = dvv.add(r16.mul(k[k0 + 14]));
            r16 = r16.mul(alpha[k0 + 14]);
            r17 = r17.add(dOv.mul(q[k0 + 15]));
            dvv = dvv.add(r17.mul(k[k0 + 15]));
            r17 = r17.mul(alpha[k0 + 15]);
            dvv.intoArray(dv, v0 + 16);
        }
        r00.intoArray(rows, 0);
        r10.intoArray(rows, 16);
        r01.intoArray(rows, 32);
        r11.intoArray(rows, 48);
        r02.intoArray(rows, 64);
        r12.intoArray(rows, 80);
        r03.intoArray(rows, 96);
        r13.intoArray(rows, 112);
        r04.intoArray(rows, 128);
        r14.intoArray(rows, 144);
        r05.intoArray(rows, 160);
        r15.intoArray(rows, 176);
        r06.intoArray(rows, 192);
        r16.intoArray(rows, 208);
        r07.intoArray(rows, 224);
        r17.intoArray(rows, 240);
    }

    /**
     * dq, dk and the decays' gradients da of steps [t0, t1), last first, from dL/dS in the [V, 2K] layout
     * (cols), left there: the sums over values 0-7, left in dq, dk and da for {@link #backKeysLast}, which
     * goes on with values 8-15 (the same terms in the same order). One method for all 16 rows was too big
     * for C1 ("out of virtual registers"), which left it in code that runs the vectors' Java fallbacks,
     * three times as slow, until C2 compiled it, in some JVMs never. states[t - t0] and states[t - t0 + 1]
     * hold the states before and after step t.
     */
    static void backKeysFirst(DecayScanRecurrent.Dims d, DecayScanFloat.Saved sv, int b, int h, int t0, int t1,
                         float[][] states, float[] dO, float[] dq, float[] dk, float[] da, float[] cols) {
        float[] q = sv.q(), v = sv.v();
        float[] alpha = sv.alpha();
        FloatVector c0 = FloatVector.fromArray(S, cols, 0);
        FloatVector c1 = FloatVector.fromArray(S, cols, 16);
        FloatVector c2 = FloatVector.fromArray(S, cols, 32);
        FloatVector c3 = FloatVector.fromArray(S, cols, 48);
        FloatVector c4 = FloatVector.fromArray(S, cols, 64);
        FloatVector c5 = FloatVector.fromArray(S, cols, 80);
        FloatVector c6 = FloatVector.fromArray(S, cols, 96);
        FloatVector c7 = FloatVector.fromArray(S, cols, 112);
        for (int t = t1 - 1; t >= t0; t--) {
            int r = (b * d.steps() + t) * d.heads() + h, k0 = r * 8, v0 = r * 16;
            // values 0-7 of both heads, the second's loaded from 8 before so that they land on the upper
            // half, each pair of them then by one permute (VectorLoops.P0-P7; recompute keeps its
            // broadcasts, faster there)
            FloatVector dOLo = FloatVector.fromArray(S, dO, v0).blend(FloatVector.fromArray(S, dO, v0 + 8), SECOND);
            FloatVector vLo = FloatVector.fromArray(S, v, v0).blend(FloatVector.fromArray(S, v, v0 + 8), SECOND);
            float[] prev = states[t - t0], now = states[t - t0 + 1];
            FloatVector qk = FloatVector.fromArray(S, q, k0);
            FloatVector dec = FloatVector.fromArray(S, alpha, k0);
            FloatVector dqk = FloatVector.zero(S), dkk = dqk, dak = dqk, dOy;
            dOy = dOLo.rearrange(VectorLoops.P0);
            dqk = dqk.add(FloatVector.fromArray(S, now, 0).mul(dOy));
            c0 = c0.add(qk.mul(dOy));
            dkk = dkk.add(c0.mul(vLo.rearrange(VectorLoops.P0)));
            dak = dak.add(c0.mul(FloatVector.fromArray(S, prev, 0)));
            c0 = c0.mul(dec);
            dOy = dOLo.rearrange(VectorLoops.P1);
            dqk = dqk.add(FloatVector.fromArray(S, now, 16).mul(dOy));
            c1 = c1.add(qk.mul(dOy));
            dkk = dkk.add(c1.mul(vLo.rearrange(VectorLoops.P1)));
            dak = dak.add(c1.mul(FloatVector.fromArray(S, prev, 16)));
            c1 = c1.mul(dec);
            dOy = dOLo.rearrange(VectorLoops.P2);
            dqk = dqk.add(FloatVector.fromArray(S, now, 32).mul(dOy));
            c2 = c2.add(qk.mul(dOy));
            dkk = dkk.add(c2.mul(vLo.rearrange(VectorLoops.P2)));
            dak = dak.add(c2.mul(FloatVector.fromArray(S, prev, 32)));
            c2 = c2.mul(dec);
            dOy = dOLo.rearrange(VectorLoops.P3);
            dqk = dqk.add(FloatVector.fromArray(S, now, 48).mul(dOy));
            c3 = c3.add(qk.mul(dOy));
            dkk = dkk.add(c3.mul(vLo.rearrange(VectorLoops.P3)));
            dak = dak.add(c3.mul(FloatVector.fromArray(S, prev, 48)));
            c3 = c3.mul(dec);
            dOy = dOLo.rearrange(VectorLoops.P4);
            dqk = dqk.add(FloatVector.fromArray(S, now, 64).mul(dOy));
            c4 = c4.add(qk.mul(dOy));
            dkk = dkk.add(c4.mul(vLo.rearrange(VectorLoops.P4)));
            dak = dak.add(c4.mul(FloatVector.fromArray(S, prev, 64)));
            c4 = c4.mul(dec);
            dOy = dOLo.rearrange(VectorLoops.P5);
            dqk = dqk.add(FloatVector.fromArray(S, now, 80).mul(dOy));
            c5 = c5.add(qk.mul(dOy));
            dkk = dkk.add(c5.mul(vLo.rearrange(VectorLoops.P5)));
            dak = dak.add(c5.mul(FloatVector.fromArray(S, prev, 80)));
            c5 = c5.mul(dec);
            dOy = dOLo.rearrange(VectorLoops.P6);
            dqk = dqk.add(FloatVector.fromArray(S, now, 96).mul(dOy));
            c6 = c6.add(qk.mul(dOy));
            dkk = dkk.add(c6.mul(vLo.rearrange(VectorLoops.P6)));
            dak = dak.add(c6.mul(FloatVector.fromArray(S, prev, 96)));
            c6 = c6.mul(dec);
            dOy = dOLo.rearrange(VectorLoops.P7);
            dqk = dqk.add(FloatVector.fromArray(S, now, 112).mul(dOy));
            c7 = c7.add(qk.mul(dOy));
            dkk = dkk.add(c7.mul(vLo.rearrange(VectorLoops.P7)));
            dak = dak.add(c7.mul(FloatVector.fromArray(S, prev, 112)));
            c7 = c7.mul(dec);
            dqk.intoArray(dq, k0);
            dkk.intoArray(dk, k0);
            dak.intoArray(da, k0);
        }
        c0.intoArray(cols, 0);
        c1.intoArray(cols, 16);
        c2.intoArray(cols, 32);
        c3.intoArray(cols, 48);
        c4.intoArray(cols, 64);
        c5.intoArray(cols, 80);
        c6.intoArray(cols, 96);
        c7.intoArray(cols, 112);
    }

    /**
     * {@link #backKeysFirst}'s sums continued over values 8-15, and da's product by the decay.
     */
    static void backKeysLast(DecayScanRecurrent.Dims d, DecayScanFloat.Saved sv, int b, int h, int t0, int t1,
                         float[][] states, float[] dO, float[] dq, float[] dk, float[] da, float[] cols) {
        float[] q = sv.q(), v = sv.v();
        float[] alpha = sv.alpha();
        FloatVector c8 = FloatVector.fromArray(S, cols, 128);
        FloatVector c9 = FloatVector.fromArray(S, cols, 144);
        FloatVector c10 = FloatVector.fromArray(S, cols, 160);
        FloatVector c11 = FloatVector.fromArray(S, cols, 176);
        FloatVector c12 = FloatVector.fromArray(S, cols, 192);
        FloatVector c13 = FloatVector.fromArray(S, cols, 208);
        FloatVector c14 = FloatVector.fromArray(S, cols, 224);
        FloatVector c15 = FloatVector.fromArray(S, cols, 240);
        for (int t = t1 - 1; t >= t0; t--) {
            int r = (b * d.steps() + t) * d.heads() + h, k0 = r * 8, v0 = r * 16;
            // values 8-15 of both heads: the first's loaded from 8 on, on the lower half
            FloatVector dOHi = FloatVector.fromArray(S, dO, v0 + 8)
                    .blend(FloatVector.fromArray(S, dO, v0 + 16), SECOND);
            FloatVector vHi = FloatVector.fromArray(S, v, v0 + 8).blend(FloatVector.fromArray(S, v, v0 + 16), SECOND);
            float[] prev = states[t - t0], now = states[t - t0 + 1];
            FloatVector qk = FloatVector.fromArray(S, q, k0);
            FloatVector dec = FloatVector.fromArray(S, alpha, k0);
            FloatVector dqk = FloatVector.fromArray(S, dq, k0), dkk = FloatVector.fromArray(S, dk, k0);
            FloatVector dak = FloatVector.fromArray(S, da, k0), dOy;
            dOy = dOHi.rearrange(VectorLoops.P0);
            dqk = dqk.add(FloatVector.fromArray(S, now, 128).mul(dOy));
            c8 = c8.add(qk.mul(dOy));
            dkk = dkk.add(c8.mul(vHi.rearrange(VectorLoops.P0)));
            dak = dak.add(c8.mul(FloatVector.fromArray(S, prev, 128)));
            c8 = c8.mul(dec);
            dOy = dOHi.rearrange(VectorLoops.P1);
            dqk = dqk.add(FloatVector.fromArray(S, now, 144).mul(dOy));
            c9 = c9.add(qk.mul(dOy));
            dkk = dkk.add(c9.mul(vHi.rearrange(VectorLoops.P1)));
            dak = dak.add(c9.mul(FloatVector.fromArray(S, prev, 144)));
            c9 = c9.mul(dec);
            dOy = dOHi.rearrange(VectorLoops.P2);
            dqk = dqk.add(FloatVector.fromArray(S, now, 160).mul(dOy));
            c10 = c10.add(qk.mul(dOy));
            dkk = dkk.add(c10.mul(vHi.rearrange(VectorLoops.P2)));
            dak = dak.add(c10.mul(FloatVector.fromArray(S, prev, 160)));
            c10 = c10.mul(dec);
            dOy = dOHi.rearrange(VectorLoops.P3);
            dqk = dqk.add(FloatVector.fromArray(S, now, 176).mul(dOy));
            c11 = c11.add(qk.mul(dOy));
            dkk = dkk.add(c11.mul(vHi.rearrange(VectorLoops.P3)));
            dak = dak.add(c11.mul(FloatVector.fromArray(S, prev, 176)));
            c11 = c11.mul(dec);
            dOy = dOHi.rearrange(VectorLoops.P4);
            dqk = dqk.add(FloatVector.fromArray(S, now, 192).mul(dOy));
            c12 = c12.add(qk.mul(dOy));
            dkk = dkk.add(c12.mul(vHi.rearrange(VectorLoops.P4)));
            dak = dak.add(c12.mul(FloatVector.fromArray(S, prev, 192)));
            c12 = c12.mul(dec);
            dOy = dOHi.rearrange(VectorLoops.P5);
            dqk = dqk.add(FloatVector.fromArray(S, now, 208).mul(dOy));
            c13 = c13.add(qk.mul(dOy));
            dkk = dkk.add(c13.mul(vHi.rearrange(VectorLoops.P5)));
            dak = dak.add(c13.mul(FloatVector.fromArray(S, prev, 208)));
            c13 = c13.mul(dec);
            dOy = dOHi.rearrange(VectorLoops.P6);
            dqk = dqk.add(FloatVector.fromArray(S, now, 224).mul(dOy));
            c14 = c14.add(qk.mul(dOy));
            dkk = dkk.add(c14.mul(vHi.rearrange(VectorLoops.P6)));
            dak = dak.add(c14.mul(FloatVector.fromArray(S, prev, 224)));
            c14 = c14.mul(dec);
            dOy = dOHi.rearrange(VectorLoops.P7);
            dqk = dqk.add(FloatVector.fromArray(S, now, 240).mul(dOy));
            c15 = c15.add(qk.mul(dOy));
            dkk = dkk.add(c15.mul(vHi.rearrange(VectorLoops.P7)));
            dak = dak.add(c15.mul(FloatVector.fromArray(S, prev, 240)));
            c15 = c15.mul(dec);
            dqk.intoArray(dq, k0);
            dkk.intoArray(dk, k0);
            dak.mul(dec).intoArray(da, k0);
        }
        c8.intoArray(cols, 128);
        c9.intoArray(cols, 144);
        c10.intoArray(cols, 160);
        c11.intoArray(cols, 176);
        c12.intoArray(cols, 192);
        c13.intoArray(cols, 208);
        c14.intoArray(cols, 224);
        c15.intoArray(cols, 240);
    }
}
