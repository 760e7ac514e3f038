package org.selectivbench.models.ops;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.models.ops.DecayScanRecurrent.Decay;

/**
 * The chunked ND4J form of the diagonal-decay scans ({@link DecayScanChunked}) against the Java kernel
 * ({@link DecayScanRecurrent}, whose forward is checked against the plain reference here too), on random
 * inputs: outputs, end state, and the gradients of every input and of the start state from random output
 * and end-state gradients. Relative error (max |a - b| / max |b| per array) under 1e-9 in float64 and 1e-4
 * in float32. No decay, a scalar decay per head (shared keys as Mamba2 and not), a per-channel decay (GLA,
 * and shared keys through the tiled fallback, against the kernel on tiled keys); chunks that do and do not
 * divide the length, one and several chunks, with and without start state, strong decays (log decay down
 * to -5 per step).
 */
class DecayScanChunkedTest {
    @ParameterizedTest
    @CsvSource({
            // batch, steps, heads, K, V, decay, decay floor (log decay in [-floor, 0]), shared keys, start, chunk
            "2, 9, 2, 3, 4, NONE, 0, false, true, 4",
            "1, 8, 2, 3, 2, NONE, 0, false, false, 16",
            "2, 11, 3, 2, 3, HEAD, 1, true, true, 4",
            "2, 12, 2, 3, 2, HEAD, 2, false, false, 6",
            "1, 40, 2, 3, 2, HEAD, 5, true, false, 32",
            "2, 37, 2, 3, 2, HEAD, 5, false, true, 64",
            "2, 10, 2, 3, 4, CHANNEL, 2, false, true, 4",
            "1, 45, 2, 3, 2, CHANNEL, 5, false, false, 64",
            "2, 7, 2, 2, 3, CHANNEL, 1, true, true, 3"})
    void matchesKernel(int batch, int steps, int heads, int kd, int vd, Decay decay, double floor, boolean shared,
                       boolean fromState, int chunk) {
        for (DataType dt : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            run(batch, steps, heads, kd, vd, decay, floor, shared, fromState, chunk, dt,
                    ChunkedChecks.tol(dt));
        }
    }

    static double run(int batch, int steps, int heads, int kd, int vd, Decay decay, double floor, boolean shared,
                      boolean fromState, int chunk, DataType dt, double tol) {
        Parallel.setThreads(2);
        DecayScanRecurrent.Dims d = new DecayScanRecurrent.Dims(batch, steps, heads, kd, vd, decay, shared);
        Random r = new Random(steps * 13L + heads * 5L + chunk);
        int rows = batch * steps, keyCols = shared ? kd : heads * kd;
        int outs = rows * heads * vd, ends = batch * heads * kd * vd;
        double[] q = rounded(Ops.rand(r, rows * keyCols, 0.5), dt);
        double[] k = rounded(Ops.rand(r, rows * keyCols, 0.5), dt);
        double[] v = rounded(Ops.rand(r, outs, 1), dt);
        int aCols = switch (decay) {
            case NONE -> 0;
            case HEAD -> heads;
            case CHANNEL -> heads * kd;
        };
        double[] a = aCols == 0 ? null : rounded(Ops.uniform(r, rows * aCols, -floor, 0), dt);
        double[] start = fromState ? rounded(Ops.rand(r, ends, 1), dt) : null;
        double[] dO = rounded(Ops.rand(r, outs, 1), dt);
        double[] dEnd = rounded(Ops.rand(r, ends, 1), dt);

        // the kernel's shared-key path assumes a decay per head: under a channel decay it runs on the keys
        // tiled over the heads, and the shared keys' gradients are the sums over the heads
        boolean tile = shared && decay == Decay.CHANNEL;
        DecayScanRecurrent.Dims kernel = tile
                ? new DecayScanRecurrent.Dims(batch, steps, heads, kd, vd, decay, false) : d;
        double[] kq = tile ? tiled(q, heads, kd) : q, kk = tile ? tiled(k, heads, kd) : k;
        double[] o = new double[outs], end = new double[ends];
        DecayScanRecurrent.Saved sv = DecayScanRecurrent.forward(kernel, kq, kk, v, a, start, o, end, true);
        Ops.assertClose(DecayScanNaive.run(d, q, k, v, a, start), Ops.concat(o, end), 1e-12, "kernel forward");
        double[] dq = new double[kq.length], dk = new double[kk.length], dv = new double[v.length];
        double[] da = a == null ? null : new double[a.length], dStart = new double[ends];
        DecayScanRecurrent.backward(sv, dO, dEnd, dq, dk, dv, da, dStart);
        if (tile) {
            dq = summed(dq, heads, kd);
            dk = summed(dk, heads, kd);
        }

        DecayScanChunked.Result res = DecayScanChunked.forward(d, chunk, arr(q, dt, rows, keyCols),
                arr(k, dt, rows, keyCols), arr(v, dt, rows, (long) heads * vd),
                arr(a, dt, rows, aCols), arr(start, dt, batch, heads, kd, vd), true);
        DecayScanChunked.Grads gr = DecayScanChunked.backward(res.saved(),
                arr(dO, dt, rows, (long) heads * vd),
                arr(dEnd, dt, batch, heads, kd, vd));

        Map<String, double[]> want = new LinkedHashMap<>();
        Map<String, INDArray> got = new LinkedHashMap<>();
        want.put("o", o);
        got.put("o", res.o());
        want.put("end", end);
        got.put("end", res.end());
        want.put("dq", dq);
        got.put("dq", gr.dq());
        want.put("dk", dk);
        got.put("dk", gr.dk());
        want.put("dv", dv);
        got.put("dv", gr.dv());
        if (a != null) {
            want.put("da", da);
            got.put("da", gr.da());
        }
        want.put("dstart", dStart);
        got.put("dstart", gr.dStart());
        return checkAll(want, got, tol, String.format(
                "decay scan B%d T%d H%d K%d V%d %s floor%.0f shared=%b start=%b C%d %s", batch, steps, heads, kd, vd,
                decay, floor, shared, fromState, chunk, dt));
    }

    /** Rows [R, K] repeated over the heads: [R, H*K]. */
    private static double[] tiled(double[] x, int heads, int kd) {
        int rows = x.length / kd;
        double[] y = new double[rows * heads * kd];
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < heads; h++) {
                System.arraycopy(x, r * kd, y, (r * heads + h) * kd, kd);
            }
        }
        return y;
    }

    /** Rows [R, H*K] summed over the heads: [R, K]. */
    private static double[] summed(double[] x, int heads, int kd) {
        int rows = x.length / (heads * kd);
        double[] y = new double[rows * kd];
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < heads; h++) {
                for (int j = 0; j < kd; j++) {
                    y[r * kd + j] += x[(r * heads + h) * kd + j];
                }
            }
        }
        return y;
    }

    /** Checks every named array with {@link ChunkedChecks#check} and prints their relative errors on one line. */
    private static double checkAll(Map<String, double[]> want, Map<String, INDArray> got, double tol, String what) {
        StringBuilder line = new StringBuilder(what + ":");
        double worst = 0;
        for (Map.Entry<String, double[]> e : want.entrySet()) {
            double err = ChunkedChecks.check(e.getValue(), got.get(e.getKey()), tol, what + " " + e.getKey());
            line.append(String.format(" %s %.1e", e.getKey(), err));
            worst = Math.max(worst, err);
        }
        System.out.println(line);
        return worst;
    }

    /** {@link ChunkedChecks#rounded}, null for null. */
    private static double[] rounded(double[] x, DataType dt) {
        return x == null ? null : ChunkedChecks.rounded(x, dt);
    }

    /** {@link ChunkedChecks#arr}, null for null. */
    private static INDArray arr(double[] x, DataType dt, long... shape) {
        return x == null ? null : ChunkedChecks.arr(x, dt, shape);
    }
}
