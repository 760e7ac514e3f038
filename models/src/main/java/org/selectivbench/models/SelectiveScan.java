package org.selectivbench.models;

import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * The elementwise linear recurrence h_t = A_t h_{t-1} + u_t (h_0 = 0) over the time axis of
 * [B, T, X] tensors, for Mamba's selective scan, where the decay is per (channel, state) and the
 * value per state is a scalar, so the attention-like chunked forms (a [C, C] matrix per state and
 * channel) cost more than the states themselves.
 *
 * <p>Hillis-Steele prefix scans of ceil(log2 n) levels, each combining every step with the one s
 * before it (s = 1, 2, 4, ...): h_t += A_t h_{t-s}, A_t *= A_{t-s}, shifts as a zero pad in front and a
 * slice. The transitions A are in (0, 1], so their products only underflow towards 0, which is
 * exact enough: no exp of a cumulative sum, nothing to overflow, at any length.
 *
 * <p>Chunked, because every level keeps a few [B, T, X] arrays for backprop (X = inner width times
 * state size, the largest arrays of a Mamba step; unchunked, a task-2 step at width 32 passed 14 GB):
 * a scan of log2(C) levels inside each chunk of C steps, one over the n = T / C chunk ends (arrays C
 * times smaller), then h = h_local + A_cumulative * (state entering the chunk). About seven ops per
 * level, whatever T.
 */
public final class SelectiveScan {
    private SelectiveScan() {
    }

    /**
     * @param transition A [B, T, X], entries in (0, 1]
     * @param u          [B, T, X]
     * @param chunkSize  chunk length C (T must be a multiple when longer; the model pads)
     * @return h [B, T, X]
     */
    public static SDVariable scan(SameDiff sd, SDVariable transition, SDVariable u, int t, int x, int chunkSize) {
        int c = Scans.chunk(t, chunkSize);
        int n = t / c;
        if (n == 1) {
            return levels(sd, transition, u, t, false)[0];
        }
        SDVariable[] local = withinChunks(sd, transition.reshape(-1, c, x), u.reshape(-1, c, x), c);
        SDVariable hLocal = local[0], aCumulative = local[1]; // [B*n, C, X]
        SDVariable hEnd = hLocal.get(SDIndex.all(), SDIndex.interval(c - 1, c), SDIndex.all()).reshape(-1, n, x);
        SDVariable aEnd = aCumulative.get(SDIndex.all(), SDIndex.interval(c - 1, c), SDIndex.all()).reshape(-1, n, x);
        SDVariable ends = levels(sd, aEnd, hEnd, n, false)[0]; // the state after each chunk [B, n, X]
        SDVariable entering = Blocks.later(sd, ends, 3, 1, 1, n, 0.0).reshape(-1, 1, x); // [B*n, 1, X]
        // entering spread over the chunk as zeros + a broadcast add: M2.1's broadcast multiply backprop
        // works element by element (see Blocks.maskBlocks)
        return hLocal.add(aCumulative.mul(Blocks.spread(sd, aCumulative, entering))).reshape(-1, t, x);
    }

    /**
     * Mamba's scan with its readout, y_t[c] = sum_n h_t[c, n] C_t[n] where h_t[c, n] = exp(dt_t[c]
     * A[c, n]) h_{t-1}[c, n] + dtx_t[c] B_t[n], without ever holding a [B, T, X] array (X = di * N): for
     * task 4's long evaluations, where the states of one sequence at paper scale (20,200 steps, di 512,
     * N 128) are 5 GB per array. Everything is built one position of the chunks at a time, on
     * [B*T/C, X] slices: a first pass gives every chunk's end state and total decay, a prefix scan over
     * the chunk ends gives the state entering each chunk, and a second pass runs the recurrence again
     * from there with the readout. Each pass recomputes its transitions, and each slice's ops wait for
     * the previous position's state (control dependencies): SameDiff runs an op as soon as its inputs
     * exist, so the second pass's transitions of all positions would otherwise be computed up front and
     * held, a full [B, T, X] array again. Twice the work of {@link #scan}, and more ops.
     *
     * @param dt   [B*T, di] step sizes
     * @param negA [di, N] the (negative) continuous-time transition A
     * @param dtx  [B*T, di] dt * x
     * @param bm   [B*T, N] input projection B
     * @param cm   [B*T, N] readout C
     * @param floor forget floor (0 = none): transitions floor + (1 - floor) exp(dt A)
     * @return y [B*T, di]
     */
    static SDVariable scanReadout(SameDiff sd, SDVariable dt, SDVariable negA, SDVariable dtx, SDVariable bm,
                                  SDVariable cm, int t, int di, int n, int chunkSize, double floor) {
        int c = Scans.chunk(t, chunkSize);
        int chunks = t / c;
        SDVariable[] dts = sd.unstack(dt.reshape(-1, c, di), 1, c);
        SDVariable[] dtxs = sd.unstack(dtx.reshape(-1, c, di), 1, c);
        SDVariable[] bs = sd.unstack(bm.reshape(-1, c, n), 1, c);
        SDVariable[] cs = sd.unstack(cm.reshape(-1, c, n), 1, c);
        SDVariable h = null;
        if (chunks > 1) { // first pass: each chunk's end state and total transition (a running product)
            SDVariable total = null;
            for (int p = 0; p < c; p++) {
                SDVariable u = input(sd, dtxs[p], bs[p], di, n, h);
                SDVariable a = transition(sd, dts[p], negA, di, n, floor, h);
                h = h == null ? u : a.mul(h).add(u);
                total = total == null ? a : a.mul(total);
            }
            h = entering(sd, total.reshape(-1, chunks, di * n), h.reshape(-1, chunks, di * n), chunks)
                    .reshape(-1, di, n);
        }
        SDVariable[] ys = new SDVariable[c];
        for (int p = 0; p < c; p++) { // second pass, from the entering states, with the readout
            SDVariable u = input(sd, dtxs[p], bs[p], di, n, h);
            h = h == null ? u : transition(sd, dts[p], negA, di, n, floor, h).mul(h).add(u);
            ys[p] = sd.mmul(h, cs[p].reshape(-1, n, 1)).reshape(-1, di);
        }
        return sd.stack(1, ys).reshape(-1, di);
    }

    /** dtx[r, c] B[r, n] as [rows, di, N] (a batched outer product), not before {@code after} when given. */
    private static SDVariable input(SameDiff sd, SDVariable dtx, SDVariable bm, int di, int n, SDVariable after) {
        SDVariable u = sd.mmul(dtx.reshape(-1, di, 1), bm.reshape(-1, 1, n));
        if (after != null) {
            u.addControlDependency(after); // see scanReadout
        }
        return u;
    }

    /**
     * exp(dt[r, c] A[c, n]) as [rows, di, N], the outer product per channel as a batched matmul; its
     * first [rows, di, N] op waits for {@code after} when that is given.
     */
    private static SDVariable transition(SameDiff sd, SDVariable dt, SDVariable negA, int di, int n, double floor,
                                         SDVariable after) {
        SDVariable dtA = sd.mmul(dt.permute(1, 0).reshape(di, -1, 1), negA.reshape(di, 1, n));
        if (after != null) {
            dtA.addControlDependency(after);
        }
        SDVariable a = sd.math().exp(dtA.permute(1, 0, 2));
        return floor > 0 ? a.mul(1 - floor).add(floor) : a;
    }

    /**
     * The state entering each of n chunks, E_0 = 0, E_c = A_{c-1} E_{c-1} + S_{c-1}, from the chunk end
     * states S [G, n, X] of the chunked scans and each chunk's total transition A [G, n, X] (entries
     * in (0, 1]), by the same prefix scan: log2(n) levels on arrays the size of the states, so memory
     * grows as n log n, where a matrix of pairwise chunk decays grew as n^2 (its constant as n^3: at
     * a paper-scale task-4 evaluation, 20,200 steps in chunks of 16, two billion entries).
     */
    static SDVariable entering(SameDiff sd, SDVariable transition, SDVariable states, int n) {
        return Blocks.later(sd, levels(sd, transition, states, n, false)[0], 3, 1, 1, n, 0.0);
    }

    /**
     * The recurrence inside every chunk at once, position by position: C steps of ops over
     * [B*n, X] slices, so each op is 1/C of the sequence and the arrays kept for backprop add up to a
     * few [B, T, X] arrays (Hillis-Steele keeps seven per level). Returns {h, cumulative product of A}.
     */
    private static SDVariable[] withinChunks(SameDiff sd, SDVariable a, SDVariable u, int c) {
        SDVariable[] as = sd.unstack(a, 1, c);
        SDVariable[] us = sd.unstack(u, 1, c);
        SDVariable[] hs = new SDVariable[c];
        SDVariable[] cum = new SDVariable[c];
        hs[0] = us[0];
        cum[0] = as[0];
        for (int i = 1; i < c; i++) {
            hs[i] = as[i].mul(hs[i - 1]).add(us[i]);
            cum[i] = as[i].mul(cum[i - 1]);
        }
        return new SDVariable[] {sd.stack(1, hs), sd.stack(1, cum)};
    }

    /** Hillis-Steele over axis 1 (length t): {h, the cumulative product of A if asked (else partial)}. */
    private static SDVariable[] levels(SameDiff sd, SDVariable a, SDVariable h, int t, boolean cumulative) {
        for (int s = 1; s < t; s *= 2) {
            h = h.add(a.mul(Blocks.later(sd, h, 3, 1, s, t, 0.0)));
            if (cumulative || 2 * s < t) {
                a = a.mul(Blocks.later(sd, a, 3, 1, s, t, 1.0)); // ones in front: a product over fewer steps
            }
        }
        return new SDVariable[] {h, a};
    }
}
