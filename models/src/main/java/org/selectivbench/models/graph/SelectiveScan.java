package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Mamba's selective scan with its readout: per channel c and state n, h_t[c, n] = exp(dt_t[c] A[c, n])
 * h_{t-1}[c, n] + dtx_t[c] B_t[n], y_t[c] = sum_n h_t[c, n] C_t[n]. The decay is per (channel, state)
 * and the value per state a scalar, so the attention-like chunked forms (a [C, C] matrix per state
 * and channel) cost more than the states themselves; the states [B, T, di, N] are the largest arrays
 * of a Mamba step (419 million numbers at the bench shape), and the form is chosen to hold as few of
 * them as possible.
 *
 * <p>Everything is built one position of the chunks at a time, on [B*T/C, di, N] slices: a first pass
 * gives every chunk's end state, a prefix scan over the chunk ends gives the state entering each
 * chunk, and a second pass runs the recurrence again from there with the readout. A chunk's total
 * decay is exp(A sum_p dt_p), one slice, not a running product (except under a forget floor, where
 * the transitions are not exponentials). No [B, T, di, N] array is ever stacked or corrected as a
 * whole.
 */
public final class SelectiveScan {
    private SelectiveScan() {
    }

    /**
     * In training the second pass reuses the first pass's transitions and inputs, which backprop keeps
     * anyway (after the forward pass of a batch-8 step at the bench shape about ten state-sized arrays
     * per layer are alive, MemoryTraceRun: backprop of a sum keeps both summands too). Long evaluations
     * run in segments ({@link BoundedEvaluation}), which bounds the states' size whatever the length.
     *
     * @param dt    [B*T, di] step sizes
     * @param negA  [di, N] the (negative) continuous-time transition A
     * @param dtx   [B*T, di] dt * x
     * @param bm    [B*T, N] input projection B
     * @param cm    [B*T, N] readout C
     * @param floor forget floor (0 = none): transitions floor + (1 - floor) exp(dt A)
     * @param start [B, di, N] the state before the first step (a segment of a long evaluation), or null for 0
     * @return y [B*T, di], and the state after the last step [B, di, N] when {@code start} is given
     */
    static Scans.Result scanReadout(SameDiff sd, SDVariable dt, SDVariable negA, SDVariable dtx, SDVariable bm,
                                    SDVariable cm, int t, int di, int n, int chunkSize, double floor,
                                    SDVariable start) {
        int c = Scans.chunk(t, chunkSize);
        int chunks = t / c;
        int x = di * n;
        SDVariable[] dts = sd.unstack(dt.reshape(-1, c, di), 1, c);
        SDVariable[] dtxs = sd.unstack(dtx.reshape(-1, c, di), 1, c);
        SDVariable[] bs = sd.unstack(bm.reshape(-1, c, n), 1, c);
        SDVariable[] cs = sd.unstack(cm.reshape(-1, c, n), 1, c);
        SDVariable[] as = new SDVariable[c], us = new SDVariable[c];
        SDVariable h = null;
        if (chunks > 1) { // first pass: each chunk's end state and total transition
            SDVariable total = null;
            for (int p = 0; p < c; p++) {
                us[p] = input(sd, dtxs[p], bs[p], di, n);
                as[p] = transition(sd, dts[p], negA, di, n, floor);
                h = h == null ? us[p] : as[p].mul(h).add(us[p]);
                if (floor > 0) {
                    total = total == null ? as[p] : as[p].mul(total);
                }
            }
            if (floor == 0) {
                total = transition(sd, dt.reshape(-1, c, di).sum(1), negA, di, n, 0);
            }
            SDVariable tot = total.reshape(-1, chunks, x), ends = h.reshape(-1, chunks, x);
            // a start state: chunk 0's entering state, in front of zeros for the other chunks
            SDVariable first = null;
            if (start != null) {
                first = sd.nn().pad(start.reshape(-1, 1, x),
                        sd.constant(Nd4j.createFromArray(new int[][] {{0, 0}, {0, chunks - 1}, {0, 0}})), 0.0);
                ends = ends.add(tot.mul(first)); // chunk 0 ends at A_0 start + S_0
            }
            SDVariable e = entering(sd, tot, ends, chunks);
            h = (first == null ? e : e.add(first)).reshape(-1, di, n);
        } else if (start != null) {
            h = start;
        }
        SDVariable[] ys = new SDVariable[c];
        for (int p = 0; p < c; p++) { // second pass, from the entering states, with the readout
            SDVariable u = us[p] == null ? input(sd, dtxs[p], bs[p], di, n) : us[p];
            if (h == null) {
                h = u;
            } else {
                h = (as[p] == null ? transition(sd, dts[p], negA, di, n, floor) : as[p]).mul(h).add(u);
            }
            ys[p] = sd.mmul(h, cs[p].reshape(-1, n, 1)).reshape(-1, di);
        }
        SDVariable y = sd.stack(1, ys).reshape(-1, di);
        SDVariable end = start == null ? null : h.reshape(-1, chunks, x)
                .get(SDIndex.all(), SDIndex.interval(chunks - 1, chunks), SDIndex.all()).reshape(-1, di, n);
        return new Scans.Result(y, end);
    }

    /** dtx[r, c] B[r, n] as [rows, di, N] (a batched outer product). */
    private static SDVariable input(SameDiff sd, SDVariable dtx, SDVariable bm, int di, int n) {
        return sd.mmul(dtx.reshape(-1, di, 1), bm.reshape(-1, 1, n));
    }

    /** exp(dt[r, c] A[c, n]) as [rows, di, N], the outer product per channel as a batched matmul. */
    private static SDVariable transition(SameDiff sd, SDVariable dt, SDVariable negA, int di, int n, double floor) {
        SDVariable dtA = sd.mmul(dt.permute(1, 0).reshape(di, -1, 1), negA.reshape(di, 1, n));
        SDVariable a = sd.math().exp(dtA.permute(1, 0, 2));
        return floor > 0 ? a.mul(1 - floor).add(floor) : a;
    }

    /**
     * The state entering each of n chunks, E_0 = 0, E_c = A_{c-1} E_{c-1} + S_{c-1}, from the chunk end
     * states S [G, n, X] and each chunk's total transition A [G, n, X] (entries in (0, 1]), by a
     * Hillis-Steele prefix scan: ceil(log2 n) levels, each combining every chunk with the one s before
     * it (s = 1, 2, 4, ...): h_c += A_c h_{c-s}, A_c *= A_{c-s}. Memory grows as n log n, where a
     * matrix of pairwise chunk decays grew as n^2 (its constant as n^3: at a paper-scale task-4
     * evaluation, 20,200 steps in chunks of 16, two billion entries). The products of transitions
     * only underflow towards 0, which is exact enough: nothing to overflow, at any length.
     */
    static SDVariable entering(SameDiff sd, SDVariable transition, SDVariable states, int n) {
        SDVariable a = transition, h = states;
        for (int s = 1; s < n; s *= 2) {
            h = h.add(a.mul(Blocks.later(sd, h, 3, 1, s, n, 0.0)));
            if (2 * s < n) {
                a = a.mul(Blocks.later(sd, a, 3, 1, s, n, 1.0)); // ones in front: a product over fewer chunks
            }
        }
        return Blocks.later(sd, h, 3, 1, 1, n, 0.0);
    }
}
