package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Building blocks shared by several mixers (SPEC 6, "Shared parts"). Rows are [B*T, ...] unless stated. */
public final class Blocks {
    /** Added to masked logits before exp: exp(-1e30 + anything finite) = 0, with a zero gradient. */
    static final double MASKED = -1e30;

    private Blocks() {
    }

    /**
     * Short causal depthwise conv over time (kernel K) then SiLU: y_t = silu(b + sum_j w_j x_{t-K+1+j}).
     * One zero pad in front, then per tap j the slice of the padded input shifted by j times w_j spread
     * to the slice's shape (a same-shape product: M2.1's broadcast multiply backprop goes element by
     * element), summed; checked against a plain loop in ShortConvTest. libnd4j's depthwise conv2d,
     * used before, took 0.1-1.3 s per call forward and 0.3-5.3 s backward at a Gated DeltaProduct
     * step of the bench shape ([16, 451, 512] inputs), over a third of the step's op time.
     * Init as torch's depthwise Conv1d: uniform(+-1/sqrt(K)). In a segment graph the pad is the last
     * K-1 inputs of the previous segment (carried state {@code name.tail}).
     */
    public static SDVariable shortConv(GraphBuilder g, String name, SDVariable x, int channels, int kernel,
                                       boolean bias) {
        SameDiff sd = g.sd();
        int t = g.steps();
        double bound = 1.0 / Math.sqrt(kernel);
        SDVariable w = g.param(name + ".w", ParamStore.Init.uniform(bound), kernel, channels);
        SDVariable seq = x.reshape(-1, t, channels);
        // In a segment of a long evaluation the K-1 steps in front are the previous segment's last inputs.
        SDVariable tail = kernel > 1 ? g.carriedIn(name + ".tail", kernel - 1, channels) : null;
        SDVariable padded = tail != null ? sd.concat(1, tail, seq) // [B, T+K-1, C]
                : sd.nn().pad(seq, sd.constant(Nd4j.createFromArray(new int[][] {{0, 0}, {kernel - 1, 0}, {0, 0}})), 0.0);
        if (tail != null) {
            g.carryOut(name + ".tail", padded.get(SDIndex.all(), SDIndex.interval(t, t + kernel - 1), SDIndex.all()));
        }
        SDVariable y = null;
        for (int j = 0; j < kernel; j++) {
            SDVariable tap = padded.get(SDIndex.all(), SDIndex.interval(j, j + t), SDIndex.all());
            SDVariable wj = w.get(SDIndex.interval(j, j + 1), SDIndex.all()).reshape(1, 1, channels);
            SDVariable term = tap.mul(spread(sd, tap, wj));
            y = y == null ? term : y.add(term);
        }
        if (bias) {
            y = y.add(g.param(name + ".b", ParamStore.Init.uniform(bound), channels));
        }
        return silu(sd, y.reshape(-1, channels));
    }

    public static SDVariable silu(SameDiff sd, SDVariable x) {
        return sd.nn().swish(x);
    }

    /** RMSNorm over the last axis of rows [*, n]: x / sqrt(mean x^2 + eps) * w, w init 1. */
    public static SDVariable rmsNorm(GraphBuilder g, String name, SDVariable x, int n) {
        SDVariable w = g.param(name, ParamStore.Init.constant(1.0), n);
        return rmsNormNoWeight(g.sd(), x).mul(w);
    }

    /**
     * Rows [*, n] only. Reductions use explicit positive axes: in M2.1 a keepDims reduction over
     * axis -1 of a rank-3 array returns wrong, run-to-run varying values.
     */
    static SDVariable rmsNormNoWeight(SameDiff sd, SDVariable x) {
        SDVariable ms = sd.math().square(x).mean(true, 1);
        return x.mul(sd.math().rsqrt(ms.add(1e-5)));
    }

    /** L2 norm over {@code axis} (give it as a positive number, see rmsNormNoWeight): x / sqrt(sum x^2 + 1e-6). */
    public static SDVariable l2Norm(SameDiff sd, SDVariable x, int axis) {
        return x.mul(sd.math().rsqrt(sd.math().square(x).sum(true, axis).add(1e-6)));
    }

    /** [B*T, H*K] rows to per-head sequences [B*H, T, K]. */
    public static SDVariable toHeads(SDVariable x, int t, int heads, int k) {
        return x.reshape(-1, t, heads, k).permute(0, 2, 1, 3).reshape(-1, t, k);
    }

    /** Per-head sequences [B*H, T, K] back to rows [B*T, H*K]. */
    public static SDVariable fromHeads(SDVariable x, int t, int heads, int k) {
        return x.reshape(-1, heads, t, k).permute(0, 2, 1, 3).reshape(-1, heads * k);
    }

    /**
     * x [R, C, C] times a constant 0/1 mask [C, C], per row block. Written as an elementwise product
     * with a full-size mask rather than a broadcast product: M2.1's backprop of a broadcast multiply
     * (and its tile op) computes element by element, about 0.2-1 s per 4M elements on one core. The
     * full mask is zeros of x's shape plus the mask: it is built from x's integer shape only, so no
     * gradient flows into it, and the forward broadcast add is fast.
     */
    static SDVariable maskBlocks(GraphBuilder g, String name, SDVariable x, INDArray mask) {
        long c = mask.rows();
        return x.mul(spread(g.sd(), x, g.constant(name, mask.reshape(1, c, c))));
    }

    /**
     * x (rank {@code rank}) moved s places later along {@code axis}, whose length is {@code length}:
     * {@code fill} in front, the last s dropped (a pad and a slice). The prefix scans' shift.
     */
    static SDVariable later(SameDiff sd, SDVariable x, int rank, int axis, int s, int length, double fill) {
        int[][] pad = new int[rank][2];
        pad[axis][0] = s;
        SDIndex[] keep = new SDIndex[rank];
        java.util.Arrays.fill(keep, SDIndex.all());
        keep[axis] = SDIndex.interval(0, length);
        return sd.nn().pad(x, sd.constant(Nd4j.createFromArray(pad)), fill).get(keep);
    }

    /** x broadcast to the shape of {@code like}, as zeros plus x: its product with like is not a broadcast. */
    static SDVariable spread(SameDiff sd, SDVariable like, SDVariable x) {
        return sd.fill(like.shape(), like.dataType(), 0.0).add(x);
    }

    /** [n, n] with 1 where the predicate on (row i, column j) holds. */
    static INDArray matrix(int n, java.util.function.BiPredicate<Integer, Integer> on, double yes, double no) {
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                m[i][j] = on.test(i, j) ? yes : no;
            }
        }
        return Nd4j.createFromArray(m).castTo(DataType.DOUBLE);
    }
}
