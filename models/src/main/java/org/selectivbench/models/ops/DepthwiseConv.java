package org.selectivbench.models.ops;

/**
 * The short causal depthwise conv's linear part, as plain loops (the CPU kernel of
 * {@code modules.ShortConv}): per sequence b and channel c,
 * <pre>
 *   pre[b, t, c] = bias[c] + sum_j w[j, c] x[b, t - K + 1 + j, c]
 * </pre>
 * with x before the first step taken from {@code tail} (the previous segment's last K-1 inputs) or 0.
 * Layouts: x, pre [B*T, C] rows ordered (b, t); w [K, C]; tail [B, K-1, C]. Weight gradients are summed
 * per batch row, then over rows in order, so they do not depend on the thread count. Each method has a
 * float form, the same operations on float arrays, for float32 models (the loops wait on memory, and
 * floats halve it).
 */
public final class DepthwiseConv {
    private DepthwiseConv() {
    }

    public record Dims(int batch, int steps, int channels, int kernel) {
    }

    /** x at (b, s, c) for s in [-(K-1), T): the tail before the first step. */
    private static double at(Dims d, double[] x, double[] tail, int b, int s, int c) {
        int ch = d.channels();
        if (s >= 0) {
            return x[(b * d.steps() + s) * ch + c];
        }
        return tail == null ? 0 : tail[tailAt(d, b, s) + c];
    }

    /** Offset of sequence b's tail row for step s < 0. */
    private static int tailAt(Dims d, int b, int s) {
        return (b * (d.kernel() - 1) + d.kernel() - 1 + s) * d.channels();
    }

    public static void forward(Dims d, double[] x, double[] tail, double[] w, double[] bias, double[] pre) {
        int ch = d.channels(), k = d.kernel(), t = d.steps();
        Parallel.forRange(d.batch(), (from, to) -> {
            for (int b = from; b < to; b++) {
                for (int s = 0; s < t; s++) {
                    int o = (b * t + s) * ch;
                    for (int c = 0; c < ch; c++) {
                        pre[o + c] = bias == null ? 0 : bias[c];
                    }
                    for (int j = 0; j < k; j++) {
                        int src = s - k + 1 + j, wo = j * ch;
                        if (src >= 0) {
                            Loops.addProducts(pre, o, w, wo, x, (b * t + src) * ch, ch);
                        } else if (tail != null) {
                            Loops.addProducts(pre, o, w, wo, tail, tailAt(d, b, src), ch);
                        }
                    }
                }
            }
        });
    }

    /** The last K-1 inputs of each sequence [B, K-1, C] (from the tail when the sequence is shorter). */
    public static double[] lastInputs(Dims d, double[] x, double[] tail) {
        int ch = d.channels(), k1 = d.kernel() - 1;
        double[] out = new double[d.batch() * k1 * ch];
        for (int b = 0; b < d.batch(); b++) {
            for (int i = 0; i < k1; i++) {
                for (int c = 0; c < ch; c++) {
                    out[(b * k1 + i) * ch + c] = at(d, x, tail, b, d.steps() - k1 + i, c);
                }
            }
        }
        return out;
    }

    /** Writes dx [B*T, C], dw [K, C] and dbias [C] (when not null) from dpre. */
    public static void backward(Dims d, double[] x, double[] tail, double[] w, double[] dpre, double[] dx, double[] dw,
                                double[] dbias) {
        int ch = d.channels(), k = d.kernel(), t = d.steps();
        double[] parts = new double[d.batch() * (k + 1) * ch]; // per row: dw, then dbias
        Parallel.forRange(d.batch(), (from, to) -> {
            for (int b = from; b < to; b++) {
                int po = b * (k + 1) * ch;
                for (int s = 0; s < t; s++) {
                    int o = (b * t + s) * ch;
                    for (int c = 0; c < ch; c++) {
                        dx[o + c] = 0;
                        parts[po + k * ch + c] += dpre[o + c];
                    }
                }
                for (int s = 0; s < t; s++) {
                    int o = (b * t + s) * ch;
                    for (int j = 0; j < k; j++) {
                        int src = s - k + 1 + j, wo = j * ch;
                        if (src >= 0) {
                            int xo = (b * t + src) * ch;
                            Loops.addProducts(dx, xo, w, wo, dpre, o, ch);
                            Loops.addProducts(parts, po + wo, x, xo, dpre, o, ch);
                        } else if (tail != null) {
                            Loops.addProducts(parts, po + wo, tail, tailAt(d, b, src), dpre, o, ch);
                        }
                    }
                }
            }
        });
        java.util.Arrays.fill(dw, 0);
        if (dbias != null) {
            java.util.Arrays.fill(dbias, 0);
        }
        for (int b = 0; b < d.batch(); b++) {
            int po = b * (k + 1) * ch;
            for (int i = 0; i < k * ch; i++) {
                dw[i] += parts[po + i];
            }
            if (dbias != null) {
                for (int c = 0; c < ch; c++) {
                    dbias[c] += parts[po + k * ch + c];
                }
            }
        }
    }

    /** The float form of the double method of the same name. */
    private static float at(Dims d, float[] x, float[] tail, int b, int s, int c) {
        int ch = d.channels();
        if (s >= 0) {
            return x[(b * d.steps() + s) * ch + c];
        }
        return tail == null ? 0 : tail[tailAt(d, b, s) + c];
    }

    /**
     * The float form of the double method of the same name (float32 models), a tap at a time over a
     * sequence's rows (the rows of a channel block in registers' reach; per row of 8-64 channels the
     * calls cost more than their arithmetic): the same terms in the same order per output.
     */
    public static void forward(Dims d, float[] x, float[] tail, float[] w, float[] bias, float[] pre) {
        forward(d, x, tail, w, bias, pre, null);
    }

    /**
     * Work on one sequence's rows [from, from + n) of the [B*T, C] arrays, done by the thread that
     * convolves that sequence, right after (or before) it, while its rows are in cache: a pass of its own
     * over the whole arrays (Mamba2's 5120 x 320) came from memory and cost as much as the convolution.
     */
    @FunctionalInterface
    public interface SequenceRows {
        void run(int from, int n);
    }

    /** {@link #forward(Dims, float[], float[], float[], float[], float[])}, then {@code after} on each sequence. */
    public static void forward(Dims d, float[] x, float[] tail, float[] w, float[] bias, float[] pre,
                               SequenceRows after) {
        if (Simd.on() && DepthwiseConvRows.takes(d)) {
            forwardRows(d, x, tail, w, bias, pre, after);
            return;
        }
        int ch = d.channels(), k = d.kernel(), t = d.steps();
        Parallel.forRange(d.batch(), (from, to) -> {
            for (int b = from; b < to; b++) {
                int o = b * t * ch;
                if (bias == null) {
                    java.util.Arrays.fill(pre, o, o + t * ch, 0);
                } else {
                    for (int s = 0; s < t; s++) {
                        System.arraycopy(bias, 0, pre, o + s * ch, ch);
                    }
                }
                for (int j = 0; j < k; j++) {
                    int s0 = Math.min(t, k - 1 - j); // steps whose input for tap j precedes the sequence
                    if (tail != null && s0 > 0) {
                        Loops.addScaledRows(pre, o, w, j * ch, tail, tailAt(d, b, -(k - 1 - j)), s0, ch);
                    }
                    Loops.addScaledRows(pre, o + s0 * ch, w, j * ch, x, o, t - s0, ch);
                }
                if (after != null) {
                    after.run(o, t * ch);
                }
            }
        });
    }

    /** The float form of the double method of the same name. */
    public static float[] lastInputs(Dims d, float[] x, float[] tail) {
        int ch = d.channels(), k1 = d.kernel() - 1;
        float[] out = Arena.floats(d.batch() * k1 * ch);
        for (int b = 0; b < d.batch(); b++) {
            for (int i = 0; i < k1; i++) {
                for (int c = 0; c < ch; c++) {
                    out[(b * k1 + i) * ch + c] = at(d, x, tail, b, d.steps() - k1 + i, c);
                }
            }
        }
        return out;
    }

    /**
     * The float form of the double method of the same name, a tap at a time as the float forward: dx takes
     * the taps from the last to the first and each weight gradient its steps in order, the double
     * method's order per sum.
     */
    public static void backward(Dims d, float[] x, float[] tail, float[] w, float[] dpre, float[] dx, float[] dw,
                                float[] dbias) {
        backward(d, x, tail, w, dpre, dx, dw, dbias, null);
    }

    /**
     * {@link #backward(Dims, float[], float[], float[], float[], float[], float[], float[])} with
     * {@code before} run on each sequence's rows first (it may write that sequence's dpre).
     */
    public static void backward(Dims d, float[] x, float[] tail, float[] w, float[] dpre, float[] dx, float[] dw,
                                float[] dbias, SequenceRows before) {
        int ch = d.channels(), k = d.kernel(), t = d.steps();
        float[] parts = Arena.floats(d.batch() * (k + 1) * ch); // per row: dw, then dbias
        boolean rows = Simd.on() && DepthwiseConvRows.takes(d);
        Parallel.forRange(d.batch(), (from, to) -> {
            for (int b = from; b < to; b++) {
                if (before != null) {
                    before.run(b * t * ch, t * ch);
                }
                if (rows) {
                    backwardRows(d, b, x, tail, w, dpre, dx, parts, dbias != null);
                    continue;
                }
                int po = b * (k + 1) * ch, o = b * t * ch;
                java.util.Arrays.fill(dx, o, o + t * ch, 0);
                if (dbias != null) {
                    Loops.addRowSums(parts, po + k * ch, dpre, o, t, ch);
                }
                for (int j = k - 1; j >= 0; j--) {
                    int s0 = Math.min(t, k - 1 - j);
                    Loops.addScaledRows(dx, o, w, j * ch, dpre, o + s0 * ch, t - s0, ch);
                }
                for (int j = 0; j < k; j++) {
                    int s0 = Math.min(t, k - 1 - j);
                    if (tail != null && s0 > 0) {
                        Loops.addDots(parts, po + j * ch, tail, tailAt(d, b, -(k - 1 - j)), dpre, o, s0, ch);
                    }
                    Loops.addDots(parts, po + j * ch, x, o, dpre, o + s0 * ch, t - s0, ch);
                }
            }
        });
        java.util.Arrays.fill(dw, 0);
        if (dbias != null) {
            java.util.Arrays.fill(dbias, 0);
        }
        for (int b = 0; b < d.batch(); b++) {
            int po = b * (k + 1) * ch;
            for (int i = 0; i < k * ch; i++) {
                dw[i] += parts[po + i];
            }
            if (dbias != null) {
                for (int c = 0; c < ch; c++) {
                    dbias[c] += parts[po + k * ch + c];
                }
            }
        }
    }

    /**
     * The fewest channels for which the row forms read a sequence's input and output rows in order first
     * ({@link Loops#touch}): at Mamba2's 128 channels a block's column of vectors skips most of each row's
     * lines and its misses came one at a time; at 32 a block reads whole rows and the reads only cost
     * time (docs/engine-log.md).
     */
    static final int TOUCHED_CHANNELS = 64;

    /** The float forward with {@link DepthwiseConvRows} on what it takes, plain loops on the rest. */
    private static void forwardRows(Dims d, float[] x, float[] tail, float[] w, float[] bias, float[] pre,
                                    SequenceRows after) {
        int ch = d.channels(), t = d.steps(), c0 = DepthwiseConvRows.channels(ch);
        float[] init = bias != null ? bias : Arena.floats(ch);
        Parallel.forRange(d.batch(), (from, to) -> {
            for (int b = from; b < to; b++) {
                int o = b * t * ch;
                if (ch >= TOUCHED_CHANNELS) {
                    Loops.touch(x, o, o + t * ch);
                    Loops.touch(pre, o, o + t * ch);
                }
                DepthwiseConvRows.forward(t, ch, o, x, w, init, pre);
                for (int s = 0; s < t; s++) { // the first three steps, and the channels past whole vectors
                    for (int c = s < 3 ? 0 : c0; c < ch; c++) {
                        float acc = init[c];
                        for (int j = 0; j < 4; j++) {
                            int src = s - 3 + j;
                            if (src >= 0) {
                                acc += w[j * ch + c] * x[o + src * ch + c];
                            } else if (tail != null) {
                                acc += w[j * ch + c] * tail[tailAt(d, b, src) + c];
                            }
                        }
                        pre[o + s * ch + c] = acc;
                    }
                }
                if (after != null) {
                    after.run(o, t * ch);
                }
            }
        });
    }

    /** Sequence b's float backward with {@link DepthwiseConvRows} on what it takes, plain loops on the rest. */
    private static void backwardRows(Dims d, int b, float[] x, float[] tail, float[] w, float[] dpre, float[] dx,
                                     float[] parts, boolean bias) {
        int ch = d.channels(), t = d.steps(), c0 = DepthwiseConvRows.channels(ch), o = b * t * ch;
        int po = b * (d.kernel() + 1) * ch; // parts per row: the four taps' sums, then the bias's
        if (bias) {
            Loops.addRowSums(parts, po + 4 * ch, dpre, o, t, ch);
        }
        for (int s = 0; s < 3; s++) { // each weight's sum over steps in order: the first three steps first
            for (int j = 0; j < 4; j++) {
                int src = s - 3 + j;
                for (int c = 0; c < ch && (src >= 0 || tail != null); c++) {
                    float in = src >= 0 ? x[o + src * ch + c] : tail[tailAt(d, b, src) + c];
                    parts[po + j * ch + c] += in * dpre[o + s * ch + c];
                }
            }
        }
        if (ch >= TOUCHED_CHANNELS) {
            Loops.touch(x, o, o + t * ch);
            Loops.touch(dx, o, o + t * ch);
        }
        DepthwiseConvRows.backward(t, ch, o, x, w, dpre, dx, parts, po);
        for (int s = 3; s < t; s++) {
            for (int j = 0; j < 4; j++) {
                for (int c = c0; c < ch; c++) {
                    parts[po + j * ch + c] += x[o + (s - 3 + j) * ch + c] * dpre[o + s * ch + c];
                }
            }
        }
        for (int r = 0; r < t; r++) { // dx: the last three steps, and the channels past whole vectors
            for (int c = r < t - 3 ? c0 : 0; c < ch; c++) {
                float acc = 0;
                for (int j = 3; j >= 0 && r + 3 - j < t; j--) {
                    acc += w[j * ch + c] * dpre[o + (r + 3 - j) * ch + c];
                }
                dx[o + r * ch + c] = acc;
            }
        }
    }
}
