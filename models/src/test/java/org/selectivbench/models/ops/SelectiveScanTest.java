package org.selectivbench.models.ops;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.selectivbench.models.FiniteDifferences;

/**
 * Mamba's selective-scan kernel against {@link SelectiveScanNaive} in double precision: outputs and end
 * states within 1e-12; gradients of a random projection of both with respect to dt, A, u, B, C and the
 * start state within 1e-6 relative of central differences; with and without a forget floor, lengths
 * around the checkpoint interval, two threads. 19 states give the vector form of the exponential whole
 * vectors and a tail, 9 and 11 channels the vector form of the scan a block and a tail; with and without
 * the vector forms the kernel computes the same bits. The float kernel against the double one, given
 * the same float inputs: outputs, end states and every gradient within 2e-5 relative to (1 + |x|),
 * scaled by the largest gradient of each array; its vector form against its scalar form bit for bit,
 * with products past the float exponential's range (its scalar branch, 0).
 */
class SelectiveScanTest {
    @ParameterizedTest
    @CsvSource({"2, 5, 3, 2, 0, false", "2, 70, 2, 3, 0, true", "1, 65, 3, 2, 0.3, true", "3, 4, 2, 2, 0.1, false",
        "2, 6, 2, 19, 0.2, true", "2, 67, 11, 5, 0, true", "1, 7, 9, 4, 0.2, false"})
    void matchesReference(int batch, int steps, int di, int n, double floor, boolean fromState) {
        Parallel.setThreads(2);
        SelectiveScanRecurrent.Dims d = new SelectiveScanRecurrent.Dims(batch, steps, di, n, floor);
        Random r = new Random(steps * 13L + di);
        int rows = batch * steps;
        double[] dt = Ops.uniform(r, rows * di, 0.01, 0.5), a = Ops.uniform(r, di * n, -3, -0.2);
        double[] u = Ops.rand(r, rows * di, 1), bm = Ops.rand(r, rows * n, 1), cm = Ops.rand(r, rows * n, 1);
        int outs = rows * di, ends = batch * di * n;
        double[] start = fromState ? Ops.rand(r, ends, 1) : null;
        double[] proj = Ops.rand(r, outs + ends, 1);

        double[] y = new double[outs], end = new double[ends];
        SelectiveScanRecurrent.Saved sv = SelectiveScanRecurrent.forward(d, dt, a, u, bm, cm, start, y, end, true);
        Ops.assertClose(SelectiveScanNaive.run(d, dt, a, u, bm, cm, start), Ops.concat(y, end), 1e-12, "forward");

        double[] ddt = new double[dt.length], da = new double[a.length], du = new double[u.length];
        double[] db = new double[bm.length], dc = new double[cm.length], dStart = new double[ends];
        SelectiveScanRecurrent.backward(sv, java.util.Arrays.copyOf(proj, outs),
                java.util.Arrays.copyOfRange(proj, outs, outs + ends), ddt, da, du, db, dc, dStart);
        double[] s0 = start != null ? start : new double[ends];
        Map<String, double[]> in = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
        in.put("dt", dt);
        grads.put("dt", ddt);
        in.put("A", a);
        grads.put("A", da);
        in.put("u", u);
        grads.put("u", du);
        in.put("B", bm);
        grads.put("B", db);
        in.put("C", cm);
        grads.put("C", dc);
        in.put("start", s0);
        grads.put("start", dStart);
        FiniteDifferences.checkArrays(in, grads, () -> Ops.dot(SelectiveScanNaive.run(d, dt, a, u, bm, cm, s0), proj));
    }

    @ParameterizedTest
    @CsvSource({"3, 0", "19, 0", "19, 0.25", "21, 0"}) // 19, 21: whole blocks and channels past them on 4 and 8 lanes
    void vectorFormIsTheScalarForm(int di, double floor) {
        SelectiveScanRecurrent.Dims d = new SelectiveScanRecurrent.Dims(2, 70, di, 21, floor);
        Random r = new Random(8);
        int rows = 140;
        double[] dt = Ops.uniform(r, rows * di, 0.01, 0.5), a = Ops.uniform(r, di * 21, -3, -0.2);
        double[] u = Ops.rand(r, rows * di, 1), bm = Ops.rand(r, rows * 21, 1), cm = Ops.rand(r, rows * 21, 1);
        double[] dY = Ops.rand(r, rows * di, 1), start = Ops.rand(r, 2 * di * 21, 1), dEnd = Ops.rand(r, 2 * di * 21, 1);
        Ops.assertVectorFormIsScalarForm(() -> run(d, dt, a, u, bm, cm, start, dY, dEnd));
    }

    @ParameterizedTest
    @CsvSource({"2, 70, 19, 21, 0, true", "1, 65, 37, 5, 0.3, false", "3, 9, 4, 3, 0.1, true"})
    void floatKernelIsTheDoubleKernelInFloat(int batch, int steps, int di, int n, double floor, boolean fromState) {
        Parallel.setThreads(2);
        SelectiveScanRecurrent.Dims d = new SelectiveScanRecurrent.Dims(batch, steps, di, n, floor);
        Random r = new Random(31L * steps + di);
        int rows = batch * steps, ends = batch * di * n;
        double[][] in = {Ops.roundedToFloat(Ops.uniform(r, rows * di, 0.01, 0.5)), Ops.roundedToFloat(Ops.uniform(r, di * n, -3,
                -0.2)), Ops.roundedToFloat(Ops.rand(r, rows * di, 1)), Ops.roundedToFloat(Ops.rand(r, rows * n, 1)),
            Ops.roundedToFloat(Ops.rand(r, rows * n, 1)), Ops.roundedToFloat(Ops.rand(r, rows * di, 1)),
            fromState ? Ops.roundedToFloat(Ops.rand(r, ends, 1)) : null, Ops.roundedToFloat(Ops.rand(r, ends, 1))};
        double[][] want = run(d, in[0], in[1], in[2], in[3], in[4], in[6], in[5], in[7]);
        double[][] got = runFloat(d, in);
        String[] names = {"y", "end", "ddt", "dA", "du", "dB", "dC", "dStart"};
        for (int i = 0; i < want.length; i++) {
            Ops.assertCloseScaled(want[i], got[i], 2e-5, "float kernel, " + names[i]);
        }
    }

    @ParameterizedTest
    @CsvSource({"3, 0", "19, 0", "37, 0.25", "21, 0"})
    void floatVectorFormIsTheScalarForm(int di, double floor) {
        SelectiveScanRecurrent.Dims d = new SelectiveScanRecurrent.Dims(2, 70, di, 21, floor);
        Random r = new Random(9);
        int rows = 140, ends = 2 * di * 21;
        double[] dt = Ops.uniform(r, rows * di, 0.01, 0.5);
        dt[5 * di + 1] = 40; // with A down to -3, exp(-120): past the float exponential's range
        double[][] in = {dt, Ops.uniform(r, di * 21, -3, -0.2), Ops.rand(r, rows * di, 1), Ops.rand(r, rows * 21, 1),
            Ops.rand(r, rows * 21, 1), Ops.rand(r, rows * di, 1), Ops.rand(r, ends, 1), Ops.rand(r, ends, 1)};
        Ops.assertVectorFormIsScalarForm(() -> runFloat(d, in));
    }

    /** in: dt, A, u, B, C, dY, start (or null), dEnd; returns as {@link #run}, widened to double. */
    private static double[][] runFloat(SelectiveScanRecurrent.Dims d, double[][] in) {
        float[] dt = Ops.floats(in[0]), start = in[6] == null ? null : Ops.floats(in[6]);
        float[] y = new float[dt.length], end = new float[in[7].length];
        SelectiveScanFloat.Saved sv = SelectiveScanFloat.forward(d, dt, Ops.floats(in[1]), Ops.floats(in[2]), Ops.floats(in[3]),
                Ops.floats(in[4]), start, y, end, true);
        float[] ddt = new float[dt.length], da = new float[in[1].length], du = new float[in[2].length];
        float[] db = new float[in[3].length], dc = new float[in[4].length], dStart = new float[end.length];
        SelectiveScanFloat.backward(sv, Ops.floats(in[5]), Ops.floats(in[7]), ddt, da, du, db, dc, dStart);
        return new double[][] {Ops.doubles(y), Ops.doubles(end), Ops.doubles(ddt), Ops.doubles(da), Ops.doubles(du), Ops.doubles(db),
            Ops.doubles(dc), Ops.doubles(dStart)};
    }

    private static double[][] run(SelectiveScanRecurrent.Dims d, double[] dt, double[] a, double[] u, double[] bm,
                                  double[] cm, double[] start, double[] dY, double[] dEnd) {
        double[] y = new double[dt.length], end = new double[dEnd.length];
        SelectiveScanRecurrent.Saved sv = SelectiveScanRecurrent.forward(d, dt, a, u, bm, cm, start, y, end, true);
        double[] ddt = new double[dt.length], da = new double[a.length], du = new double[u.length];
        double[] db = new double[bm.length], dc = new double[cm.length], dStart = new double[dEnd.length];
        SelectiveScanRecurrent.backward(sv, dY, dEnd, ddt, da, du, db, dc, dStart);
        return new double[][] {y, end, ddt, da, du, db, dc, dStart};
    }
}
