package org.selectivbench.models.ops;


import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.selectivbench.models.FiniteDifferences;

/**
 * The delta-rule kernel against its plain reference ({@link DeltaRuleNaive}) in double precision:
 * outputs and end states within 1e-12, and the gradients of a random projection of both with respect
 * to every input and the start state within 1e-6 relative of central differences. Lengths around the
 * checkpoint interval, with and without decay, one and several sub-steps, two threads; and the vector
 * form against the scalar form, bit for bit. The float kernel ({@link DeltaRuleFloat}) against the double
 * one given the same float inputs (every output and gradient within 2e-5 of its array's largest entry),
 * and its lane form against its scalar form, bit for bit.
 */
class DeltaRuleTest {
    @ParameterizedTest
    @CsvSource({"2, 5, 2, 3, 2, 1, true, false", "2, 33, 2, 3, 2, 1, true, true", "1, 40, 1, 2, 3, 1, false, true",
            "2, 7, 2, 2, 3, 3, true, true", "1, 70, 1, 3, 2, 2, false, false", "2, 35, 2, 3, 11, 2, true, true",
            "2, 9, 2, 5, 3, 2, true, true", "1, 6, 1, 9, 4, 1, true, false", "1, 8, 2, 4, 3, 2, false, true",
            "5, 35, 2, 3, 4, 2, true, true", "9, 33, 1, 2, 3, 1, false, false"})
    void matchesReference(int batch, int steps, int heads, int kd, int vd, int sub, boolean decay, boolean fromState) {
        Parallel.setThreads(2);
        DeltaRuleRecurrent.Dims d = new DeltaRuleRecurrent.Dims(batch, steps, heads, kd, vd, sub);
        Random r = new Random(steps * 7L + sub);
        int rows = batch * steps;
        double[] q = Ops.rand(r, rows * heads * kd, 0.5), k = Ops.unitRows(r, rows * sub * heads, kd);
        double[] v = Ops.rand(r, rows * sub * heads * vd, 1), beta = Ops.uniform(r, rows * sub * heads, 0, 2);
        double[] a = decay ? Ops.uniform(r, rows * heads, -1.5, 0) : null;
        double[] start = fromState ? Ops.rand(r, batch * heads * kd * vd, 1) : null;
        int outs = rows * heads * vd, ends = batch * heads * kd * vd;
        double[] proj = Ops.rand(r, outs + ends, 1);

        double[] o = new double[outs], end = new double[ends];
        DeltaRuleRecurrent.Saved sv = DeltaRuleRecurrent.forward(d, q, k, v, beta, a, start, o, end, true);
        double[] want = DeltaRuleNaive.run(d, q, k, v, beta, a, start);
        Ops.assertClose(want, Ops.concat(o, end), 1e-12, "forward");

        double[] dq = new double[q.length], dk = new double[k.length], dv = new double[v.length];
        double[] dbeta = new double[beta.length], da = decay ? new double[a.length] : null;
        double[] dStart = new double[ends];
        DeltaRuleRecurrent.backward(sv, java.util.Arrays.copyOf(proj, outs),
                java.util.Arrays.copyOfRange(proj, outs, outs + ends), dq, dk, dv, dbeta, da, dStart);
        Map<String, double[]> in = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
        in.put("q", q);
        grads.put("q", dq);
        in.put("k", k);
        grads.put("k", dk);
        in.put("v", v);
        grads.put("v", dv);
        in.put("beta", beta);
        grads.put("beta", dbeta);
        if (decay) {
            in.put("a", a);
            grads.put("a", da);
        }
        double[] s0 = start != null ? start : new double[ends];
        in.put("start", s0);
        grads.put("start", dStart);
        FiniteDifferences.checkArrays(in, grads, () -> Ops.dot(DeltaRuleNaive.run(d, q, k, v, beta, a, s0), proj));
    }

    @ParameterizedTest
    @CsvSource({"19", "11"})
    void vectorFormIsTheScalarFormBitForBit(int vd) {
        org.junit.jupiter.api.Assumptions.assumeTrue(Simd.on(), "the Vector API is not on the module path");
        // 19 and 11 value columns: pairs of whole vectors, a single one, and a tail on 4 or 8 lanes; 10
        // sequences: whole groups of a sequence per lane, and the rest one by one
        DeltaRuleRecurrent.Dims d = new DeltaRuleRecurrent.Dims(5, 37, 2, 5, vd, 2);
        Random r = new Random(9);
        int rows = 5 * 37, outs = rows * 2 * vd, ends = 5 * 2 * 5 * vd;
        double[] q = Ops.rand(r, rows * 2 * 5, 0.5), k = Ops.unitRows(r, rows * 2 * 2, 5);
        double[] v = Ops.rand(r, rows * 2 * 2 * vd, 1), beta = Ops.uniform(r, rows * 2 * 2, 0, 2);
        double[] a = Ops.uniform(r, rows * 2, -1.5, 0), start = Ops.rand(r, ends, 1), dO = Ops.rand(r, outs, 1);
        double[] dEnd = Ops.rand(r, ends, 1);
        double[][] results = new double[2][];
        for (int form = 0; form < 2; form++) {
            Simd.use(form == 0);
            try {
                double[] o = new double[outs], end = new double[ends];
                DeltaRuleRecurrent.Saved sv = DeltaRuleRecurrent.forward(d, q, k, v, beta, a, start, o, end, true);
                double[] dq = new double[q.length], dk = new double[k.length], dv = new double[v.length];
                double[] dbeta = new double[beta.length], da = new double[a.length], dStart = new double[ends];
                DeltaRuleRecurrent.backward(sv, dO, dEnd, dq, dk, dv, dbeta, da, dStart);
                results[form] = Ops.concat(Ops.concat(Ops.concat(o, end), Ops.concat(dq, dk)),
                        Ops.concat(Ops.concat(dv, dbeta), Ops.concat(da, dStart)));
            } finally {
                Simd.use(true);
            }
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(results[1], results[0]);
    }

    @ParameterizedTest
    @CsvSource({"2, 70, 2, 8, 16, 1, true, true", "5, 35, 2, 3, 4, 2, true, false", "17, 33, 1, 5, 11, 1, false, true",
            "3, 9, 4, 4, 3, 3, true, true"})
    void floatKernelIsTheDoubleKernelInFloat(int batch, int steps, int heads, int kd, int vd, int sub, boolean decay,
                                            boolean fromState) {
        Parallel.setThreads(2);
        DeltaRuleRecurrent.Dims d = new DeltaRuleRecurrent.Dims(batch, steps, heads, kd, vd, sub);
        double[][] in = inputs(d, new Random(13L * steps + kd), decay, fromState);
        double[][] want = run(d, in);
        double[][] got = runFloat(d, in);
        String[] names = {"o", "end", "dq", "dk", "dv", "dbeta", "da", "dStart"};
        for (int i = 0; i < want.length; i++) {
            if (want[i] != null) {
                Ops.assertCloseScaled(want[i], got[i], 2e-5, "float kernel, " + names[i]);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"19", "11"})
    void floatLaneFormIsTheScalarForm(int vd) {
        // 5 x 7 = 35 sequences: whole groups on 16 and 8 lanes, and the rest one by one
        DeltaRuleRecurrent.Dims d = new DeltaRuleRecurrent.Dims(5, 37, 7, 5, vd, 2);
        double[][] in = inputs(d, new Random(10), true, true);
        Ops.assertVectorFormIsScalarForm(() -> runFloat(d, in));
    }

    /** q, k, v, beta, a (or null), start (or null), dO, dEnd, rounded to float. */
    private static double[][] inputs(DeltaRuleRecurrent.Dims d, Random r, boolean decay, boolean fromState) {
        int rows = d.batch() * d.steps(), heads = d.heads(), sub = d.subSteps();
        int ends = d.batch() * heads * d.k() * d.v();
        double[][] in = {Ops.rand(r, rows * heads * d.k(), 0.5), Ops.unitRows(r, rows * sub * heads, d.k()),
            Ops.rand(r, rows * sub * heads * d.v(), 1), Ops.uniform(r, rows * sub * heads, 0, 2),
            decay ? Ops.uniform(r, rows * heads, -1.5, 0) : null, fromState ? Ops.rand(r, ends, 1) : null,
            Ops.rand(r, rows * heads * d.v(), 1), Ops.rand(r, ends, 1)};
        for (int i = 0; i < in.length; i++) {
            in[i] = in[i] == null ? null : Ops.roundedToFloat(in[i]);
        }
        return in;
    }

    /** o, end, dq, dk, dv, dbeta, da (null without decay), dStart of the double kernel. */
    private static double[][] run(DeltaRuleRecurrent.Dims d, double[][] in) {
        double[] o = new double[in[6].length], end = new double[in[7].length];
        DeltaRuleRecurrent.Saved sv = DeltaRuleRecurrent.forward(d, in[0], in[1], in[2], in[3], in[4], in[5], o, end,
                true);
        double[] dq = new double[in[0].length], dk = new double[in[1].length], dv = new double[in[2].length];
        double[] dbeta = new double[in[3].length], da = in[4] == null ? null : new double[in[4].length];
        double[] dStart = new double[end.length];
        DeltaRuleRecurrent.backward(sv, in[6], in[7], dq, dk, dv, dbeta, da, dStart);
        return new double[][] {o, end, dq, dk, dv, dbeta, da, dStart};
    }

    /** As {@link #run}, of the float kernel, widened to double. */
    private static double[][] runFloat(DeltaRuleRecurrent.Dims d, double[][] in) {
        float[] a = in[4] == null ? null : Ops.floats(in[4]), start = in[5] == null ? null : Ops.floats(in[5]);
        float[] o = new float[in[6].length], end = new float[in[7].length];
        DeltaRuleFloat.Saved sv = DeltaRuleFloat.forward(d, Ops.floats(in[0]), Ops.floats(in[1]), Ops.floats(in[2]),
                Ops.floats(in[3]), a, start, o, end, true);
        float[] dq = new float[in[0].length], dk = new float[in[1].length], dv = new float[in[2].length];
        float[] dbeta = new float[in[3].length], da = a == null ? null : new float[a.length];
        float[] dStart = new float[end.length];
        DeltaRuleFloat.backward(sv, Ops.floats(in[6]), Ops.floats(in[7]), dq, dk, dv, dbeta, da, dStart);
        return new double[][] {Ops.doubles(o), Ops.doubles(end), Ops.doubles(dq), Ops.doubles(dk), Ops.doubles(dv),
            Ops.doubles(dbeta), da == null ? null : Ops.doubles(da), Ops.doubles(dStart)};
    }
}
