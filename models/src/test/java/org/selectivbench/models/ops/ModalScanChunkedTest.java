package org.selectivbench.models.ops;

import static org.selectivbench.models.ops.ChunkedChecks.arr;
import static org.selectivbench.models.ops.ChunkedChecks.check;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * S4D's ND4J form against the Java kernel (itself checked against the convolution of
 * {@link ModalScanNaive}): output, end state and the gradients of a random projection of both with
 * respect to u, E, C' and the start state, relative error under 1e-9 in float64 and 1e-4 in float32.
 * Lengths that fill their chunks and lengths that pad the last one, one chunk and up to nine (every
 * level of the scan over chunks), slow modes (|E| up to 0.999) and strong decays (|E| down to 1e-6,
 * whose powers underflow to 0).
 */
class ModalScanChunkedTest {
    @ParameterizedTest
    @CsvSource({"DOUBLE, 2, 12, 3, 2, 4, false, false", "DOUBLE, 2, 13, 2, 3, 4, true, false",
            "DOUBLE, 1, 5, 2, 2, 8, true, false", "DOUBLE, 2, 70, 2, 2, 8, true, true",
            "DOUBLE, 3, 29, 1, 3, 3, false, true", "FLOAT, 2, 30, 3, 2, 4, true, false",
            "FLOAT, 2, 23, 2, 2, 4, false, true", "FLOAT, 1, 41, 2, 3, 6, true, false"})
    void matchesKernel(DataType dt, int batch, int steps, int channels, int modes, int chunk, boolean fromState,
                       boolean strong) {
        Parallel.setThreads(2);
        ModalScanRecurrent.Dims d = new ModalScanRecurrent.Dims(batch, steps, channels, modes);
        Random r = new Random(steps * 37L + modes + chunk);
        int hm = channels * modes, rows = batch * steps, ends = batch * 2 * hm;
        double[] er = new double[hm], ei = new double[hm];
        for (int i = 0; i < hm; i++) { // a decaying mode at a random angle; strong: half of them nearly gone
            double mag = strong && i % 2 == 0 ? Math.pow(10, -6 + 3 * r.nextDouble()) : 0.3 + 0.699 * r.nextDouble();
            double ang = 2 * Math.PI * r.nextDouble();
            er[i] = mag * Math.cos(ang);
            ei[i] = mag * Math.sin(ang);
        }
        er = ChunkedChecks.rounded(er, dt);
        ei = ChunkedChecks.rounded(ei, dt);
        double[] cr = ChunkedChecks.rounded(Ops.rand(r, hm, 1), dt), ci = ChunkedChecks.rounded(Ops.rand(r, hm, 1), dt);
        double[] u = ChunkedChecks.rounded(Ops.rand(r, rows * channels, 1), dt);
        double[] start = fromState ? ChunkedChecks.rounded(Ops.rand(r, ends, 1), dt) : null;
        double[] dy = ChunkedChecks.rounded(Ops.rand(r, rows * channels, 1), dt);
        double[] dEnd = ChunkedChecks.rounded(Ops.rand(r, ends, 1), dt);

        double[] y = new double[rows * channels], end = new double[ends];
        ModalScanRecurrent.Saved sv = ModalScanRecurrent.forward(d, u, er, ei, cr, ci, start, y, end, true);
        double[] du = new double[u.length], der = new double[hm], dei = new double[hm], dcr = new double[hm];
        double[] dci = new double[hm], dStart = new double[ends];
        ModalScanRecurrent.backward(sv, dy, dEnd, du, der, dei, dcr, dci, dStart);

        INDArray gotEnd = arr(new double[ends], dt, batch, 2, channels, modes);
        ModalScanChunked.Result res = ModalScanChunked.forward(d, chunk, arr(u, dt, rows, channels),
                arr(er, dt, channels, modes), arr(ei, dt, channels, modes), arr(cr, dt, channels, modes),
                arr(ci, dt, channels, modes), start == null ? null : arr(start, dt, batch, 2, channels, modes), gotEnd,
                true);
        ModalScanChunked.Grads g = ModalScanChunked.backward(res.saved(), arr(dy, dt, rows, channels),
                arr(dEnd, dt, batch, 2, channels, modes));
        double tol = ChunkedChecks.tol(dt), worst = 0;
        worst = Math.max(worst, check(y, res.y(), tol, "y"));
        worst = Math.max(worst, check(end, gotEnd, tol, "end"));
        worst = Math.max(worst, check(du, g.du(), tol, "du"));
        worst = Math.max(worst, check(der, g.der(), tol, "dEr"));
        worst = Math.max(worst, check(dei, g.dei(), tol, "dEi"));
        worst = Math.max(worst, check(dcr, g.dcr(), tol, "dCr"));
        worst = Math.max(worst, check(dci, g.dci(), tol, "dCi"));
        worst = Math.max(worst, check(dStart, g.dStart(), tol, "dStart"));
        System.out.printf("modal scan %s T=%d chunk=%d start=%s strong=%s: max relative error %.2e%n", dt, steps,
                chunk, fromState, strong, worst);
    }
}
