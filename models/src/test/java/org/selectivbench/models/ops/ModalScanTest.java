package org.selectivbench.models.ops;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.selectivbench.models.FiniteDifferences;

/**
 * S4D's modal recurrence against its convolution ({@link ModalScanNaive}) in double precision: outputs and
 * end states within 1e-11; gradients of a random projection with respect to u, E, C' and the start state
 * within 1e-6 relative of central differences; lengths around the checkpoint interval, two threads.
 */
class ModalScanTest {
    @ParameterizedTest
    @CsvSource({"2, 5, 3, 2, false", "2, 70, 2, 3, true", "1, 130, 2, 2, true", "3, 9, 1, 4, false"})
    void matchesReference(int batch, int steps, int channels, int modes, boolean fromState) {
        Parallel.setThreads(2);
        ModalScanRecurrent.Dims d = new ModalScanRecurrent.Dims(batch, steps, channels, modes);
        Random r = new Random(steps * 17L + modes);
        int hm = channels * modes, rows = batch * steps;
        double[] er = new double[hm], ei = new double[hm];
        for (int i = 0; i < hm; i++) { // |E| < 1: a decaying mode at a random angle
            double mag = 0.3 + 0.65 * r.nextDouble(), ang = 2 * Math.PI * r.nextDouble();
            er[i] = mag * Math.cos(ang);
            ei[i] = mag * Math.sin(ang);
        }
        double[] cr = Ops.rand(r, hm, 1), ci = Ops.rand(r, hm, 1), u = Ops.rand(r, rows * channels, 1);
        int outs = rows * channels, ends = batch * 2 * hm;
        double[] start = fromState ? Ops.rand(r, ends, 1) : null;
        double[] proj = Ops.rand(r, outs + ends, 1);

        double[] y = new double[outs], end = new double[ends];
        ModalScanRecurrent.Saved sv = ModalScanRecurrent.forward(d, u, er, ei, cr, ci, start, y, end, true);
        Ops.assertClose(ModalScanNaive.run(d, u, er, ei, cr, ci, start), Ops.concat(y, end), 1e-11, "forward");

        double[] du = new double[u.length], der = new double[hm], dei = new double[hm], dcr = new double[hm];
        double[] dci = new double[hm], dStart = new double[ends];
        ModalScanRecurrent.backward(sv, java.util.Arrays.copyOf(proj, outs),
                java.util.Arrays.copyOfRange(proj, outs, outs + ends), du, der, dei, dcr, dci, dStart);
        double[] s0 = start != null ? start : new double[ends];
        Map<String, double[]> in = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
        in.put("u", u);
        grads.put("u", du);
        in.put("Er", er);
        grads.put("Er", der);
        in.put("Ei", ei);
        grads.put("Ei", dei);
        in.put("Cr", cr);
        grads.put("Cr", dcr);
        in.put("Ci", ci);
        grads.put("Ci", dci);
        in.put("start", s0);
        grads.put("start", dStart);
        FiniteDifferences.checkArrays(in, grads, () -> Ops.dot(ModalScanNaive.run(d, u, er, ei, cr, ci, s0), proj));
    }
}
