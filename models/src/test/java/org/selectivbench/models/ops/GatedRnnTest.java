package org.selectivbench.models.ops;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.selectivbench.models.FiniteDifferences;
import org.selectivbench.models.ops.GatedRnnRecurrent.Cell;

/**
 * The LSTM and GRU recurrences against {@link GatedRnnNaive} in double precision: outputs and last states
 * within 1e-12; the gradients of a random projection with respect to the input projections, the
 * recurrent weights (from the kernel's gate gradients, as the layer forms them), b_hn and the start
 * states within 1e-6 relative of central differences. Hidden size 11 gives the vector forms whole vectors
 * and tails; with and without them the kernel computes the same bits. The float kernel
 * ({@link GatedRnnFloat}) against the double one on the same float inputs (every output, end state and
 * gradient within 2e-5 of its array's largest entry), and its vector form against its scalar form.
 */
class GatedRnnTest {
    @ParameterizedTest
    @CsvSource({"LSTM, 2, 6, 3, false", "LSTM, 3, 5, 2, true", "GRU, 2, 6, 3, false", "GRU, 3, 5, 2, true",
        "LSTM, 2, 4, 11, true", "GRU, 2, 4, 11, true"})
    void matchesReference(Cell cell, int batch, int steps, int hd, boolean fromState) {
        Parallel.setThreads(2);
        GatedRnnRecurrent.Dims d = new GatedRnnRecurrent.Dims(cell, batch, steps, hd);
        boolean lstm = cell == Cell.LSTM;
        Random r = new Random(steps * 19L + hd + (lstm ? 1 : 0));
        int rows = batch * steps, w = d.width();
        double[] xg = Ops.rand(r, rows * w, 1), wh = Ops.rand(r, hd * w, 0.6), bn = Ops.rand(r, hd, 0.5);
        double[] h0 = fromState ? Ops.rand(r, batch * hd, 1) : new double[batch * hd];
        double[] c0 = fromState ? Ops.rand(r, batch * hd, 1) : new double[batch * hd];
        int outs = rows * hd, ends = batch * hd * (lstm ? 2 : 1);
        double[] proj = Ops.rand(r, outs + ends, 1);

        double[] h = new double[outs], hEnd = new double[batch * hd], cEnd = new double[batch * hd];
        GatedRnnRecurrent.Saved sv = GatedRnnRecurrent.forward(d, xg, wh, lstm ? null : bn, h0, lstm ? c0 : null, h,
                hEnd, lstm ? cEnd : null, true);
        double[] got = lstm ? Ops.concat(Ops.concat(h, hEnd), cEnd) : Ops.concat(h, hEnd);
        Ops.assertClose(GatedRnnNaive.run(d, xg, wh, bn, h0, c0), got, 1e-12, "forward");

        double[] dX = new double[rows * w], dA = lstm ? null : new double[rows * w];
        double[] dh0 = new double[batch * hd], dc0 = new double[batch * hd];
        GatedRnnRecurrent.backward(sv, java.util.Arrays.copyOf(proj, outs),
                java.util.Arrays.copyOfRange(proj, outs, outs + batch * hd),
                lstm ? java.util.Arrays.copyOfRange(proj, outs + batch * hd, outs + ends) : null, dX, dA, dh0,
                lstm ? dc0 : null);
        double[] rec = lstm ? dX : dA;
        double[] dWh = new double[hd * w], dbn = new double[hd];
        for (int row = 0; row < rows; row++) { // dW_h = sum_t h_{t-1}^T dA_t; db_hn = sum_t dA_n,t
            for (int j = 0; j < hd; j++) {
                for (int k = 0; k < w; k++) {
                    dWh[j * w + k] += sv.hPrev()[row * hd + j] * rec[row * w + k];
                }
                dbn[j] += rec[row * w + 2 * hd + j];
            }
        }
        Map<String, double[]> in = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
        in.put("xg", xg);
        grads.put("xg", dX);
        in.put("wh", wh);
        grads.put("wh", dWh);
        if (!lstm) {
            in.put("bn", bn);
            grads.put("bn", dbn);
        }
        in.put("h0", h0);
        grads.put("h0", dh0);
        if (lstm) {
            in.put("c0", c0);
            grads.put("c0", dc0);
        }
        FiniteDifferences.checkArrays(in, grads, () -> Ops.dot(GatedRnnNaive.run(d, xg, wh, bn, h0, c0), proj));
    }

    @ParameterizedTest
    @CsvSource({"LSTM", "GRU"})
    void vectorFormIsTheScalarForm(Cell cell) {
        GatedRnnRecurrent.Dims d = new GatedRnnRecurrent.Dims(cell, 2, 7, 13);
        Random r = new Random(5);
        int rows = 14, w = d.width(), hd = 13;
        double[] xg = Ops.rand(r, rows * w, 1), wh = Ops.rand(r, hd * w, 0.6), bn = Ops.rand(r, hd, 0.5);
        double[] h0 = Ops.rand(r, 2 * hd, 1), c0 = Ops.rand(r, 2 * hd, 1), dH = Ops.rand(r, rows * hd, 1);
        boolean lstm = cell == Cell.LSTM;
        Ops.assertVectorFormIsScalarForm(() -> run(d, xg, wh, lstm ? null : bn, h0, lstm ? c0 : null, dH));
    }

    private static double[][] run(GatedRnnRecurrent.Dims d, double[] xg, double[] wh, double[] bn, double[] h0,
                                  double[] c0, double[] dH) {
        int rows = d.batch() * d.steps(), hd = d.hidden();
        double[] h = new double[rows * hd], dX = new double[rows * d.width()], dA = new double[rows * d.width()];
        double[] dh0 = new double[d.batch() * hd], dc0 = new double[d.batch() * hd];
        GatedRnnRecurrent.Saved sv = GatedRnnRecurrent.forward(d, xg, wh, bn, h0, c0, h, null, null, true);
        GatedRnnRecurrent.backward(sv, dH, null, null, dX, bn == null ? null : dA, dh0, c0 == null ? null : dc0);
        return new double[][] {h, dX, dA, dh0, dc0};
    }

    @ParameterizedTest
    @CsvSource({"LSTM, 13", "GRU, 13", "LSTM, 37", "GRU, 37"})
    void floatKernelIsTheDoubleKernelInFloat(Cell cell, int hd) {
        Parallel.setThreads(2);
        // nine sequences on two threads: five and four, so backward steps groups of four and a single one
        GatedRnnRecurrent.Dims d = new GatedRnnRecurrent.Dims(cell, 9, 40, hd);
        double[][] in = floatInputs(d, new Random(hd * 3L + cell.ordinal()));
        double[][] want = runWithEnds(d, in), got = runFloat(d, in);
        String[] names = {"h", "dX", "dA", "dh0", "dc0", "hEnd", "cEnd"};
        for (int i = 0; i < want.length; i++) {
            Ops.assertCloseScaled(want[i], got[i], 2e-5, "float kernel, " + names[i]);
        }
    }

    @ParameterizedTest
    @CsvSource({"LSTM, 37, 1", "GRU, 37, 1", "LSTM, 32, 1", "GRU, 16, 1", "LSTM, 32, 20", "LSTM, 16, 40"})
    void floatVectorFormIsTheScalarForm(Cell cell, int hd, double scale) {
        // 37 hidden units: two whole vectors and a tail on 16 float lanes, four and a tail on 8; 32 and 16:
        // whole vectors only, so the LSTM's step takes its vector form for every unit; nine sequences: two
        // groups of four and one alone in backward. Inputs and start cells 20 or 40 times larger send a
        // share of the LSTM's vectors (cell candidates past |z| = 43.5, cells past 43.5) to the scalar form.
        GatedRnnRecurrent.Dims d = new GatedRnnRecurrent.Dims(cell, 9, 7, hd);
        double[][] in = floatInputs(d, new Random(6));
        for (int i : new int[] {0, 4}) {
            for (int k = 0; in[i] != null && k < in[i].length; k++) {
                in[i][k] = (float) (in[i][k] * scale);
            }
        }
        Ops.assertVectorFormIsScalarForm(() -> runFloat(d, in));
    }

    /** xg, wh, bn (GRU) or null, h0, c0 (LSTM) or null, dH; rounded to float. */
    private static double[][] floatInputs(GatedRnnRecurrent.Dims d, Random r) {
        int rows = d.batch() * d.steps(), hd = d.hidden(), w = d.width();
        boolean lstm = d.cell() == Cell.LSTM;
        double[][] in = {Ops.rand(r, rows * w, 1), Ops.rand(r, hd * w, 0.6), lstm ? null : Ops.rand(r, hd, 0.5),
            Ops.rand(r, d.batch() * hd, 1), lstm ? Ops.rand(r, d.batch() * hd, 1) : null, Ops.rand(r, rows * hd, 1)};
        for (int i = 0; i < in.length; i++) {
            in[i] = in[i] == null ? null : Ops.roundedToFloat(in[i]);
        }
        return in;
    }

    /** h, dX, dA, dh0, dc0, hEnd, cEnd of the double kernel. */
    private static double[][] runWithEnds(GatedRnnRecurrent.Dims d, double[][] in) {
        int rows = d.batch() * d.steps(), hd = d.hidden(), ends = d.batch() * hd;
        boolean gru = d.cell() == Cell.GRU;
        double[] h = new double[rows * hd], dX = new double[rows * d.width()], dA = new double[rows * d.width()];
        double[] dh0 = new double[ends], dc0 = new double[ends], hEnd = new double[ends], cEnd = new double[ends];
        GatedRnnRecurrent.Saved sv = GatedRnnRecurrent.forward(d, in[0], in[1], in[2], in[3], in[4], h, hEnd,
                gru ? null : cEnd, true);
        GatedRnnRecurrent.backward(sv, in[5], null, null, dX, gru ? dA : null, dh0, gru ? null : dc0);
        return new double[][] {h, dX, dA, dh0, dc0, hEnd, cEnd};
    }

    /** As {@link #runWithEnds}, of the float kernel, widened to double. */
    private static double[][] runFloat(GatedRnnRecurrent.Dims d, double[][] in) {
        int rows = d.batch() * d.steps(), hd = d.hidden(), ends = d.batch() * hd;
        boolean gru = d.cell() == Cell.GRU;
        float[] h = new float[rows * hd], dX = new float[rows * d.width()], dA = new float[rows * d.width()];
        float[] dh0 = new float[ends], dc0 = new float[ends], hEnd = new float[ends], cEnd = new float[ends];
        GatedRnnFloat.Saved sv = GatedRnnFloat.forward(d, Ops.floats(in[0]), Ops.floats(in[1]),
                gru ? Ops.floats(in[2]) : null, Ops.floats(in[3]), gru ? null : Ops.floats(in[4]), h, hEnd,
                gru ? null : cEnd, true);
        GatedRnnFloat.backward(sv, Ops.floats(in[5]), null, null, dX, gru ? dA : null, dh0, gru ? null : dc0);
        return new double[][] {Ops.doubles(h), Ops.doubles(dX), Ops.doubles(dA), Ops.doubles(dh0), Ops.doubles(dc0),
            Ops.doubles(hEnd), Ops.doubles(cEnd)};
    }
}
