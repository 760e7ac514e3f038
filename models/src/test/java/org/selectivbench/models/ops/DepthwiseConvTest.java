package org.selectivbench.models.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The depthwise conv kernel with channels enough for whole vectors and a tail (19): its output against
 * the plain sum, and its vector form against its scalar form bit for bit (forward and backward, from a
 * carried tail); its float form against the double form on the same inputs (within 1e-6 of each array's
 * largest entry) and its vector form against its scalar form, with channels for whole float vectors and
 * a tail (37), with and without a tail and a bias, for fewer steps than the kernel's and for the fewest
 * the row form of four taps takes (4), and for 37 steps (the row form's blocks of steps, the last one
 * partial). modules.ShortConvTest checks gradients against finite
 * differences and the float form against the double one.
 */
class DepthwiseConvTest {
    private static final DepthwiseConv.Dims D = new DepthwiseConv.Dims(2, 11, 19, 4);

    private static double[][] run(double[] x, double[] tail, double[] w, double[] bias, double[] dpre) {
        double[] pre = new double[x.length], dx = new double[x.length], dw = new double[w.length];
        double[] db = new double[bias.length];
        DepthwiseConv.forward(D, x, tail, w, bias, pre);
        DepthwiseConv.backward(D, x, tail, w, dpre, dx, dw, db);
        return new double[][] {pre, dx, dw, db};
    }

    @Test
    void outputIsThePlainSumAndTheVectorFormTheScalarForm() {
        Random r = new Random(4);
        int ch = D.channels(), k = D.kernel(), t = D.steps();
        double[] x = Ops.rand(r, D.batch() * t * ch, 1), tail = Ops.rand(r, D.batch() * (k - 1) * ch, 1);
        double[] w = Ops.rand(r, k * ch, 1), bias = Ops.rand(r, ch, 1), dpre = Ops.rand(r, x.length, 1);
        double[][] got = run(x, tail, w, bias, dpre);
        for (int b = 0; b < D.batch(); b++) {
            for (int s = 0; s < t; s++) {
                for (int c = 0; c < ch; c++) {
                    double want = bias[c];
                    for (int j = 0; j < k; j++) {
                        int src = s - k + 1 + j;
                        double xv = src >= 0 ? x[(b * t + src) * ch + c] : tail[(b * (k - 1) + k - 1 + src) * ch + c];
                        want += w[j * ch + c] * xv;
                    }
                    assertEquals(want, got[0][(b * t + s) * ch + c], 1e-12, "pre " + b + "," + s + "," + c);
                }
            }
        }
        Assumptions.assumeTrue(Simd.on(), "the Vector API is not on the module path");
        Simd.use(false);
        try {
            double[][] scalar = run(x, tail, w, bias, dpre);
            for (int i = 0; i < got.length; i++) {
                assertArrayEquals(scalar[i], got[i], "array " + i);
            }
        } finally {
            Simd.use(true);
        }
    }

    @ParameterizedTest
    @CsvSource({"11, true, true, 37", "11, false, true, 37", "2, true, true, 37", "4, true, false, 37",
            "5, false, false, 37", "3, true, true, 37", "37, true, true, 37", "37, false, false, 37",
            // rows read in order first (DepthwiseConv.TOUCHED_CHANNELS), and channels past whole vectors
            "37, true, true, 67", "11, false, false, 67"})
    void floatFormIsTheDoubleFormAndItsVectorFormItsScalarForm(int steps, boolean withTail, boolean withBias,
                                                               int channels) {
        DepthwiseConv.Dims d = new DepthwiseConv.Dims(2, steps, channels, 4);
        Random r = new Random(5);
        int ch = d.channels(), k = d.kernel();
        float[] x = Ops.floats(Ops.rand(r, d.batch() * d.steps() * ch, 1));
        float[] tail = withTail ? Ops.floats(Ops.rand(r, d.batch() * (k - 1) * ch, 1)) : null;
        float[] w = Ops.floats(Ops.rand(r, k * ch, 1));
        float[] bias = withBias ? Ops.floats(Ops.rand(r, ch, 1)) : null, dpre = Ops.floats(Ops.rand(r, x.length, 1));
        java.util.function.Supplier<double[][]> floats = () -> {
            float[] pre = new float[x.length], dx = new float[x.length], dw = new float[w.length], db = new float[ch];
            DepthwiseConv.forward(d, x, tail, w, bias, pre);
            DepthwiseConv.backward(d, x, tail, w, dpre, dx, dw, withBias ? db : null);
            return new double[][] {Ops.doubles(pre), Ops.doubles(dx), Ops.doubles(dw), Ops.doubles(db)};
        };
        double[] xd = Ops.doubles(x), td = tail == null ? null : Ops.doubles(tail), wd = Ops.doubles(w);
        double[] pre = new double[x.length], dx = new double[x.length], dw = new double[w.length], db = new double[ch];
        DepthwiseConv.forward(d, xd, td, wd, withBias ? Ops.doubles(bias) : null, pre);
        DepthwiseConv.backward(d, xd, td, wd, Ops.doubles(dpre), dx, dw, withBias ? db : null);
        double[][] want = {pre, dx, dw, db}, got = floats.get();
        for (int i = 0; i < want.length; i++) {
            Ops.assertCloseScaled(want[i], got[i], 1e-6, "array " + i);
        }
        Ops.assertVectorFormIsScalarForm(floats);
    }

    /**
     * The per-sequence hooks: forward's runs on each sequence once, after its outputs are written (it
     * copies them, and the copy is the whole output); backward's runs before each sequence is read (it
     * writes that sequence's dpre into an array of NaN, and dx and dw are those of the whole dpre), on
     * one thread and three, with and without the vector form (37 channels: the vector rows and the
     * scalar rest).
     */
    @ParameterizedTest
    @CsvSource({"1", "3"})
    void sequenceHooksSeeEachSequenceAtTheirTurn(int threads) {
        Parallel.setThreads(threads);
        try {
            DepthwiseConv.Dims d = new DepthwiseConv.Dims(5, 9, 37, 4);
            Random r = new Random(8);
            int ch = d.channels(), n = d.steps() * ch;
            float[] x = Ops.floats(Ops.rand(r, d.batch() * n, 1)), w = Ops.floats(Ops.rand(r, 4 * ch, 1));
            float[] dpre = Ops.floats(Ops.rand(r, x.length, 1));
            java.util.function.Supplier<double[][]> run = () -> {
                float[] pre = new float[x.length], seen = new float[x.length];
                int[] calls = new int[d.batch()];
                DepthwiseConv.forward(d, x, null, w, null, pre, (from, len) -> {
                    assertEquals(n, len, "rows of a sequence");
                    calls[from / n]++;
                    System.arraycopy(pre, from, seen, from, len);
                });
                float[] late = new float[x.length], dx = new float[x.length], dw = new float[w.length];
                java.util.Arrays.fill(late, Float.NaN);
                DepthwiseConv.backward(d, x, null, w, late, dx, dw, null,
                        (from, len) -> System.arraycopy(dpre, from, late, from, len));
                float[] dxWant = new float[x.length], dwWant = new float[w.length];
                DepthwiseConv.backward(d, x, null, w, dpre, dxWant, dwWant, null);
                assertArrayEquals(pre, seen, "forward's hook saw the outputs");
                assertArrayEquals(new int[] {1, 1, 1, 1, 1}, calls, "forward's hook calls per sequence");
                assertArrayEquals(dxWant, dx, "dx with dpre written by the hook");
                assertArrayEquals(dwWant, dw, "dw with dpre written by the hook");
                return new double[][] {Ops.doubles(pre), Ops.doubles(dx), Ops.doubles(dw)};
            };
            run.get();
            Ops.assertVectorFormIsScalarForm(run);
        } finally {
            Parallel.setThreads(1);
        }
    }
}
