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
 * adds the head's entries 0 to 7 in turn in every lane, each picked out by a shuffle. A vector's two heads
 * lie apart in the head layout: read by two loads and a blend, written by two whole stores that run into
 * each head's next row ({@link #toHeads}). The layout changes between rows and heads,
 * {@link QkRopeFloat#toRows} and {@link QkRopeFloat#toHeads}, go the same way.
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
    /** A vector's two heads swapped. */
    private static final VectorShuffle<Float> HALVES = VectorShuffle.fromOp(S, l -> l ^ (8 & (S.length() - 1)));
    /** Entries j and j + 4 of each head swapped: RoPE's pairs. */
    private static final VectorShuffle<Float> SWAP = VectorShuffle.fromOp(S, l -> l ^ 4);

    private QkRopeFloatVector() {
    }

    /**
     * {@link QkRopeFloat#normRotate8} for q and k of row r's heads [0, heads - heads % HEADS); returns the
     * first head not done, with the same heads of v copied. to: the end of the calling thread's rows (see
     * {@link #writesAhead}); wq2, wk2: the weights once per head of a vector ([S.length()]); lane: scratch
     * of a vector's length.
     */
    static int forward(QkRope.Dims d, int r, int to, float[] rows, float[] wq2, float[] wk2, QkRopeFloat.Tables rope,
                       float[] q, float[] k, float[] v, float[] rms, float[] inv, float[] lane) {
        int w = d.width(), whole = d.heads() - d.heads() % HEADS, t = r % d.steps();
        boolean ahead = writesAhead(d, r, to);
        for (int h = 0; h < whole; h += HEADS) {
            toHeads(d, rows, r * 3 * w + 2 * w + h * 8, v, r, h, ahead, lane);
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
                FloatVector z = y.mul(cos).add(y.rearrange(SWAP).mul(sin));
                float[] out = part == 0 ? q : k;
                if (ahead) { // whole vectors: see toHeads
                    z.intoArray(out, d.headOffset(r, h));
                    if (HEADS == 2) {
                        z.rearrange(HALVES).intoArray(out, d.headOffset(r, h + 1));
                    }
                } else {
                    z.intoArray(lane, 0);
                    toHeads(d, lane, 0, out, r, h, false, lane);
                }
                int i = 2 * (r * d.heads() + h) + part;
                rms[i] = rm.lane(0);
                inv[i] = iv.lane(0);
                if (HEADS == 2) {
                    rms[i + 2] = rm.lane(8);
                    inv[i + 2] = iv.lane(8);
                }
            }
        }
        return whole;
    }

    /**
     * {@link QkRopeFloat#back8} for q and k of row r's heads [0, heads - heads % HEADS), from the
     * gradients dq, dk in the head layout; returns the first head not done, with the same heads of dv
     * copied into dRows. Arguments as in {@link #forward}, and the weights' terms into tq, tk.
     */
    static int backward(QkRope.Dims d, int r, float[] rows, float[] wq2, float[] wk2, QkRopeFloat.Tables rope,
                        float[] dq, float[] dk, float[] rms, float[] inv, float[] dRows, float[] tq, float[] tk,
                        float[] dv) {
        int w = d.width(), whole = d.heads() - d.heads() % HEADS, t = r % d.steps();
        for (int h = 0; h < whole; h += HEADS) {
            toRows(d, dv, r, h, dRows, r * 3 * w + 2 * w + h * 8);
            for (int part = 0; part < 2; part++) {
                float[] g = part == 0 ? dq : dk;
                FloatVector gv = FloatVector.fromArray(S, g, d.headOffset(r, h)); // as toRows
                if (HEADS == 2) {
                    gv = gv.blend(FloatVector.fromArray(S, g, d.headOffset(r, h + 1) - 8), SECOND);
                }
                int i = 2 * (r * d.heads() + h) + part, xo = r * 3 * w + part * w + h * 8;
                FloatVector iv = FloatVector.broadcast(S, inv[i]), rm = FloatVector.broadcast(S, rms[i]);
                if (HEADS == 2) {
                    iv = iv.blend(inv[i + 2], SECOND);
                    rm = rm.blend(rms[i + 2], SECOND);
                }
                FloatVector cos = FloatVector.fromArray(S, rope.cosLanes(), t * 16);
                FloatVector sin = FloatVector.fromArray(S, rope.sinLanes(), t * 16);
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

    /**
     * {@link QkRopeFloat#toRows} for row r's heads of whole vectors, returning the first head not done.
     */
    static int toRows(QkRope.Dims d, float[] heads, float[] rows, int r) {
        int whole = d.heads() - d.heads() % HEADS;
        for (int h = 0; h < whole; h += HEADS) {
            toRows(d, heads, r, h, rows, (r * d.heads() + h) * 8);
        }
        return whole;
    }

    /**
     * {@link QkRopeFloat#toHeads} for row r's heads of whole vectors, returning the first head not done;
     * {@code to}: the end of the calling thread's rows (see {@link #writesAhead}).
     */
    static int toHeads(QkRope.Dims d, float[] rows, float[] heads, int r, int to, float[] lane) {
        int whole = d.heads() - d.heads() % HEADS;
        boolean ahead = writesAhead(d, r, to);
        for (int h = 0; h < whole; h += HEADS) {
            toHeads(d, rows, (r * d.heads() + h) * 8, heads, r, h, ahead, lane);
        }
        return whole;
    }

    /**
     * Row r's heads h.. of the head layout [B*H, T, 8] to rows at o: one load, and at two heads a vector
     * a second that ends at the second head, blended in.
     */
    private static void toRows(QkRope.Dims d, float[] heads, int r, int h, float[] rows, int o) {
        FloatVector x = FloatVector.fromArray(S, heads, d.headOffset(r, h));
        if (HEADS == 2) {
            x = x.blend(FloatVector.fromArray(S, heads, d.headOffset(r, h + 1) - 8), SECOND);
        }
        x.intoArray(rows, o);
    }

    /**
     * Whether row r's whole-vector stores may run into the next row's place in each head: that row's heads
     * are written later, by the same thread, only when the next row is of the same sequence and of the
     * thread's rows (r + 1 below {@code to}).
     */
    private static boolean writesAhead(QkRope.Dims d, int r, int to) {
        return r % d.steps() < d.steps() - 1 && r + 1 < to;
    }

    /**
     * A vector's worth of row r's heads h.., at o in x, into the head layout. Ahead ({@link #writesAhead}):
     * whole vectors, each head's second half landing on the head's next row, which that row's turn
     * overwrites (8 lanes stored under a mask, or two heads through a scratch row, cost more than the
     * heads' arithmetic, docs/engine-log.md); else 8 floats a head through {@code lane}.
     */
    private static void toHeads(QkRope.Dims d, float[] x, int o, float[] heads, int r, int h, boolean ahead,
                                float[] lane) {
        FloatVector v = FloatVector.fromArray(S, x, o);
        if (ahead) {
            v.intoArray(heads, d.headOffset(r, h));
            if (HEADS == 2) {
                v.rearrange(HALVES).intoArray(heads, d.headOffset(r, h + 1));
            }
            return;
        }
        v.intoArray(lane, 0);
        System.arraycopy(lane, 0, heads, d.headOffset(r, h), 8);
        if (HEADS == 2) {
            System.arraycopy(lane, 8, heads, d.headOffset(r, h + 1), 8);
        }
    }
}
