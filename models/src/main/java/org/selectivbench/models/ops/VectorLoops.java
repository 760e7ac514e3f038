package org.selectivbench.models.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/** The Vector API forms of {@link Loops} and of {@link Exp} over rows of lanes, loaded only when {@link Simd#on}. */
final class VectorLoops {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    /** S's shape in longs, for the exponential's bits; a constant, so C2 can always intrinsify the reinterpretations. */
    private static final VectorSpecies<Long> BITS = LongVector.SPECIES_PREFERRED;
    static final int LANES = S.length();
    /** The float kernels' lanes, and their shape in ints for the exponential's bits. */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> FBITS = IntVector.SPECIES_PREFERRED;
    static final int FLOAT_LANES = F.length();
    static final float[] FLOAT_ONES = new float[FLOAT_LANES];

    static {
        java.util.Arrays.fill(FLOAT_ONES, 1);
    }
    /** A scale of 1 per lane, for exp(x) through {@link #expRows} (1 x = x exactly). */
    static final double[] ONES = java.util.stream.DoubleStream.generate(() -> 1.0).limit(LANES).toArray();

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

    /** {@link #maxAbs} of floats. */
    static float maxAbs(float[] x, int n) {
        return maxAbs(x, 0, n);
    }

    /** {@link #maxAbs} of floats x[from, from + n). */
    static float maxAbs(float[] x, int from, int n) {
        int l = F.length(), whole = from + n - n % l, quad = whole - (n - n % l) % (4 * l);
        FloatVector m = FloatVector.zero(F), m1 = m, m2 = m, m3 = m; // four chains: max waits on max
        for (int i = from; i < quad; i += 4 * l) { // the carried maxima as arguments (Simd: receivers in loops)
            m = FloatVector.fromArray(F, x, i).abs().max(m);
            m1 = FloatVector.fromArray(F, x, i + l).abs().max(m1);
            m2 = FloatVector.fromArray(F, x, i + 2 * l).abs().max(m2);
            m3 = FloatVector.fromArray(F, x, i + 3 * l).abs().max(m3);
        }
        for (int i = quad; i < whole; i += l) {
            m = FloatVector.fromArray(F, x, i).abs().max(m);
        }
        float bound = m.max(m1).max(m2.max(m3)).reduceLanes(VectorOperators.MAX);
        for (int i = whole; i < from + n; i++) {
            bound = Math.max(bound, Math.abs(x[i]));
        }
        return bound;
    }

    /**
     * max |x[i]| over [0, n), NaN if one is NaN: lanewise maxima, then across the lanes (a chain of scalar
     * maxima cost as much as the exponentials of a short row).
     */
    static double maxAbs(double[] x, int n) {
        int l = S.length(), whole = n - n % l, quad = whole - whole % (4 * l);
        DoubleVector m = DoubleVector.zero(S), m1 = m, m2 = m, m3 = m; // four chains: max waits on max
        for (int i = 0; i < quad; i += 4 * l) {
            m = m.max(DoubleVector.fromArray(S, x, i).abs());
            m1 = m1.max(DoubleVector.fromArray(S, x, i + l).abs());
            m2 = m2.max(DoubleVector.fromArray(S, x, i + 2 * l).abs());
            m3 = m3.max(DoubleVector.fromArray(S, x, i + 3 * l).abs());
        }
        for (int i = quad; i < whole; i += l) {
            m = m.max(DoubleVector.fromArray(S, x, i).abs());
        }
        double bound = m.max(m1).max(m2.max(m3)).reduceLanes(VectorOperators.MAX);
        for (int i = whole; i < n; i++) {
            bound = Math.max(bound, Math.abs(x[i]));
        }
        return bound;
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
     * y[r * lanes + l] = {@link Exp#exp}(scale[so + l] * a[ao + r * stride + l]) for rows r in [0, rows) and
     * lanes l, the scalar form's operations lane by lane. {@code aBound} bounds |a| over those rows: when
     * the products are then within the exponential's range the loop runs with no test per row, else
     * scalar. The exponential is written out here, in the one loop that needs it, and not as a method of
     * vectors, and the loop holds no masks: C2 compiled such a method on its own and then would not inline
     * it ("already compiled into a big method"), and in some JVMs did not intrinsify the range test's
     * masks; either way every vector was boxed and Mamba's step ran two to three times slower.
     */
    static void expRows(double[] y, double[] scale, int so, double[] a, int ao, int stride, int rows, double aBound) {
        double scaleBound = 0;
        for (int l = 0; l < S.length(); l++) {
            scaleBound = Math.max(scaleBound, Math.abs(scale[so + l]));
        }
        if (!(scaleBound * aBound <= Math.min(-Exp.LO, Exp.HI))) {
            for (int r = 0; r < rows; r++) {
                for (int l = 0; l < S.length(); l++) {
                    y[r * S.length() + l] = Exp.exp(scale[so + l] * a[ao + r * stride + l]);
                }
            }
            return;
        }
        DoubleVector sv = DoubleVector.fromArray(S, scale, so);
        DoubleVector t10 = DoubleVector.broadcast(S, Exp.T10), t9 = DoubleVector.broadcast(S, Exp.T9);
        DoubleVector t8 = DoubleVector.broadcast(S, Exp.T8), t7 = DoubleVector.broadcast(S, Exp.T7);
        DoubleVector t6 = DoubleVector.broadcast(S, Exp.T6), t5 = DoubleVector.broadcast(S, Exp.T5);
        DoubleVector t4 = DoubleVector.broadcast(S, Exp.T4), t3 = DoubleVector.broadcast(S, Exp.T3);
        DoubleVector t2 = DoubleVector.broadcast(S, Exp.T2), t1 = DoubleVector.broadcast(S, Exp.T1);
        DoubleVector t0 = DoubleVector.broadcast(S, Exp.T0);
        for (int r = 0; r < rows; r++) {
            DoubleVector x = sv.mul(DoubleVector.fromArray(S, a, ao + r * stride));
            DoubleVector t = x.mul(Exp.LOG2E).add(Exp.ROUND);
            DoubleVector m = t.sub(Exp.ROUND);
            DoubleVector f = x.sub(m.mul(Exp.LN2_HI)).sub(m.mul(Exp.LN2_LO));
            DoubleVector p = f.fma(Exp.T12, Exp.T11).fma(f, t10).fma(f, t9).fma(f, t8).fma(f, t7).fma(f, t6)
                    .fma(f, t5).fma(f, t4).fma(f, t3).fma(f, t2).fma(f, t1).fma(f, t0);
            // reinterpreted to constant species: through viewAs... C2 sometimes could not tell the species
            LongVector scaleBits = ((LongVector) t.reinterpretShape(BITS, 0)).sub(Exp.ROUND_BITS)
                    .lanewise(VectorOperators.LSHL, 52);
            ((DoubleVector) ((LongVector) p.reinterpretShape(BITS, 0)).add(scaleBits).reinterpretShape(S, 0))
                    .intoArray(y, r * S.length());
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

    /** The float form of {@link #expRows}, through {@link Exp#expf} on F's lanes. */
    static void expRows(float[] y, int yo, float[] scale, int so, float[] a, int ao, int stride, int rows,
                        float aBound) {
        float scaleBound = 0;
        for (int l = 0; l < F.length(); l++) {
            scaleBound = Math.max(scaleBound, Math.abs(scale[so + l]));
        }
        if (!(scaleBound * aBound <= Math.min(-Exp.F_LO, Exp.F_HI))) {
            for (int r = 0; r < rows; r++) {
                for (int l = 0; l < F.length(); l++) {
                    y[yo + r * F.length() + l] = Exp.expf(scale[so + l] * a[ao + r * stride + l]);
                }
            }
            return;
        }
        expRowsInRange(y, yo, scale, so, a, ao, stride, rows);
    }

    /** {@link #expRows}' vector loop, for products known to lie within [-87, 87]. */
    static void expRowsInRange(float[] y, int yo, float[] scale, int so, float[] a, int ao, int stride, int rows) {
        FloatVector sv = FloatVector.fromArray(F, scale, so);
        FloatVector t5 = FloatVector.broadcast(F, Exp.F5), t4 = FloatVector.broadcast(F, Exp.F4);
        FloatVector t3 = FloatVector.broadcast(F, Exp.F3), t2 = FloatVector.broadcast(F, Exp.F2);
        FloatVector t1 = FloatVector.broadcast(F, Exp.F1), t0 = FloatVector.broadcast(F, Exp.F0);
        for (int r = 0; r < rows; r++) {
            FloatVector x = sv.mul(FloatVector.fromArray(F, a, ao + r * stride));
            FloatVector t = x.mul(Exp.F_LOG2E).add(Exp.F_ROUND);
            FloatVector m = t.sub(Exp.F_ROUND);
            FloatVector f = x.sub(m.mul(Exp.F_LN2_HI)).sub(m.mul(Exp.F_LN2_LO));
            FloatVector p = f.fma(Exp.F7, Exp.F6).fma(f, t5).fma(f, t4).fma(f, t3).fma(f, t2).fma(f, t1).fma(f, t0);
            IntVector scaleBits = ((IntVector) t.reinterpretShape(FBITS, 0)).sub(Exp.F_ROUND_BITS)
                    .lanewise(VectorOperators.LSHL, 23);
            ((FloatVector) ((IntVector) p.reinterpretShape(FBITS, 0)).add(scaleBits).reinterpretShape(F, 0))
                    .intoArray(y, yo + r * F.length());
        }
    }

    /**
     * s = 1 / (1 + expf(-z clamped to [F_LO, -F_LO])) over whole vectors, in one pass: {@link Exp#sigmoids}'
     * operations in its order, so its numbers. Returns the first index not done: a vector holding a NaN
     * stops it, and the scalar form takes it from there. The exponential is {@link #expRows}' written out
     * again: as a method of its own, taking and returning vectors, C2 may compile it alone and then not
     * inline it (docs/models.md, C2 pitfalls). On [from, from + n), of -z when {@code sign} is 1 (the
     * exponent is z times sign; -1 for the sigmoids of z: a product by -1 or 1 is exact, a branch between
     * two vectors could leave them heap objects).
     */
    static int sigmoids(float[] z, float sign, float[] s, int from, int n) {
        int whole = from + n - n % F.length();
        FloatVector one = FloatVector.broadcast(F, 1f);
        FloatVector t5 = FloatVector.broadcast(F, Exp.F5), t4 = FloatVector.broadcast(F, Exp.F4);
        FloatVector t3 = FloatVector.broadcast(F, Exp.F3), t2 = FloatVector.broadcast(F, Exp.F2);
        FloatVector t1 = FloatVector.broadcast(F, Exp.F1), t0 = FloatVector.broadcast(F, Exp.F0);
        for (int i = from; i < whole; i += F.length()) {
            FloatVector x = FloatVector.fromArray(F, z, i).mul(sign).min(-Exp.F_LO).max(Exp.F_LO);
            if (x.test(VectorOperators.IS_NAN).anyTrue()) {
                return i;
            }
            FloatVector t = x.mul(Exp.F_LOG2E).add(Exp.F_ROUND);
            FloatVector m = t.sub(Exp.F_ROUND);
            FloatVector f = x.sub(m.mul(Exp.F_LN2_HI)).sub(m.mul(Exp.F_LN2_LO));
            FloatVector p = f.fma(Exp.F7, Exp.F6).fma(f, t5).fma(f, t4).fma(f, t3).fma(f, t2).fma(f, t1).fma(f, t0);
            IntVector scaleBits = ((IntVector) t.reinterpretShape(FBITS, 0)).sub(Exp.F_ROUND_BITS)
                    .lanewise(VectorOperators.LSHL, 23);
            FloatVector e = (FloatVector) ((IntVector) p.reinterpretShape(FBITS, 0)).add(scaleBits)
                    .reinterpretShape(F, 0);
            one.div(one.add(e)).intoArray(s, i);
        }
        return whole;
    }
}
