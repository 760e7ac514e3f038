package org.selectivbench.models.ops;

import static org.selectivbench.models.ops.ChunkedChecks.arr;
import static org.selectivbench.models.ops.ChunkedChecks.check;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.models.ops.GatedRnnRecurrent.Cell;

/**
 * The LSTM and GRU step form on ND4J against the Java kernel (itself checked against
 * {@link GatedRnnNaive}): h, the last h and c, the gate gradients dX and dA, hPrev and the start states'
 * gradients, from random gradients of h and the last states; relative error under 1e-9 in float64 and
 * 1e-4 in float32, with and without start states, saturating gates (large pre-activations) in one case.
 */
class GatedRnnStepsTest {
    @ParameterizedTest
    @CsvSource({"DOUBLE, LSTM, 2, 7, 3, false, 1", "DOUBLE, LSTM, 3, 5, 2, true, 4", "DOUBLE, GRU, 2, 7, 3, false, 1",
            "DOUBLE, GRU, 3, 5, 2, true, 4", "FLOAT, LSTM, 2, 9, 4, true, 1", "FLOAT, GRU, 2, 9, 4, true, 1"})
    void matchesKernel(DataType dt, Cell cell, int batch, int steps, int hd, boolean fromState, double scale) {
        Parallel.setThreads(2);
        GatedRnnRecurrent.Dims d = new GatedRnnRecurrent.Dims(cell, batch, steps, hd);
        boolean lstm = cell == Cell.LSTM;
        Random r = new Random(steps * 41L + hd + (lstm ? 1 : 0));
        int rows = batch * steps, w = d.width(), states = batch * hd;
        double[] xg = ChunkedChecks.rounded(Ops.rand(r, rows * w, scale), dt);
        double[] wh = ChunkedChecks.rounded(Ops.rand(r, hd * w, 0.6), dt);
        double[] bn = lstm ? null : ChunkedChecks.rounded(Ops.rand(r, hd, 0.5), dt);
        double[] h0 = fromState ? ChunkedChecks.rounded(Ops.rand(r, states, 1), dt) : null;
        double[] c0 = fromState && lstm ? ChunkedChecks.rounded(Ops.rand(r, states, 1), dt) : null;
        double[] dH = ChunkedChecks.rounded(Ops.rand(r, rows * hd, 1), dt);
        double[] dhEnd = ChunkedChecks.rounded(Ops.rand(r, states, 1), dt);
        double[] dcEnd = lstm ? ChunkedChecks.rounded(Ops.rand(r, states, 1), dt) : null;

        double[] h = new double[rows * hd], hEnd = new double[states], cEnd = lstm ? new double[states] : null;
        GatedRnnRecurrent.Saved sv = GatedRnnRecurrent.forward(d, xg, wh, bn, h0, c0, h, hEnd, cEnd, true);
        double[] dX = new double[rows * w], dA = lstm ? null : new double[rows * w];
        double[] dh0 = new double[states], dc0 = lstm ? new double[states] : null;
        GatedRnnRecurrent.backward(sv, dH, dhEnd, dcEnd, dX, dA, dh0, dc0);

        INDArray gotH = arr(new double[states], dt, batch, hd), gotC = lstm ? arr(new double[states], dt, batch, hd)
                : null;
        GatedRnnSteps.Result res = GatedRnnSteps.forward(d, arr(xg, dt, rows, w), arr(wh, dt, hd, w),
                bn == null ? null : arr(bn, dt, 1, hd), h0 == null ? null : arr(h0, dt, batch, hd),
                c0 == null ? null : arr(c0, dt, batch, hd), gotH, gotC, true);
        GatedRnnSteps.Grads g = GatedRnnSteps.backward(res.saved(), arr(dH, dt, rows, hd), arr(dhEnd, dt, batch, hd),
                lstm ? arr(dcEnd, dt, batch, hd) : null);
        double tol = ChunkedChecks.tol(dt), worst = 0;
        worst = Math.max(worst, check(h, res.h(), tol, "h"));
        worst = Math.max(worst, check(hEnd, gotH, tol, "hEnd"));
        worst = Math.max(worst, check(dX, g.dX(), tol, "dX"));
        worst = Math.max(worst, check(lstm ? dX : dA, g.dA(), tol, "dA"));
        worst = Math.max(worst, check(sv.hPrev(), g.hPrev(), tol, "hPrev"));
        worst = Math.max(worst, check(dh0, g.dh0(), tol, "dh0"));
        if (lstm) {
            worst = Math.max(worst, check(cEnd, gotC, tol, "cEnd"));
            worst = Math.max(worst, check(dc0, g.dc0(), tol, "dc0"));
        }
        System.out.printf("gated rnn %s %s T=%d start=%s scale=%s: max relative error %.2e%n", dt, cell, steps,
                fromState, scale, worst);
    }
}
