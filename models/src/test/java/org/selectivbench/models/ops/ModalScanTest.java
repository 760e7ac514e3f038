package org.selectivbench.models.ops;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.selectivbench.models.FiniteDifferences;

/**
 * S4D's modal recurrence against its convolution ({@link ModalScanNaive}) in double precision: outputs and
 * end states within 1e-11; gradients of a random projection with respect to u, E, C' and the start state
 * within 1e-6 relative of central differences; lengths around the checkpoint interval, two threads.
 * 19 channels give the vector form whole vectors and a tail; with and without it the kernel computes the
 * same bits.
 */
class ModalScanTest {
    @ParameterizedTest
    @CsvSource({"2, 5, 3, 2, false", "2, 70, 2, 3, true", "1, 130, 2, 2, true", "3, 9, 1, 4, false",
        "2, 6, 19, 3, true"})
    void matchesReference(int batch, int steps, int channels, int modes, boolean fromState) {
        Parallel.setThreads(2);
        ModalScanRecurrent.Dims d = new ModalScanRecurrent.Dims(batch, steps, channels, modes);
        Random r = new Random(steps * 17L + modes);
        int hm = channels * modes, rows = batch * steps;
        double[] er = new double[hm], ei = new double[hm];
        decaying(r, er, ei);
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

    /** |E| < 1: a decaying mode at a random angle. */
    private static void decaying(Random r, double[] er, double[] ei) {
        for (int i = 0; i < er.length; i++) {
            double mag = 0.3 + 0.65 * r.nextDouble(), ang = 2 * Math.PI * r.nextDouble();
            er[i] = mag * Math.cos(ang);
            ei[i] = mag * Math.sin(ang);
        }
    }

    @Test
    void vectorFormIsTheScalarForm() {
        ModalScanRecurrent.Dims d = new ModalScanRecurrent.Dims(2, 70, 21, 5);
        Random r = new Random(9);
        int hm = 21 * 5, rows = 140, ends = 2 * 2 * hm;
        double[] er = new double[hm], ei = new double[hm];
        decaying(r, er, ei);
        double[] cr = Ops.rand(r, hm, 1), ci = Ops.rand(r, hm, 1), u = Ops.rand(r, rows * 21, 1);
        double[] start = Ops.rand(r, ends, 1), dY = Ops.rand(r, rows * 21, 1), dEnd = Ops.rand(r, ends, 1);
        Ops.assertVectorFormIsScalarForm(() -> run(d, u, er, ei, cr, ci, start, dY, dEnd));
    }

    private static double[][] run(ModalScanRecurrent.Dims d, double[] u, double[] er, double[] ei, double[] cr,
                                  double[] ci, double[] start, double[] dY, double[] dEnd) {
        int hm = er.length;
        double[] y = new double[u.length], end = new double[start.length];
        ModalScanRecurrent.Saved sv = ModalScanRecurrent.forward(d, u, er, ei, cr, ci, start, y, end, true);
        double[] du = new double[u.length], der = new double[hm], dei = new double[hm], dcr = new double[hm];
        double[] dci = new double[hm], dStart = new double[start.length];
        ModalScanRecurrent.backward(sv, dY, dEnd, du, der, dei, dcr, dci, dStart);
        return new double[][] {y, end, du, der, dei, dcr, dci, dStart};
    }
}
