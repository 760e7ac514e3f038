package org.selectivbench.models.ops;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The chunked ND4J form of the delta rule ({@link DeltaRuleChunked}) against the Java kernel
 * ({@link DeltaRuleRecurrent}, itself checked against the plain reference), on random inputs: outputs, end
 * state, and the gradients of every input and of the start state from random output and end-state
 * gradients. Relative error (max |a - b| / max |b| per array) under 1e-9 in float64 and 1e-4 in float32.
 * Chunks that do and do not divide the (interleaved) length, one and several chunks, with and without
 * decay and start state, strong decays (log decay down to -5 per step), n_h = 1 and 3.
 */
class DeltaRuleChunkedTest {
    @ParameterizedTest
    @CsvSource({
            // batch, steps, heads, K, V, n_h, decay (0 none, 1 normal, 5 strong), start, chunk
            "2, 9, 2, 3, 4, 1, 1, true, 4",
            "1, 8, 2, 4, 3, 1, 0, false, 4",
            "2, 5, 1, 3, 2, 1, 1, false, 8",
            "2, 7, 2, 3, 3, 3, 1, true, 5",
            "1, 6, 2, 2, 3, 3, 0, true, 6",
            "1, 70, 2, 3, 2, 1, 5, true, 32",
            "2, 13, 1, 4, 2, 3, 5, false, 16"})
    void matchesKernel(int batch, int steps, int heads, int kd, int vd, int sub, int decay, boolean fromState,
                       int chunk) {
        for (DataType dt : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            run(batch, steps, heads, kd, vd, sub, decay, fromState, chunk, dt, ChunkedChecks.tol(dt));
        }
    }

    static double run(int batch, int steps, int heads, int kd, int vd, int sub, int decay, boolean fromState,
                      int chunk, DataType dt, double tol) {
        Parallel.setThreads(2);
        DeltaRuleRecurrent.Dims d = new DeltaRuleRecurrent.Dims(batch, steps, heads, kd, vd, sub);
        Random r = new Random(steps * 31L + sub * 7L + chunk);
        int rows = batch * steps, outs = rows * heads * vd, ends = batch * heads * kd * vd;
        double[] q = rounded(Ops.rand(r, rows * heads * kd, 0.5), dt);
        double[] k = rounded(Ops.unitRows(r, rows * sub * heads, kd), dt);
        double[] v = rounded(Ops.rand(r, rows * sub * heads * vd, 1), dt);
        double[] beta = rounded(Ops.uniform(r, rows * sub * heads, 0, 2), dt);
        double[] a = decay == 0 ? null : rounded(Ops.uniform(r, rows * heads, -decay, 0), dt);
        double[] start = fromState ? rounded(Ops.rand(r, ends, 1), dt) : null;
        double[] dO = rounded(Ops.rand(r, outs, 1), dt);
        double[] dEnd = rounded(Ops.rand(r, ends, 1), dt);

        double[] o = new double[outs], end = new double[ends];
        DeltaRuleRecurrent.Saved sv = DeltaRuleRecurrent.forward(d, q, k, v, beta, a, start, o, end, true);
        Ops.assertClose(DeltaRuleNaive.run(d, q, k, v, beta, a, start), Ops.concat(o, end), 1e-12, "kernel forward");
        double[] dq = new double[q.length], dk = new double[k.length], dv = new double[v.length];
        double[] dbeta = new double[beta.length], da = a == null ? null : new double[a.length];
        double[] dStart = new double[ends];
        DeltaRuleRecurrent.backward(sv, dO, dEnd, dq, dk, dv, dbeta, da, dStart);

        DeltaRuleChunked.Result res = DeltaRuleChunked.forward(d, chunk,
                arr(q, dt, rows, (long) heads * kd),
                arr(k, dt, rows, (long) sub * heads * kd),
                arr(v, dt, rows, (long) sub * heads * vd),
                arr(beta, dt, rows, (long) sub * heads),
                arr(a, dt, rows, heads), arr(start, dt, batch, heads, kd, vd), true);
        DeltaRuleChunked.Grads gr = DeltaRuleChunked.backward(res.saved(),
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
        want.put("dbeta", dbeta);
        got.put("dbeta", gr.dbeta());
        if (a != null) {
            want.put("da", da);
            got.put("da", gr.da());
        }
        want.put("dstart", dStart);
        got.put("dstart", gr.dStart());
        return checkAll(want, got, tol, String.format(
                "delta rule B%d T%d H%d K%d V%d nh%d decay%d start=%b C%d %s",
                batch, steps, heads, kd, vd, sub, decay, fromState, chunk, dt));
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
