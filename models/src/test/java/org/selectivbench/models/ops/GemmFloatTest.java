package org.selectivbench.models.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The float matmuls against plain double loops beside them, on random float inputs: within 1e-5 of the
 * output's largest entry (float rounding over sums of up to 601 terms). Row counts that leave a part
 * block of eight or four, column counts of whole vectors (16, 32, 48: 4, 8 and 16 lanes) and with a tail (19,
 * 24, 40, 41 with 16 lanes: the last vector's lanes, overlapping the whole ones; 601 rows: the weight
 * gradient's tail in blocks of 256 rows; 12 inner: a block of eight weight-gradient rows and one of
 * four), and narrower than a vector (1, 4, 5 and 8 columns: rows side by side instead); with and without
 * the vector form, on one thread and three,
 * the same bits.
 */
class GemmFloatTest {
    @ParameterizedTest
    @CsvSource({"1, 1, 16", "7, 3, 16", "13, 16, 32", "37, 33, 48", "300, 32, 64", "9, 5, 19", "22, 40, 40", "601, 32, 24", "43, 32, 41", "5, 41, 17", "41, 12, 40",
        "263, 37, 4", "300, 32, 5", "41, 9, 1", "97, 32, 8"})
    void matchesPlainLoops(int m, int k, int n) {
        Parallel.setThreads(2);
        Random r = new Random(m * 131L + k * 7L + n);
        float[] a = Ops.floats(Ops.rand(r, m * k, 1)), b = Ops.floats(Ops.rand(r, k * n, 1));
        float[] bias = Ops.floats(Ops.rand(r, n, 1));
        float[] dy = Ops.floats(Ops.rand(r, m * n, 1)), g0 = Ops.floats(Ops.rand(r, k * n, 1));
        // nn with a bias: x W + b
        Ops.assertCloseScaled(plainNn(a, b, bias, null, m, k, n), Ops.doubles(GemmFloat.nn(a, b, bias, m, k, n)), 1e-5,
                "nn");
        // nt into a new array and added into one: dy W^T with W [k, n] read as [n, k]^T, rows [m, n] -> [m, k]
        float[] wt = Loops.transposed(b, k, n);
        Ops.assertCloseScaled(plainNn(dy, wt, null, null, m, n, k), Ops.doubles(GemmFloat.nt(dy, b, null, m, n, k)), 1e-5,
                "nt");
        float[] acc = Ops.floats(Ops.rand(r, m * k, 1));
        double[] want = plainNn(dy, wt, null, acc, m, n, k);
        Ops.assertCloseScaled(want, Ops.doubles(GemmFloat.nt(dy, b, acc.clone(), m, n, k)), 1e-5, "nt added");
        // tnAdd: g += a^T dy
        float[] g = g0.clone();
        GemmFloat.tnAdd(a, dy, g, m, k, n);
        Ops.assertCloseScaled(plainTn(a, dy, g0, m, k, n), Ops.doubles(g), 1e-5, "tnAdd");
    }

    @ParameterizedTest
    // 41: a tail past whole vectors of 4, 8 and 16 lanes; 57 with 19 inner: blocks of eight rows (and of
    // eight weight-gradient rows) with two vectors, one vector and a tail beside them
    // 4 and 5 columns, narrower than a vector: rows (and weight-gradient rows) side by side, one per lane,
    // in blocks of a vector's lanes that the threads' ranges cut
    @CsvSource({"263, 11, 41", "263, 19, 57", "263, 37, 5", "300, 32, 4"})
    void vectorFormAndThreadsGiveTheSameBits(int m, int k, int n) {
        Random r = new Random(3);
        float[] a = Ops.floats(Ops.rand(r, m * k, 1)), b = Ops.floats(Ops.rand(r, k * n, 1));
        float[] bias = Ops.floats(Ops.rand(r, n, 1)), dy = Ops.floats(Ops.rand(r, m * n, 1));
        float[] g0 = Ops.floats(Ops.rand(r, k * n, 1)), acc = Ops.floats(Ops.rand(r, m * k, 1));
        java.util.function.Supplier<double[][]> run = () -> {
            float[] g = g0.clone();
            GemmFloat.tnAdd(a, dy, g, m, k, n);
            return new double[][] {Ops.doubles(GemmFloat.nn(a, b, bias, m, k, n)),
                Ops.doubles(GemmFloat.nt(dy, b, acc.clone(), m, n, k)), Ops.doubles(g)};
        };
        Parallel.setThreads(1);
        double[][] one = run.get();
        Parallel.setThreads(3);
        double[][] three = run.get();
        for (int i = 0; i < one.length; i++) {
            assertArrayEquals(one[i], three[i], "array " + i + " on 1 and 3 threads");
        }
        Ops.assertVectorFormIsScalarForm(run);
    }

    /**
     * Two weight gradients from one b in one pass: the bits of two {@link GemmFloat#tnAdd} calls (and so
     * within 1e-5 of the plain loops), on one thread and three, with and without the vector form; 601 rows
     * cross chunks of 256, 37 inner rows leave blocks of four and one, 41 columns take the two calls.
     */
    @ParameterizedTest
    @CsvSource({"601, 32, 128", "263, 37, 32", "300, 32, 48", "263, 11, 41", "97, 8, 5"})
    void pairedWeightGradientsAreTwoCalls(int m, int k, int n) {
        Random r = new Random(5 + m + k + n);
        float[] a1 = Ops.floats(Ops.rand(r, m * k, 1)), a2 = Ops.floats(Ops.rand(r, m * k, 1));
        float[] b = Ops.floats(Ops.rand(r, m * n, 1));
        float[] g1 = Ops.floats(Ops.rand(r, k * n, 1)), g2 = Ops.floats(Ops.rand(r, k * n, 1));
        java.util.function.Supplier<double[][]> pair = () -> {
            float[] c1 = g1.clone(), c2 = g2.clone();
            GemmFloat.tnAddPair(a1, c1, a2, c2, b, m, k, n);
            return new double[][] {Ops.doubles(c1), Ops.doubles(c2)};
        };
        Parallel.setThreads(1);
        float[] c1 = g1.clone(), c2 = g2.clone();
        GemmFloat.tnAdd(a1, b, c1, m, k, n);
        GemmFloat.tnAdd(a2, b, c2, m, k, n);
        double[][] one = pair.get();
        assertArrayEquals(Ops.doubles(c1), one[0], "the first gradient against its own call");
        assertArrayEquals(Ops.doubles(c2), one[1], "the second gradient against its own call");
        Ops.assertCloseScaled(plainTn(a2, b, g2, m, k, n), one[1], 1e-5, "the second gradient");
        Parallel.setThreads(3);
        double[][] three = pair.get();
        assertArrayEquals(one[0], three[0], "the first gradient on 1 and 3 threads");
        assertArrayEquals(one[1], three[1], "the second gradient on 1 and 3 threads");
        Parallel.setThreads(1);
        Ops.assertVectorFormIsScalarForm(pair);
    }

    /**
     * A new product's array is not zero-filled: inside a poisoned arena's pass it comes full of NaN, so a
     * kernel that read it before writing (a sum started from c's entry) would show.
     */
    @ParameterizedTest
    @CsvSource({"263, 11, 41", "64, 32, 64", "9, 5, 19"})
    void newProductsDoNotReadTheirArray(int m, int k, int n) {
        Parallel.setThreads(1);
        Random r = new Random(11);
        float[] a = Ops.floats(Ops.rand(r, m * k, 1)), b = Ops.floats(Ops.rand(r, k * n, 1));
        float[] bias = Ops.floats(Ops.rand(r, n, 1)), dy = Ops.floats(Ops.rand(r, m * n, 1));
        java.util.function.Supplier<double[][]> run = () -> {
            try (Arena.Pass pass = Arena.poisoned().open()) {
                return new double[][] {Ops.doubles(GemmFloat.nn(a, b, bias, m, k, n)),
                    Ops.doubles(GemmFloat.nt(dy, b, null, m, n, k))};
            }
        };
        double[][] got = run.get();
        Ops.assertCloseScaled(plainNn(a, b, bias, null, m, k, n), got[0], 1e-5, "nn");
        Ops.assertCloseScaled(plainNn(dy, Loops.transposed(b, k, n), null, null, m, n, k), got[1], 1e-5, "nt");
        Ops.assertVectorFormIsScalarForm(run);
    }

    /** a [m, k] b [k, n] (+ bias) (+ c), in double. */
    static double[] plainNn(float[] a, float[] b, float[] bias, float[] c, int m, int k, int n) {
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = c == null ? 0 : c[i * n + j];
                for (int q = 0; q < k; q++) {
                    s += (double) a[i * k + q] * b[q * n + j];
                }
                out[i * n + j] = bias == null ? s : s + bias[j];
            }
        }
        return out;
    }

    /** g + a^T b for a [m, k], b [m, n], in double. */
    static double[] plainTn(float[] a, float[] b, float[] g, int m, int k, int n) {
        double[] out = new double[k * n];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < n; j++) {
                double s = g[i * n + j];
                for (int r = 0; r < m; r++) {
                    s += (double) a[r * k + i] * b[r * n + j];
                }
                out[i * n + j] = s;
            }
        }
        return out;
    }
}
