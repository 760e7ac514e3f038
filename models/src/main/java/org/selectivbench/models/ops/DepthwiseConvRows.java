package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DepthwiseConv}'s float form for four taps (the models' conv size) a row at a time over whole
 * vectors of channels, the rows every tap reaches without the tail: each output's four terms in
 * registers and stored once, where the tap-at-a-time form reads and writes every output once per tap
 * (the loops wait on memory, not arithmetic). The same terms in the same order per output, so the same
 * bits; {@link DepthwiseConv} does the rows and channels left. Loaded only when {@link Simd#on}.
 */
final class DepthwiseConvRows {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /**
     * Steps per block: every vector of channels takes a block's rows before the next block, so that they
     * come from memory once; a whole sequence a vector of channels at a time walked each row of it once
     * per vector, and where the rows had left the cache that wait was most of the conv (docs/engine-log.md).
     */
    private static final int BLOCK = 16;

    private DepthwiseConvRows() {
    }

    /** Whether the row form takes d: four taps, more steps than three, a whole vector of channels. */
    static boolean takes(DepthwiseConv.Dims d) {
        return d.kernel() == 4 && d.steps() > 3 && d.channels() >= F.length();
    }

    /** The channels it does: whole vectors. */
    static int channels(int ch) {
        return ch - ch % F.length();
    }

    /**
     * pre = (((init + w0 x_{s-3}) + w1 x_{s-2}) + w2 x_{s-1}) + w3 x_s for steps s in [3, t) of the sequence
     * whose rows start at o; init is the bias, or 0 (as the zeros array's entries).
     */
    static void forward(int t, int ch, int o, float[] x, float[] w, float[] init, float[] pre) {
        for (int s0 = 3; s0 < t; s0 += BLOCK) {
            int s1 = Math.min(t, s0 + BLOCK);
            for (int c = 0; c < channels(ch); c += F.length()) {
                FloatVector w0 = FloatVector.fromArray(F, w, c), w1 = FloatVector.fromArray(F, w, ch + c);
                FloatVector w2 = FloatVector.fromArray(F, w, 2 * ch + c), w3 = FloatVector.fromArray(F, w, 3 * ch + c);
                FloatVector b = FloatVector.fromArray(F, init, c);
                for (int s = s0, r = o + s0 * ch + c; s < s1; s++, r += ch) {
                    b.add(w0.mul(FloatVector.fromArray(F, x, r - 3 * ch)))
                            .add(w1.mul(FloatVector.fromArray(F, x, r - 2 * ch)))
                            .add(w2.mul(FloatVector.fromArray(F, x, r - ch)))
                            .add(w3.mul(FloatVector.fromArray(F, x, r))).intoArray(pre, r);
                }
            }
        }
    }

    /**
     * dx_s = (((0 + w3 d_s) + w2 d_{s+1}) + w1 d_{s+2}) + w0 d_{s+3} for steps s in [0, t - 3), and the
     * weight gradients' sums over steps s in [3, t) added to parts [4, C] in step order.
     */
    static void backward(int t, int ch, int o, float[] x, float[] w, float[] dpre, float[] dx, float[] parts,
                         int po) {
        for (int s0 = 0; s0 < t; s0 += BLOCK) {
            int s1 = Math.min(t, s0 + BLOCK);
            for (int c = 0; c < channels(ch); c += F.length()) {
                FloatVector w0 = FloatVector.fromArray(F, w, c), w1 = FloatVector.fromArray(F, w, ch + c);
                FloatVector w2 = FloatVector.fromArray(F, w, 2 * ch + c), w3 = FloatVector.fromArray(F, w, 3 * ch + c);
                FloatVector zero = FloatVector.zero(F);
                for (int s = s0, r = o + s0 * ch + c; s < Math.min(s1, t - 3); s++, r += ch) {
                    zero.add(w3.mul(FloatVector.fromArray(F, dpre, r)))
                            .add(w2.mul(FloatVector.fromArray(F, dpre, r + ch)))
                            .add(w1.mul(FloatVector.fromArray(F, dpre, r + 2 * ch)))
                            .add(w0.mul(FloatVector.fromArray(F, dpre, r + 3 * ch))).intoArray(dx, r);
                }
                // the four tap sums in registers through the block, not through parts each step (one store
                // and reload per step); C2 keeps these four as registers (the step's heap stayed 1.6 MB)
                int p = po + c;
                FloatVector a0 = FloatVector.fromArray(F, parts, p), a1 = FloatVector.fromArray(F, parts, p + ch);
                FloatVector a2 = FloatVector.fromArray(F, parts, p + 2 * ch);
                FloatVector a3 = FloatVector.fromArray(F, parts, p + 3 * ch);
                for (int s = Math.max(3, s0), r = o + s * ch + c; s < s1; s++, r += ch) {
                    FloatVector g = FloatVector.fromArray(F, dpre, r);
                    a0 = FloatVector.fromArray(F, x, r - 3 * ch).mul(g).add(a0);
                    a1 = FloatVector.fromArray(F, x, r - 2 * ch).mul(g).add(a1);
                    a2 = FloatVector.fromArray(F, x, r - ch).mul(g).add(a2);
                    a3 = FloatVector.fromArray(F, x, r).mul(g).add(a3);
                }
                a0.intoArray(parts, p);
                a1.intoArray(parts, p + ch);
                a2.intoArray(parts, p + 2 * ch);
                a3.intoArray(parts, p + 3 * ch);
            }
        }
    }
}
