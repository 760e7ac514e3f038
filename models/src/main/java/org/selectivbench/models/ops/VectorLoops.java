package org.selectivbench.models.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API forms of {@link Loops} and of {@link DropoutBits}' draws, loaded only when {@link Simd#on};
 * those of {@link Exp} are in {@link ExpVector}.
 */
final class VectorLoops {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    /** S's shape in longs, for the dropout draws' bits; a constant, so C2 can always intrinsify the reinterpretations. */
    private static final VectorSpecies<Long> BITS = LongVector.SPECIES_PREFERRED;
    static final int LANES = S.length();
    /** The float kernels' lanes, and their shape in ints for the dropout draws' bits. */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> FBITS = IntVector.SPECIES_PREFERRED;
    static final int FLOAT_LANES = F.length();

    private VectorLoops() {
    }

    /**
     * The float shuffles that spread lane x of each half across that half ([x] * half, then [half + x] *
     * half), x = 0 to 7, for the paired kernels on 16 lanes: a pair of rows' entry x (two heads', two
     * queries') from one vector in one permute, where a broadcast of each and a blend took three
     * operations. Static finals, so constants to C2.
     */
    static final VectorShuffle<Float> P0 = VectorShuffle.fromArray(F, pairLanes(0), 0);
    static final VectorShuffle<Float> P1 = VectorShuffle.fromArray(F, pairLanes(1), 0);
    static final VectorShuffle<Float> P2 = VectorShuffle.fromArray(F, pairLanes(2), 0);
    static final VectorShuffle<Float> P3 = VectorShuffle.fromArray(F, pairLanes(3), 0);
    static final VectorShuffle<Float> P4 = VectorShuffle.fromArray(F, pairLanes(4), 0);
    static final VectorShuffle<Float> P5 = VectorShuffle.fromArray(F, pairLanes(5), 0);
    static final VectorShuffle<Float> P6 = VectorShuffle.fromArray(F, pairLanes(6), 0);
    static final VectorShuffle<Float> P7 = VectorShuffle.fromArray(F, pairLanes(7), 0);

    /** The source lanes of {@link #P0}-{@link #P7}'s shuffle x. */
    private static int[] pairLanes(int x) {
        int half = F.length() / 2;
        int[] lanes = new int[F.length()];
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = i < half ? x : half + x;
        }
        return lanes;
    }

    /**
     * Entries [at, at + n) of each lane's row into lanes [n, lanes] (the lane-per-sequence kernels' inputs);
     * idx holds each lane's row offset at token 0.
     */
    static void gatherRows(float[] rows, int at, int n, int[] idx, float[] out) {
        for (int y = 0; y < n; y++) {
            FloatVector.fromArray(F, rows, at + y, idx, 0).intoArray(out, y * FLOAT_LANES);
        }
    }

    /** Lanes [n, lanes] back into entries [at, at + n) of each lane's row: {@link #gatherRows}' inverse. */
    static void scatterRows(float[] lanes, float[] rows, int at, int n, int[] idx) {
        for (int y = 0; y < n; y++) {
            FloatVector.fromArray(F, lanes, y * FLOAT_LANES).intoArray(rows, at + y, idx, 0);
        }
    }

    static void addProducts(double[] y, int yo, double[] a, int ao, double[] b, int bo, int n) {
        int i = 0;
        for (; i <= n - S.length(); i += S.length()) {
            DoubleVector.fromArray(S, y, yo + i)
                    .add(DoubleVector.fromArray(S, a, ao + i).mul(DoubleVector.fromArray(S, b, bo + i)))
                    .intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] += a[ao + i] * b[bo + i];
        }
    }

    static void addProducts(float[] y, int yo, float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        for (; i <= n - F.length(); i += F.length()) {
            FloatVector.fromArray(F, y, yo + i)
                    .add(FloatVector.fromArray(F, a, ao + i).mul(FloatVector.fromArray(F, b, bo + i)))
                    .intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] += a[ao + i] * b[bo + i];
        }
    }

    /** {@link Loops#products} over whole vectors; returns where the scalar loop goes on. */
    static int products(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i = 0;
        for (; i <= n - F.length(); i += F.length()) {
            FloatVector.fromArray(F, a, ao + i).mul(FloatVector.fromArray(F, b, bo + i)).intoArray(out, oo + i);
        }
        return i;
    }

    /** {@link Loops#multiply} over whole vectors; returns where the scalar loop goes on. */
    static int multiply(float[] x, int xo, float[] f, int fo, int n) {
        int i = 0;
        for (; i <= n - F.length(); i += F.length()) {
            FloatVector.fromArray(F, f, fo + i).mul(FloatVector.fromArray(F, x, xo + i)).intoArray(x, xo + i);
        }
        return i;
    }

    /** {@link Loops#scaled} over whole vectors; returns where the scalar loop goes on. */
    static int scaled(float[] x, int xo, float s, float[] out, int oo, int n) {
        int i = 0;
        for (; i <= n - F.length(); i += F.length()) {
            FloatVector.fromArray(F, x, xo + i).mul(s).intoArray(out, oo + i);
        }
        return i;
    }

    /** {@link Loops#addScaledRows} on whole vectors of channels; returns the first channel not done. */
    static int addScaledRows(float[] y, int yo, float[] w, int wo, float[] x, int xo, int rows, int ch) {
        int whole = ch - ch % F.length();
        for (int c = 0; c < whole; c += F.length()) {
            FloatVector wv = FloatVector.fromArray(F, w, wo + c);
            for (int r = 0, o = c; r < rows; r++, o += ch) {
                FloatVector.fromArray(F, y, yo + o).add(wv.mul(FloatVector.fromArray(F, x, xo + o))).intoArray(y, yo + o);
            }
        }
        return whole;
    }

    /** {@link Loops#addDots} on whole vectors of channels; returns the first channel not done. */
    static int addDots(float[] acc, int ao, float[] x, int xo, float[] d, int dOff, int rows, int ch) {
        int whole = ch - ch % F.length();
        for (int c = 0; c < whole; c += F.length()) {
            FloatVector a = FloatVector.fromArray(F, acc, ao + c);
            for (int r = 0, o = c; r < rows; r++, o += ch) {
                a = a.add(FloatVector.fromArray(F, x, xo + o).mul(FloatVector.fromArray(F, d, dOff + o)));
            }
            a.intoArray(acc, ao + c);
        }
        return whole;
    }

    /** {@link Loops#addRowSums} on whole vectors of channels; returns the first channel not done. */
    static int addRowSums(float[] acc, int ao, float[] x, int xo, int rows, int ch) {
        int whole = ch - ch % F.length();
        for (int c = 0; c < whole; c += F.length()) {
            FloatVector a = FloatVector.fromArray(F, acc, ao + c);
            for (int r = 0, o = c; r < rows; r++, o += ch) {
                a = a.add(FloatVector.fromArray(F, x, xo + o));
            }
            a.intoArray(acc, ao + c);
        }
        return whole;
    }

    /** {@link Loops#rowCombination}: four vectors of outputs at a time, then one, then the rest. */
    static void rowCombination(double[] x, double[] m, int rows, int cols, double[] out) {
        int n = S.length(), c = 0;
        for (; c <= cols - 4 * n; c += 4 * n) {
            DoubleVector a0 = DoubleVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int r = 0; r < rows; r++) {
                double s = x[r];
                int o = r * cols + c;
                a0 = a0.add(DoubleVector.fromArray(S, m, o).mul(s));
                a1 = a1.add(DoubleVector.fromArray(S, m, o + n).mul(s));
                a2 = a2.add(DoubleVector.fromArray(S, m, o + 2 * n).mul(s));
                a3 = a3.add(DoubleVector.fromArray(S, m, o + 3 * n).mul(s));
            }
            a0.intoArray(out, c);
            a1.intoArray(out, c + n);
            a2.intoArray(out, c + 2 * n);
            a3.intoArray(out, c + 3 * n);
        }
        for (; c <= cols - n; c += n) {
            DoubleVector a = DoubleVector.zero(S);
            for (int r = 0; r < rows; r++) {
                a = a.add(DoubleVector.fromArray(S, m, r * cols + c).mul(x[r]));
            }
            a.intoArray(out, c);
        }
        for (; c < cols; c++) {
            double a = 0;
            for (int r = 0; r < rows; r++) {
                a += x[r] * m[r * cols + c];
            }
            out[c] = a;
        }
    }

    /** The float form of {@link #rowCombination(double[], double[], int, int, double[])}. */
    static void rowCombination(float[] x, float[] m, int rows, int cols, float[] out) {
        int n = F.length(), c = 0;
        for (; c <= cols - 4 * n; c += 4 * n) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int r = 0; r < rows; r++) {
                FloatVector s = FloatVector.broadcast(F, x[r]);
                int o = r * cols + c;
                a0 = FloatVector.fromArray(F, m, o).fma(s, a0);
                a1 = FloatVector.fromArray(F, m, o + n).fma(s, a1);
                a2 = FloatVector.fromArray(F, m, o + 2 * n).fma(s, a2);
                a3 = FloatVector.fromArray(F, m, o + 3 * n).fma(s, a3);
            }
            a0.intoArray(out, c);
            a1.intoArray(out, c + n);
            a2.intoArray(out, c + 2 * n);
            a3.intoArray(out, c + 3 * n);
        }
        for (; c <= cols - n; c += n) {
            FloatVector a = FloatVector.zero(F);
            for (int r = 0; r < rows; r++) {
                a = FloatVector.fromArray(F, m, r * cols + c).fma(FloatVector.broadcast(F, x[r]), a);
            }
            a.intoArray(out, c);
        }
        for (; c < cols; c++) {
            float a = 0;
            for (int r = 0; r < rows; r++) {
                a = Math.fma(x[r], m[r * cols + c], a);
            }
            out[c] = a;
        }
    }

    /**
     * {@link #rowCombination(float[], float[], int, int, float[])} of x[i..i+3] into out[i..i+3]: two
     * vectors of outputs of four rows at a time (eight chains, where one row's two waited on each add),
     * then one, then the rest; each output's operations as for one row.
     */
    static void rowCombination4(float[][] x, int i, float[] m, int rows, int cols, float[][] out) {
        float[] x0 = x[i], x1 = x[i + 1], x2 = x[i + 2], x3 = x[i + 3];
        float[] o0 = out[i], o1 = out[i + 1], o2 = out[i + 2], o3 = out[i + 3];
        int n = F.length(), c = 0;
        for (; c <= cols - 2 * n; c += 2 * n) {
            FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
            FloatVector a30 = a00, a31 = a00;
            for (int r = 0; r < rows; r++) {
                int o = r * cols + c;
                FloatVector m0 = FloatVector.fromArray(F, m, o), m1 = FloatVector.fromArray(F, m, o + n);
                FloatVector s0 = FloatVector.broadcast(F, x0[r]), s1 = FloatVector.broadcast(F, x1[r]);
                FloatVector s2 = FloatVector.broadcast(F, x2[r]), s3 = FloatVector.broadcast(F, x3[r]);
                a00 = m0.fma(s0, a00);
                a01 = m1.fma(s0, a01);
                a10 = m0.fma(s1, a10);
                a11 = m1.fma(s1, a11);
                a20 = m0.fma(s2, a20);
                a21 = m1.fma(s2, a21);
                a30 = m0.fma(s3, a30);
                a31 = m1.fma(s3, a31);
            }
            a00.intoArray(o0, c);
            a01.intoArray(o0, c + n);
            a10.intoArray(o1, c);
            a11.intoArray(o1, c + n);
            a20.intoArray(o2, c);
            a21.intoArray(o2, c + n);
            a30.intoArray(o3, c);
            a31.intoArray(o3, c + n);
        }
        for (; c <= cols - n; c += n) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int r = 0; r < rows; r++) {
                FloatVector m0 = FloatVector.fromArray(F, m, r * cols + c);
                FloatVector s0 = FloatVector.broadcast(F, x0[r]), s1 = FloatVector.broadcast(F, x1[r]);
                FloatVector s2 = FloatVector.broadcast(F, x2[r]), s3 = FloatVector.broadcast(F, x3[r]);
                a0 = m0.fma(s0, a0);
                a1 = m0.fma(s1, a1);
                a2 = m0.fma(s2, a2);
                a3 = m0.fma(s3, a3);
            }
            a0.intoArray(o0, c);
            a1.intoArray(o1, c);
            a2.intoArray(o2, c);
            a3.intoArray(o3, c);
        }
        for (; c < cols; c++) {
            for (int k = 0; k < 4; k++) {
                float a = 0;
                for (int r = 0; r < rows; r++) {
                    a = Math.fma(x[i + k][r], m[r * cols + c], a);
                }
                out[i + k][c] = a;
            }
        }
    }

    /**
     * {@link DropoutBits#draw}'s pairs [0, pairs) over whole vectors: a long lane per pair, its two fields
     * packed into the low and high halves of the lane, which the int lanes then read in that order (as
     * memory holds them), so entry 2i and 2i + 1 land side by side. Returns the first pair not done.
     */
    static int maskPairs(long start, int below, float value, float[] m, int pairs) {
        int n = BITS.length();
        long[] offsets = new long[n];
        for (int l = 0; l < n; l++) {
            offsets[l] = start + l * DropoutBits.GAMMA;
        }
        LongVector z = LongVector.fromArray(BITS, offsets, 0);
        long step = n * DropoutBits.GAMMA;
        IntVector bound = IntVector.broadcast(FBITS, below);
        FloatVector kept = FloatVector.broadcast(F, value);
        int i = 0;
        for (; i + n <= pairs; i += n) {
            LongVector x = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 30)).mul(DropoutBits.MIX1);
            x = x.lanewise(VectorOperators.XOR, x.lanewise(VectorOperators.LSHR, 27)).mul(DropoutBits.MIX2);
            x = x.lanewise(VectorOperators.XOR, x.lanewise(VectorOperators.LSHR, 31));
            LongVector fields = x.lanewise(VectorOperators.LSHR, 40)
                    .or(x.lanewise(VectorOperators.LSHR, 16).and(0xFFFFFFL).lanewise(VectorOperators.LSHL, 32));
            IntVector bit = ((IntVector) fields.reinterpretShape(FBITS, 0)).sub(bound)
                    .lanewise(VectorOperators.LSHR, 31);
            ((FloatVector) bit.convertShape(VectorOperators.I2F, F, 0)).mul(kept).intoArray(m, 2 * i);
            z = z.add(step);
        }
        return i;
    }

}
