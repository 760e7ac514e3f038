package org.selectivbench.models.ops;

import static org.selectivbench.models.ops.ChunkedChecks.arr;
import static org.selectivbench.models.ops.ChunkedChecks.check;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Mamba's ND4J form against the Java kernel (itself checked against {@link SelectiveScanNaive}):
 * output, end state and the gradients of a random projection of both with respect to dt, A, u, B, C and
 * the start state, relative error under 1e-9 in float64 and 1e-4 in float32. Lengths that fill their
 * chunks and lengths that leave the last one padded, one chunk and several (every level of the scan
 * over chunks), forget floor on and off, and strong decays (exp(dt A) down to e^-200, 0 in float32).
 */
class SelectiveScanChunkedTest {
    @ParameterizedTest
    @CsvSource({"DOUBLE, 2, 12, 3, 2, 4, 0, false, false", "DOUBLE, 2, 13, 3, 2, 4, 0.3, true, false",
            "DOUBLE, 1, 5, 2, 3, 8, 0, true, false", "DOUBLE, 3, 37, 2, 2, 8, 0.1, true, true",
            "DOUBLE, 2, 29, 2, 3, 3, 0, true, true", "FLOAT, 2, 30, 3, 2, 4, 0, true, false",
            "FLOAT, 2, 23, 2, 2, 4, 0.2, false, true", "FLOAT, 1, 41, 2, 3, 6, 0, true, true"})
    void matchesKernel(DataType dt, int batch, int steps, int di, int n, int chunk, double floor, boolean fromState,
                       boolean strong) {
        Parallel.setThreads(2);
        SelectiveScanRecurrent.Dims d = new SelectiveScanRecurrent.Dims(batch, steps, di, n, floor);
        Random r = new Random(steps * 31L + di + chunk);
        int rows = batch * steps, ends = batch * di * n;
        double[] dtv = ChunkedChecks.rounded(strong ? Ops.uniform(r, rows * di, 0.5, 8) : Ops.uniform(r, rows * di,
                0.01, 0.5), dt);
        double[] a = ChunkedChecks.rounded(strong ? Ops.uniform(r, di * n, -25, -3) : Ops.uniform(r, di * n, -3, -0.2),
                dt);
        double[] u = ChunkedChecks.rounded(Ops.rand(r, rows * di, 1), dt);
        double[] bm = ChunkedChecks.rounded(Ops.rand(r, rows * n, 1), dt);
        double[] cm = ChunkedChecks.rounded(Ops.rand(r, rows * n, 1), dt);
        double[] start = fromState ? ChunkedChecks.rounded(Ops.rand(r, ends, 1), dt) : null;
        double[] dy = ChunkedChecks.rounded(Ops.rand(r, rows * di, 1), dt);
        double[] dEnd = ChunkedChecks.rounded(Ops.rand(r, ends, 1), dt);

        double[] y = new double[rows * di], end = new double[ends];
        SelectiveScanRecurrent.Saved sv = SelectiveScanRecurrent.forward(d, dtv, a, u, bm, cm, start, y, end, true);
        double[] ddt = new double[dtv.length], da = new double[a.length], du = new double[u.length];
        double[] db = new double[bm.length], dc = new double[cm.length], dStart = new double[ends];
        SelectiveScanRecurrent.backward(sv, dy, dEnd, ddt, da, du, db, dc, dStart);

        INDArray gotEnd = arr(new double[ends], dt, batch, di, n);
        SelectiveScanChunked.Result res = SelectiveScanChunked.forward(d, chunk, arr(dtv, dt, rows, di),
                arr(a, dt, di, n), arr(u, dt, rows, di), arr(bm, dt, rows, n), arr(cm, dt, rows, n),
                start == null ? null : arr(start, dt, batch, di, n), gotEnd, true);
        SelectiveScanChunked.Grads g = SelectiveScanChunked.backward(res.saved(), arr(dy, dt, rows, di),
                arr(dEnd, dt, batch, di, n));
        double tol = ChunkedChecks.tol(dt), worst = 0;
        worst = Math.max(worst, check(y, res.y(), tol, "y"));
        worst = Math.max(worst, check(end, gotEnd, tol, "end"));
        worst = Math.max(worst, check(ddt, g.ddt(), tol, "ddt"));
        worst = Math.max(worst, check(da, g.dA(), tol, "dA"));
        worst = Math.max(worst, check(du, g.du(), tol, "du"));
        worst = Math.max(worst, check(db, g.dB(), tol, "dB"));
        worst = Math.max(worst, check(dc, g.dC(), tol, "dC"));
        worst = Math.max(worst, check(dStart, g.dStart(), tol, "dStart"));
        System.out.printf("selective scan %s T=%d chunk=%d floor=%s start=%s strong=%s: max relative error %.2e%n", dt,
                steps, chunk, floor, fromState, strong, worst);
    }
}
