package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link QkRopeFloat}'s heads of 8, loaded only when {@link Simd#on}: a row's
 * heads {@link #HEADS} to a vector (two at 16 lanes, one at 8), read where they lie in the row, so that
 * no gather is needed (a head per lane by gathers and scatters was slower than the scalar form,
 * docs/engine-log.md). A head's sums keep the scalar form's order, so the bits are the scalar form's:
 * forward's sum of squares is the scalar loop on the row (a shuffle per entry cost more), backward's dot
 * adds the head's entries 0 to 7 in turn in every lane, each picked out by a shuffle. The head layout's
 * two places for a vector's two heads go through a scratch row.
 */
final class QkRopeFloatVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Heads of 8 per vector; 0 where a vector is not one or two heads (the scalar form runs). */
    static final int HEADS = S.length() == 8 || S.length() == 16 ? S.length() / 8 : 0;
    /** Lanes of the second head of a vector, at 16 lanes. */
    private static final VectorMask<Float> SECOND = VectorMask.fromLong(S, 0xff00L & ((1L << S.length()) - 1));
    /** Each lane gets entry j of its head (a field each, so that each is a constant). */
    private static final VectorShuffle<Float> P0 = VectorShuffle.fromOp(S, l -> l & ~7);
    private static final VectorShuffle<Float> P1 = VectorShuffle.fromOp(S, l -> (l & ~7) + 1);
    private static final VectorShuffle<Float> P2 = VectorShuffle.fromOp(S, l -> (l & ~7) + 2);
    private static final VectorShuffle<Float> P3 = VectorShuffle.fromOp(S, l -> (l & ~7) + 3);
    private static final VectorShuffle<Float> P4 = VectorShuffle.fromOp(S, l -> (l & ~7) + 4);
    private static final VectorShuffle<Float> P5 = VectorShuffle.fromOp(S, l -> (l & ~7) + 5);
    private static final VectorShuffle<Float> P6 = VectorShuffle.fromOp(S, l -> (l & ~7) + 6);
    private static final VectorShuffle<Float> P7 = VectorShuffle.fromOp(S, l -> (l & ~7) + 7);
    /** Entries j and j + 4 of each head swapped: RoPE's pairs. */
    private static final VectorShuffle<Float> SWAP = VectorShuffle.fromOp(S, l -> l ^ 4);

    private QkRopeFloatVector() {
    }

    /**
     * {@link QkRopeFloat#normRotate8} for q and k of row r's heads [0, heads - heads % HEADS); returns the
     * first head not done. wq2, wk2: the weights once per head of a vector ([S.length()]); lane: scratch of
     * a vector's length.
     */
    static int forward(QkRope.Dims d, int r, float[] rows, float[] wq2, float[] wk2, QkRopeFloat.Tables rope,
                       float[] q, float[] k, float[] rms, float[] inv, float[] lane) {
        int w = d.width(), whole = d.heads() - d.heads() % HEADS, t = r % d.steps();
        for (int h = 0; h < whole; h += HEADS) {
            for (int part = 0; part < 2; part++) {
                FloatVector one = FloatVector.broadcast(S, 1); // in the loop: see Simd on receivers in loops
                FloatVector cos = FloatVector.fromArray(S, rope.cosLanes(), t * 16);
                FloatVector sin = FloatVector.fromArray(S, rope.sinLanes(), t * 16);
                int xo = r * 3 * w + part * w + h * 8;
                FloatVector x = FloatVector.fromArray(S, rows, xo);
                FloatVector ss = FloatVector.broadcast(S, QkRopeFloat.sumOfSquares8(rows, xo));
                if (HEADS == 2) {
                    ss = ss.blend(QkRopeFloat.sumOfSquares8(rows, xo + 8), SECOND);
                }
                FloatVector rm = ss.div(8).sqrt(), iv = one.div(rm.add((float) QkRope.EPS));
                FloatVector y = x.mul(iv).mul(FloatVector.fromArray(S, part == 0 ? wq2 : wk2, 0));
                // (a, b) to (a c + b s, b c - a s): sinLanes holds -s in each head's second half
                y.mul(cos).add(y.rearrange(SWAP).mul(sin)).intoArray(lane, 0);
                float[] out = part == 0 ? q : k;
                int i = 2 * (r * d.heads() + h) + part;
                System.arraycopy(lane, 0, out, d.headOffset(r, h), 8);
                rms[i] = rm.lane(0);
                inv[i] = iv.lane(0);
                if (HEADS == 2) {
                    System.arraycopy(lane, 8, out, d.headOffset(r, h + 1), 8);
                    rms[i + 2] = rm.lane(8);
                    inv[i + 2] = iv.lane(8);
                }
            }
        }
        return whole;
    }

    /**
     * {@link QkRopeFloat#back8} for q and k of row r's heads [0, heads - heads % HEADS), from the
     * gradients dq, dk in the head layout; returns the first head not done. Arguments as in
     * {@link #forward}, and the weights' terms into tq, tk.
     */
    static int backward(QkRope.Dims d, int r, float[] rows, float[] wq2, float[] wk2, QkRopeFloat.Tables rope,
                        float[] dq, float[] dk, float[] rms, float[] inv, float[] dRows, float[] tq, float[] tk,
                        float[] lane) {
        int w = d.width(), whole = d.heads() - d.heads() % HEADS, t = r % d.steps();
        for (int h = 0; h < whole; h += HEADS) {
            for (int part = 0; part < 2; part++) {
                float[] g = part == 0 ? dq : dk;
                System.arraycopy(g, d.headOffset(r, h), lane, 0, 8);
                if (HEADS == 2) {
                    System.arraycopy(g, d.headOffset(r, h + 1), lane, 8, 8);
                }
                int i = 2 * (r * d.heads() + h) + part, xo = r * 3 * w + part * w + h * 8;
                FloatVector iv = FloatVector.broadcast(S, inv[i]), rm = FloatVector.broadcast(S, rms[i]);
                if (HEADS == 2) {
                    iv = iv.blend(inv[i + 2], SECOND);
                    rm = rm.blend(rms[i + 2], SECOND);
                }
                FloatVector cos = FloatVector.fromArray(S, rope.cosLanes(), t * 16);
                FloatVector sin = FloatVector.fromArray(S, rope.sinLanes(), t * 16);
                FloatVector gv = FloatVector.fromArray(S, lane, 0);
                // the unrotation: (a, b) to (a c - b s, b c + a s)
                FloatVector n = gv.mul(cos).add(gv.rearrange(SWAP).mul(sin.neg()));
                FloatVector x = FloatVector.fromArray(S, rows, xo);
                FloatVector nw = n.mul(FloatVector.fromArray(S, part == 0 ? wq2 : wk2, 0));
                FloatVector p = nw.mul(x);
                FloatVector dot = FloatVector.zero(S).add(p.rearrange(P0)).add(p.rearrange(P1))
                        .add(p.rearrange(P2)).add(p.rearrange(P3)).add(p.rearrange(P4)).add(p.rearrange(P5))
                        .add(p.rearrange(P6)).add(p.rearrange(P7));
                FloatVector coef = dot.mul(iv).mul(iv).div(rm.mul(8));
                nw.mul(iv).sub(x.mul(coef)).intoArray(dRows, xo);
                n.mul(x).mul(iv).intoArray(part == 0 ? tq : tk, r * w + h * 8);
            }
        }
        return whole;
    }
}
