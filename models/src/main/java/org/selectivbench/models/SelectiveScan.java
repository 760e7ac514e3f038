package org.selectivbench.models;

import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The elementwise linear recurrence h_t = A_t h_{t-1} + u_t (h_0 = 0) over the time axis of
 * [B, T, X] tensors, for Mamba's selective scan, where the decay is per (channel, state) and the
 * value per state is a scalar, so the attention-like chunked forms (a [C, C] matrix per state and
 * channel) cost more than the states themselves.
 *
 * <p>Hillis-Steele prefix scan in ceil(log2 T) levels, each combining every step with the one s
 * before it (s = 1, 2, 4, ...): h_t += A_t h_{t-s}, A_t *= A_{t-s}, shifts as a zero pad in front and a
 * slice. The transitions A are in (0, 1], so their products only underflow towards 0, which is
 * exact enough: no exp of a cumulative sum, nothing to overflow, at any length. About seven ops per
 * level, whatever T; memory is a few [B, T, X] arrays per level, kept for backprop.
 */
public final class SelectiveScan {
    private SelectiveScan() {
    }

    /**
     * @param transition A [B, T, X], entries in (0, 1]
     * @param u          [B, T, X]
     * @return h [B, T, X]
     */
    public static SDVariable scan(SameDiff sd, SDVariable transition, SDVariable u, int t) {
        SDVariable h = u;
        SDVariable a = transition;
        for (int s = 1; s < t; s *= 2) {
            h = h.add(a.mul(shift(sd, h, s, t)));
            if (2 * s < t) {
                a = a.mul(shift(sd, a, s, t));
            }
        }
        return h;
    }

    /** x moved s steps later along axis 1 (zeros in front, the last s steps dropped). */
    private static SDVariable shift(SameDiff sd, SDVariable x, int s, int t) {
        SDVariable padded = sd.nn().pad(x, sd.constant(Nd4j.createFromArray(new int[][] {{0, 0}, {s, 0}, {0, 0}})), 0.0);
        return padded.get(SDIndex.all(), SDIndex.interval(0, t), SDIndex.all());
    }
}
