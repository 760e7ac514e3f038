package org.selectivbench.models.ops;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * S4D's convolution in float against the double recurrence ({@link ModalScanRecurrent}, itself checked
 * against {@link ModalScanNaive} and finite differences) on the same float inputs: outputs and every
 * gradient (u, E, C') within 2e-5 of the array's largest entry. Lengths below, at and past the vector
 * form's four-row blocks; 35 channels give whole vectors of 8 and 16 lanes and a tail; with and without
 * the vector form the kernel computes the same bits.
 */
class ModalConvFloatTest {
    @ParameterizedTest
    @CsvSource({"2, 1, 3, 2", "2, 3, 4, 3", "1, 5, 17, 2", "3, 70, 35, 4", "2, 130, 16, 64"})
    void matchesTheRecurrence(int batch, int steps, int channels, int modes) {
        Parallel.setThreads(2);
        ModalScanRecurrent.Dims d = new ModalScanRecurrent.Dims(batch, steps, channels, modes);
        Random r = new Random(steps * 31L + channels);
        Case c = Case.random(r, d);
        double[][] want = recurrence(d, c);
        double[][] got = conv(d, c);
        String[] names = {"y", "du", "dEr", "dEi", "dCr", "dCi"};
        for (int j = 0; j < names.length; j++) {
            Ops.assertCloseScaled(want[j], got[j], 2e-5, names[j]);
        }
    }

    @Test
    void vectorFormIsTheScalarForm() {
        ModalScanRecurrent.Dims d = new ModalScanRecurrent.Dims(2, 23, 35, 3);
        Case c = Case.random(new Random(5), d);
        Ops.assertVectorFormIsScalarForm(() -> conv(d, c));
    }

    /** Inputs rounded to float, so that both kernels read the same numbers. */
    private record Case(double[] u, double[] er, double[] ei, double[] cr, double[] ci, double[] dY) {
        static Case random(Random r, ModalScanRecurrent.Dims d) {
            int hm = d.channels() * d.modes(), n = d.batch() * d.steps() * d.channels();
            double[] er = new double[hm], ei = new double[hm];
            for (int i = 0; i < hm; i++) { // |E| < 1 at a random angle, as S4D's decaying modes
                double mag = 0.3 + 0.69 * r.nextDouble(), ang = 2 * Math.PI * r.nextDouble();
                er[i] = mag * Math.cos(ang);
                ei[i] = mag * Math.sin(ang);
            }
            return new Case(Ops.roundedToFloat(Ops.rand(r, n, 1)), er, ei, Ops.rand(r, hm, 1), Ops.rand(r, hm, 1),
                    Ops.roundedToFloat(Ops.rand(r, n, 1)));
        }
    }

    private static double[][] recurrence(ModalScanRecurrent.Dims d, Case c) {
        int hm = c.er().length;
        double[] y = new double[c.u().length], du = new double[y.length];
        double[] der = new double[hm], dei = new double[hm], dcr = new double[hm], dci = new double[hm];
        ModalScanRecurrent.Saved s = ModalScanRecurrent.forward(d, c.u(), c.er(), c.ei(), c.cr(), c.ci(), null, y,
                null, true);
        ModalScanRecurrent.backward(s, c.dY(), null, du, der, dei, dcr, dci, null);
        return new double[][] {y, du, der, dei, dcr, dci};
    }

    private static double[][] conv(ModalScanRecurrent.Dims d, Case c) {
        int hm = c.er().length;
        float[] y = new float[c.u().length], du = new float[y.length];
        double[] der = new double[hm], dei = new double[hm], dcr = new double[hm], dci = new double[hm];
        ModalConvFloat.Saved s = ModalConvFloat.forward(d, Ops.floats(c.u()), c.er(), c.ei(), c.cr(), c.ci(), y,
                true);
        ModalConvFloat.backward(s, Ops.floats(c.dY()), du, der, dei, dcr, dci);
        return new double[][] {Ops.doubles(y), Ops.doubles(du), der, dei, dcr, dci};
    }
}
