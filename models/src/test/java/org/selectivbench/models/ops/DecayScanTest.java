package org.selectivbench.models.ops;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.selectivbench.models.FiniteDifferences;
import org.selectivbench.models.ops.DecayScanRecurrent.Decay;

/**
 * The diagonal-decay kernel (linear attention, Mamba2's SSD with shared keys, GLA's per-channel decay)
 * against {@link DecayScanNaive} in double precision: outputs and end states within 1e-12, gradients of a
 * random projection of both (every input and the start state) within 1e-6 relative of central
 * differences; lengths around the checkpoint interval, two threads. Shared keys also with their vector
 * form off: the same numbers bit for bit. Mamba2's float kernel (shared keys) against the double one on
 * the same float inputs, every output and gradient within 2e-5 of the array's largest entry, and its
 * vector form against its scalar form bit for bit.
 */
class DecayScanTest {
    @ParameterizedTest
    @CsvSource({"2, 5, 2, 3, 2, NONE, false, false", "2, 33, 2, 3, 2, HEAD, false, true",
            "2, 40, 3, 2, 3, HEAD, true, true", "1, 9, 2, 3, 2, HEAD, true, false",
            "2, 35, 2, 3, 2, CHANNEL, false, true", "1, 66, 1, 2, 2, CHANNEL, false, false",
            "2, 6, 2, 2, 2, NONE, false, true", "2, 37, 3, 4, 5, HEAD, true, true",
            "2, 37, 2, 3, 11, CHANNEL, false, true", "1, 35, 2, 3, 9, HEAD, false, false"})
    void matchesReference(int batch, int steps, int heads, int kd, int vd, Decay decay, boolean shared,
                          boolean fromState) {
        Parallel.setThreads(2);
        DecayScanRecurrent.Dims d = new DecayScanRecurrent.Dims(batch, steps, heads, kd, vd, decay, shared);
        Random r = new Random(steps * 11L + heads);
        int rows = batch * steps, keys = shared ? rows * kd : rows * heads * kd;
        double[] q = Ops.rand(r, keys, 0.5), k = Ops.rand(r, keys, 0.5), v = Ops.rand(r, rows * heads * vd, 1);
        double[] a = switch (decay) {
            case NONE -> null;
            case HEAD -> Ops.uniform(r, rows * heads, -2, 0);
            case CHANNEL -> Ops.uniform(r, rows * heads * kd, -2, 0);
        };
        int outs = rows * heads * vd, ends = batch * heads * kd * vd;
        double[] start = fromState ? Ops.rand(r, ends, 1) : null;
        double[] proj = Ops.rand(r, outs + ends, 1);

        double[] o = new double[outs], end = new double[ends];
        DecayScanRecurrent.Saved sv = DecayScanRecurrent.forward(d, q, k, v, a, start, o, end, true);
        Ops.assertClose(DecayScanNaive.run(d, q, k, v, a, start), Ops.concat(o, end), 1e-12, "forward");

        double[] dq = new double[q.length], dk = new double[k.length], dv = new double[v.length];
        double[] da = a == null ? null : new double[a.length], dStart = new double[ends];
        DecayScanRecurrent.backward(sv, java.util.Arrays.copyOf(proj, outs),
                java.util.Arrays.copyOfRange(proj, outs, outs + ends), dq, dk, dv, da, dStart);
        Map<String, double[]> in = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
        in.put("q", q);
        grads.put("q", dq);
        in.put("k", k);
        grads.put("k", dk);
        in.put("v", v);
        grads.put("v", dv);
        if (a != null) {
            in.put("a", a);
            grads.put("a", da);
        }
        double[] s0 = start != null ? start : new double[ends];
        in.put("start", s0);
        grads.put("start", dStart);
        FiniteDifferences.checkArrays(in, grads, () -> Ops.dot(DecayScanNaive.run(d, q, k, v, a, s0), proj));
    }

    @ParameterizedTest
    @CsvSource({"2, 1, 7, 19, HEAD, true", "2, 2, 9, 19, HEAD, true", "2, 3, 4, 8, HEAD, true",
            "2, 2, 5, 19, CHANNEL, false", "2, 2, 4, 19, NONE, false", "5, 2, 5, 19, CHANNEL, false",
            "5, 2, 3, 6, CHANNEL, false", "3, 3, 4, 11, HEAD, false", "5, 2, 4, 8, NONE, false", "5, 2, 4, 3, NONE, false",
            "3, 2, 8, 16, CHANNEL, false", "3, 2, 8, 8, CHANNEL, false"})
    void vectorFormIsTheScalarFormBitForBit(int batch, int heads, int kd, int vd, Decay decay, boolean shared) {
        org.junit.jupiter.api.Assumptions.assumeTrue(Simd.on(), "the Vector API is not on the module path");
        // 19 value columns: whole vectors and a tail on any lane count up to 16; 9 and 10 sequences of
        // their own keys: whole groups of a sequence per lane (on 4 or 8 lanes), and the rest one by one,
        // forward too where a value row (3, 6) is shorter than a vector
        DecayScanRecurrent.Dims d = new DecayScanRecurrent.Dims(batch, 45, heads, kd, vd, decay, shared);
        Random r = new Random(5);
        int rows = batch * 45, outs = rows * heads * vd, ends = batch * heads * kd * vd, keys = shared ? rows * kd
                : rows * heads * kd;
        double[] q = Ops.rand(r, keys, 0.5), k = Ops.rand(r, keys, 0.5), v = Ops.rand(r, outs, 1);
        double[] a = switch (decay) {
            case NONE -> null;
            case HEAD -> Ops.uniform(r, rows * heads, -2, 0);
            case CHANNEL -> Ops.uniform(r, rows * heads * kd, -2, 0);
        };
        double[] start = Ops.rand(r, ends, 1), dO = Ops.rand(r, outs, 1), dEnd = Ops.rand(r, ends, 1);
        double[][] results = new double[2][];
        for (int form = 0; form < 2; form++) {
            Simd.use(form == 0);
            try {
                double[] o = new double[outs], end = new double[ends];
                DecayScanRecurrent.Saved sv = DecayScanRecurrent.forward(d, q, k, v, a, start, o, end, true);
                double[] dq = new double[q.length], dk = new double[k.length], dv = new double[v.length];
                double[] da = a == null ? new double[0] : new double[a.length], dStart = new double[ends];
                DecayScanRecurrent.backward(sv, dO, dEnd, dq, dk, dv, a == null ? null : da, dStart);
                results[form] = Ops.concat(Ops.concat(Ops.concat(o, end), Ops.concat(dq, dk)),
                        Ops.concat(Ops.concat(dv, da), dStart));
            } finally {
                Simd.use(true);
            }
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(results[1], results[0]);
    }

    @ParameterizedTest
    @CsvSource({"2, 45, 2, 5, 19, HEAD, true, true", "1, 70, 1, 7, 40, HEAD, false, true",
            "3, 9, 3, 4, 3, NONE, true, true", "2, 33, 2, 16, 8, HEAD, true, true",
            "9, 45, 2, 5, 19, CHANNEL, true, false", "17, 33, 1, 8, 16, NONE, false, false",
            "3, 9, 3, 4, 3, HEAD, true, false", "2, 45, 4, 6, 16, HEAD, true, true",
            "3, 45, 4, 8, 8, CHANNEL, true, false"})
    void floatKernelIsTheDoubleKernelInFloat(int batch, int steps, int heads, int kd, int vd, Decay decay,
                                             boolean fromState, boolean shared) {
        Parallel.setThreads(2);
        DecayScanRecurrent.Dims d = new DecayScanRecurrent.Dims(batch, steps, heads, kd, vd, decay, shared);
        Random r = new Random(steps * 17L + vd);
        double[][] in = floatInputs(d, r, fromState);
        double[][] want = runDouble(d, in), got = runFloat(d, in);
        String[] names = {"o", "end", "dq", "dk", "dv", "da", "dStart"};
        for (int i = 0; i < want.length; i++) {
            Ops.assertCloseScaled(want[i], got[i], 2e-5, "float kernel, " + names[i]);
        }
    }

    @ParameterizedTest
    @CsvSource({"2, 1, 7, 19, HEAD, true", "2, 2, 9, 19, HEAD, true", "1, 1, 5, 40, NONE, true",
            "2, 3, 4, 3, HEAD, true", "2, 4, 5, 16, HEAD, true", "1, 2, 3, 64, NONE, true", "2, 4, 3, 8, HEAD, true",
            "5, 7, 4, 3, CHANNEL, false", "5, 7, 3, 9, HEAD, false", "5, 7, 3, 9, NONE, false",
            "5, 7, 4, 19, CHANNEL, false", "3, 4, 3, 40, HEAD, false", "5, 7, 3, 16, NONE, false"})
    void floatVectorFormIsTheScalarForm(int batch, int heads, int kd, int vd, Decay decay, boolean shared) {
        // shared keys: 19 and 38 value columns, whole vectors and a tail on 8 and 16 float lanes, 40 two
        // whole stripes; 64 and 128 columns backward a block of four vectors at a time on 16 and 8 lanes
        // (one block and two on 16, two and four on 8), 32 on 8 lanes only; keys per head: 35 sequences,
        // whole groups on 16 and 8 lanes and the rest one by one; forward, 16, 19 and 40 value columns a
        // lane per column (whole vectors and a tail on 16, 8 and 4 lanes)
        DecayScanRecurrent.Dims d = new DecayScanRecurrent.Dims(batch, 45, heads, kd, vd, decay, shared);
        double[][] in = floatInputs(d, new Random(6), true);
        Ops.assertVectorFormIsScalarForm(() -> runFloat(d, in));
    }

    @ParameterizedTest
    @CsvSource({"NONE, 1", "HEAD, 1", "CHANNEL, 1", "NONE, 2", "HEAD, 2", "CHANNEL, 2"})
    void vectorFormOfPairedHeadsIsTheScalarForm(Decay decay, int halves) {
        // heads of half a vector of keys, two at a time, with half a vector of values (both heads in one
        // vector) or a whole one (a head each; backward only, forward takes a lane per column), from a
        // carried state and with its gradient; 45 steps: a whole chunk and a short one; six pairs
        int n = DecayScanPairsFloat.HALF;
        DecayScanRecurrent.Dims d = new DecayScanRecurrent.Dims(3, 45, 4, n, halves * n, decay, false);
        org.junit.jupiter.api.Assertions.assertTrue(DecayScanPairsFloat.takes(d), "the pairs take " + d);
        double[][] in = floatInputs(d, new Random(8), true);
        Ops.assertVectorFormIsScalarForm(() -> runFloat(d, in));
    }

    @ParameterizedTest
    @CsvSource({"2, 45, 2, 5, 19, HEAD, true", "1, 70, 8, 128, 8, HEAD, true", "3, 9, 3, 4, 3, NONE, true",
            "2, 32, 2, 16, 8, HEAD, false", "3, 33, 1, 7, 16, NONE, false", "2, 64, 4, 33, 5, HEAD, true",
            "1, 31, 2, 17, 40, HEAD, false"})
    void chunkedFloatKernelIsTheDoubleKernelInFloat(int batch, int steps, int heads, int kd, int vd, Decay decay,
                                                    boolean fromState) {
        // lengths below, at and past one chunk (32 steps) and a last chunk shorter than the rest; Mamba2's
        // bench shape's 8 heads of 8 over 128 keys
        Parallel.setThreads(2);
        DecayScanRecurrent.Dims d = new DecayScanRecurrent.Dims(batch, steps, heads, kd, vd, decay, true);
        double[][] in = floatInputs(d, new Random(steps * 13L + kd), fromState);
        double[][] want = runDouble(d, in), got = runChunked(d, in);
        String[] names = {"o", "end", "dq", "dk", "dv", "da", "dStart"};
        for (int i = 0; i < want.length; i++) {
            Ops.assertCloseScaled(want[i], got[i], 2e-5, "chunked float kernel, " + names[i]);
        }
    }

    @ParameterizedTest
    @CsvSource({"2, 8, 128, 8, HEAD", "1, 2, 9, 19, HEAD", "2, 3, 20, 16, NONE", "1, 4, 16, 32, HEAD"})
    void chunkedFloatVectorFormIsTheScalarForm(int batch, int heads, int kd, int vd, Decay decay) {
        // value rows of 64 (bench shape), 38 and 48 (whole vectors and tails on 16 and 8 lanes), 128 columns;
        // 45 steps: a whole chunk and a short one
        DecayScanRecurrent.Dims d = new DecayScanRecurrent.Dims(batch, 45, heads, kd, vd, decay, true);
        double[][] in = floatInputs(d, new Random(7), true);
        Ops.assertVectorFormIsScalarForm(() -> runChunked(d, in));
    }

    private static double[][] runChunked(DecayScanRecurrent.Dims d, double[][] in) {
        float[] o = new float[in[2].length], end = new float[in[6].length];
        float[] a = in[3] == null ? null : Ops.floats(in[3]), start = in[4] == null ? null : Ops.floats(in[4]);
        float[] dq = new float[in[0].length], dk = new float[in[1].length], dv = new float[in[2].length];
        float[] da = in[3] == null ? null : new float[in[3].length], dStart = new float[end.length];
        DecayScanSharedFloatChunked.Saved sv = DecayScanSharedFloatChunked.forward(d, Ops.floats(in[0]),
                Ops.floats(in[1]), Ops.floats(in[2]), a, start, o, end, true);
        DecayScanSharedFloatChunked.backward(sv, Ops.floats(in[5]), Ops.floats(in[6]), dq, dk, dv, da, dStart);
        return new double[][] {Ops.doubles(o), Ops.doubles(end), Ops.doubles(dq), Ops.doubles(dk), Ops.doubles(dv),
            da == null ? new double[0] : Ops.doubles(da), Ops.doubles(dStart)};
    }

    /** q, k, v, a (or null), start (or null), dO, dEnd, rounded to float. */
    private static double[][] floatInputs(DecayScanRecurrent.Dims d, Random r, boolean fromState) {
        int rows = d.batch() * d.steps(), outs = rows * d.heads() * d.v(), ends = d.batch() * d.heads() * d.k() * d.v();
        int keys = rows * (d.sharedKeys() ? 1 : d.heads()) * d.k();
        int decays = d.decay() == Decay.CHANNEL ? rows * d.heads() * d.k() : rows * d.heads();
        double[][] in = {Ops.rand(r, keys, 0.5), Ops.rand(r, keys, 0.5), Ops.rand(r, outs, 1),
            d.decay() == Decay.NONE ? null : Ops.uniform(r, decays, -2, 0),
            fromState ? Ops.rand(r, ends, 1) : null, Ops.rand(r, outs, 1), Ops.rand(r, ends, 1)};
        for (int i = 0; i < in.length; i++) {
            in[i] = in[i] == null ? null : Ops.roundedToFloat(in[i]);
        }
        return in;
    }

    private static double[][] runDouble(DecayScanRecurrent.Dims d, double[][] in) {
        double[] o = new double[in[2].length], end = new double[in[6].length];
        DecayScanRecurrent.Saved sv = DecayScanRecurrent.forward(d, in[0], in[1], in[2], in[3], in[4], o, end, true);
        double[] dq = new double[in[0].length], dk = new double[in[1].length], dv = new double[in[2].length];
        double[] da = in[3] == null ? null : new double[in[3].length], dStart = new double[end.length];
        DecayScanRecurrent.backward(sv, in[5], in[6], dq, dk, dv, da, dStart);
        return new double[][] {o, end, dq, dk, dv, da == null ? new double[0] : da, dStart};
    }

    /** The float kernel for d's layout: {@link DecayScanSharedFloat} or {@link DecayScanFloat}. */
    private static double[][] runFloat(DecayScanRecurrent.Dims d, double[][] in) {
        float[] o = new float[in[2].length], end = new float[in[6].length];
        float[] q = Ops.floats(in[0]), k = Ops.floats(in[1]), v = Ops.floats(in[2]);
        float[] a = in[3] == null ? null : Ops.floats(in[3]), start = in[4] == null ? null : Ops.floats(in[4]);
        float[] dq = new float[in[0].length], dk = new float[in[1].length], dv = new float[in[2].length];
        float[] da = in[3] == null ? null : new float[in[3].length], dStart = new float[end.length];
        if (d.sharedKeys()) {
            DecayScanSharedFloat.Saved sv = DecayScanSharedFloat.forward(d, q, k, v, a, start, o, end, true);
            DecayScanSharedFloat.backward(sv, Ops.floats(in[5]), Ops.floats(in[6]), dq, dk, dv, da, dStart);
        } else {
            DecayScanFloat.Saved sv = DecayScanFloat.forward(d, q, k, v, a, start, o, end, true);
            DecayScanFloat.backward(sv, Ops.floats(in[5]), Ops.floats(in[6]), dq, dk, dv, da, dStart);
        }
        return new double[][] {Ops.doubles(o), Ops.doubles(end), Ops.doubles(dq), Ops.doubles(dk), Ops.doubles(dv),
            da == null ? new double[0] : Ops.doubles(da), Ops.doubles(dStart)};
    }
}
