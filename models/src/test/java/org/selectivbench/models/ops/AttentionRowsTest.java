package org.selectivbench.models.ops;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.selectivbench.models.FiniteDifferences;

/**
 * The row-by-row attention kernel against {@link AttentionNaive} in double precision: outputs within
 * 1e-12, and the gradients of a random projection of the output with respect to q, k and v within 1e-6
 * relative of central differences; head widths and lengths with and without whole vectors, two
 * threads. And its vector form against its scalar form, bit for bit. The float form
 * ({@link AttentionFloat}) against the double form on the same float-rounded inputs (within 2e-6
 * after scaling by the largest entry), and its vector form against its scalar form, bit for bit.
 */
class AttentionRowsTest {
    @ParameterizedTest
    @CsvSource({"2, 5, 3", "3, 11, 8", "1, 19, 10", "2, 9, 17"})
    void matchesReference(int sequences, int steps, int width) {
        Parallel.setThreads(2);
        AttentionRows.Dims d = new AttentionRows.Dims(sequences, steps, width);
        Random r = new Random(steps * 31L + width);
        int n = sequences * steps * width;
        double[] q = Ops.rand(r, n, 1), k = Ops.rand(r, n, 1), v = Ops.rand(r, n, 1), proj = Ops.rand(r, n, 1);
        double scale = 1 / Math.sqrt(width);
        double[] o = new double[n];
        AttentionRows.Saved sv = AttentionRows.forward(d, q, k, v, scale, o, true);
        Ops.assertClose(AttentionNaive.run(d, q, k, v, scale), o, 1e-12, "forward");
        double[][] g = AttentionRows.backward(sv, proj);
        Map<String, double[]> in = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
        in.put("q", q);
        grads.put("q", g[0]);
        in.put("k", k);
        grads.put("k", g[1]);
        in.put("v", v);
        grads.put("v", g[2]);
        FiniteDifferences.checkArrays(in, grads, () -> Ops.dot(AttentionNaive.run(d, q, k, v, scale), proj));
    }

    /** Lengths past and short of whole blocks of queries, head widths with and without a column tail. */
    @ParameterizedTest
    @CsvSource({"3, 29, 19", "2, 36, 8", "1, 3, 4"})
    void vectorFormIsTheScalarForm(int sequences, int steps, int width) {
        AttentionRows.Dims d = new AttentionRows.Dims(sequences, steps, width);
        Random r = new Random(21);
        int n = sequences * steps * width;
        double[] q = Ops.rand(r, n, 2), k = Ops.rand(r, n, 2), v = Ops.rand(r, n, 1), dO = Ops.rand(r, n, 1);
        Ops.assertVectorFormIsScalarForm(() -> run(d, q, k, v, dO));
    }

    /**
     * Head widths from 3 to 36; lengths past and short of whole blocks of queries and keys (16), one
     * block and several.
     */
    @ParameterizedTest
    @CsvSource({"2, 5, 3", "3, 37, 8", "2, 40, 16", "2, 23, 17", "1, 21, 36", "2, 16, 8", "1, 1, 4"})
    void floatFormMatchesDoubleForm(int sequences, int steps, int width) {
        Parallel.setThreads(2);
        try {
            AttentionRows.Dims d = new AttentionRows.Dims(sequences, steps, width);
            Random r = new Random(steps * 7L + width);
            int n = sequences * steps * width;
            double[] q = Ops.roundedToFloat(Ops.rand(r, n, 2)), k = Ops.roundedToFloat(Ops.rand(r, n, 2));
            double[] v = Ops.roundedToFloat(Ops.rand(r, n, 1)), dO = Ops.roundedToFloat(Ops.rand(r, n, 1));
            double[][] want = run(d, q, k, v, dO);
            double[][] got = runFloats(d, q, k, v, dO);
            String[] names = {"o", "dq", "dk", "dv"};
            for (int i = 0; i < names.length; i++) {
                Ops.assertCloseScaled(want[i], got[i], 2e-6, names[i]);
            }
        } finally {
            Parallel.setThreads(1);
        }
    }

    /**
     * Scale 3 spreads some blocks' scores past the exponential's vector range (|s - max| over 87): the
     * vector form hands those blocks' exponentials to the scalar form ({@code ExpVector.expRows}) and
     * does the rest in vectors. Heads of 4, 8 and 16 take dq's vector forms (two queries to a vector at
     * heads of half a vector, whole vectors of a query's row), with queries past whole groups of four
     * and two (23 steps).
     */
    @ParameterizedTest
    @CsvSource({"3, 29, 19, 0.3", "2, 36, 8, 0.3", "2, 23, 8, 0.3", "2, 36, 4, 0.3", "2, 33, 16, 0.3",
            "1, 38, 40, 0.3", "1, 7, 5, 0.3", "2, 36, 8, 3", "1, 38, 40, 3"})
    void floatVectorFormIsTheScalarForm(int sequences, int steps, int width, float scale) {
        AttentionRows.Dims d = new AttentionRows.Dims(sequences, steps, width);
        Random r = new Random(22);
        int n = sequences * steps * width;
        double[] q = Ops.rand(r, n, 2), k = Ops.rand(r, n, 2), v = Ops.rand(r, n, 1), dO = Ops.rand(r, n, 1);
        Ops.assertVectorFormIsScalarForm(() -> runFloats(d, q, k, v, dO, scale));
    }

    private static double[][] runFloats(AttentionRows.Dims d, double[] q, double[] k, double[] v, double[] dO) {
        return runFloats(d, q, k, v, dO, 0.3f);
    }

    private static double[][] runFloats(AttentionRows.Dims d, double[] q, double[] k, double[] v, double[] dO,
                                        float scale) {
        float[] o = new float[q.length];
        AttentionFloat.Saved sv = AttentionFloat.forward(d, Ops.floats(q), Ops.floats(k), Ops.floats(v), scale,
                o, true);
        float[][] g = AttentionFloat.backward(sv, Ops.floats(dO));
        return new double[][] {Ops.doubles(o), Ops.doubles(g[0]), Ops.doubles(g[1]), Ops.doubles(g[2])};
    }

    private static double[][] run(AttentionRows.Dims d, double[] q, double[] k, double[] v, double[] dO) {
        double[] o = new double[q.length];
        AttentionRows.Saved sv = AttentionRows.forward(d, q, k, v, 0.3, o, true);
        double[][] g = AttentionRows.backward(sv, dO);
        return new double[][] {o, g[0], g[1], g[2]};
    }
}
