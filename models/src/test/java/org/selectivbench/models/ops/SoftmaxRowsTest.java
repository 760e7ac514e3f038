package org.selectivbench.models.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The cross-entropy kernel against the plain formula in double precision (Math.exp, log of the sum of
 * exponentials of the raw logits): loss within 1e-12 relative, probabilities and gradient within 1e-14;
 * class counts with and without whole vectors, rows of weight 0, and a row whose target's logit lies 800
 * below the others (a confident wrong answer: a large finite loss where the plain formula overflows).
 * The float form against the double form on the same float logits: loss within 1e-6 relative,
 * probabilities and gradient within 1e-6 (they lie in [-1, 1]; a row of 1,601 classes sums in float);
 * the float training pass in one ({@code lossAndGradient}) the float form's loss bit for bit and the
 * double form's gradient within 1e-6; and the same confident wrong answer in float.
 */
class SoftmaxRowsTest {
    @ParameterizedTest
    @CsvSource({"7, 5", "9, 41", "3, 64"})
    void matchesPlainFormula(int rows, int classes) {
        Random r = new Random(rows * 13L + classes);
        double[] z = Ops.rand(r, rows * classes, 3), w = new double[rows + 2];
        int[] targets = new int[rows + 2];
        for (int i = 0; i < rows; i++) {
            targets[i + 2] = r.nextInt(classes);
            w[i + 2] = i % 3 == 2 ? 0 : r.nextDouble();
        }
        double want = 0;
        double[] probs = new double[z.length], grad = new double[z.length];
        for (int i = 0; i < rows; i++) {
            double sum = 0;
            for (int j = 0; j < classes; j++) {
                sum += Math.exp(z[i * classes + j]);
            }
            want += w[i + 2] * (Math.log(sum) - z[i * classes + targets[i + 2]]);
            for (int j = 0; j < classes; j++) {
                probs[i * classes + j] = Math.exp(z[i * classes + j]) / sum;
                grad[i * classes + j] = w[i + 2] * (probs[i * classes + j] - (j == targets[i + 2] ? 1 : 0));
            }
        }
        double[] p = z.clone();
        double loss = SoftmaxRows.forward(rows, classes, p, targets, w, 2);
        assertEquals(want, loss, 1e-12 * Math.abs(want), "loss");
        Ops.assertClose(probs, p, 1e-14, "probabilities");
        SoftmaxRows.backward(rows, classes, p, targets, w, 2);
        Ops.assertClose(grad, p, 1e-14, "gradient");
    }

    @ParameterizedTest
    @CsvSource({"5", "41"})
    void confidentWrongAnswerCostsFiniteLoss(int classes) {
        double[] z = new double[classes];
        java.util.Arrays.fill(z, 400);
        z[1] = -400;
        double loss = SoftmaxRows.forward(1, classes, z, new int[] {1}, new double[] {1}, 0);
        assertEquals(800 + Math.log(classes - 1), loss, 1e-9);
        assertTrue(z[1] == 0 && Math.abs(z[0] - 1.0 / (classes - 1)) < 1e-15, "probabilities " + z[0] + ", " + z[1]);
    }

    @ParameterizedTest
    @CsvSource({"7, 5", "9, 41", "3, 64", "2, 1601", "37, 41", "40, 7"})
    void floatFormIsTheDoubleForm(int rows, int classes) {
        Random r = new Random(rows * 17L + classes);
        double[] z = Ops.roundedToFloat(Ops.rand(r, rows * classes, 3)), w = new double[rows];
        int[] targets = new int[rows];
        for (int i = 0; i < rows; i++) {
            targets[i] = r.nextInt(classes);
            w[i] = i % 3 == 2 ? 0 : r.nextDouble();
        }
        double[] p = z.clone();
        float[] pf = Ops.floats(z);
        double want = SoftmaxRows.forward(rows, classes, p, targets, w, 0);
        double got = SoftmaxRows.forward(rows, classes, pf, targets, w, 0);
        assertEquals(want, got, 1e-6 * Math.abs(want), "loss");
        Ops.assertClose(p, Ops.doubles(pf), 1e-6, "probabilities");
        SoftmaxRows.backward(rows, classes, p, targets, w, 0);
        SoftmaxRows.backward(rows, classes, pf, targets, w, 0);
        Ops.assertClose(p, Ops.doubles(pf), 1e-6, "gradient");
        // a training step's pass in one, from the same logits
        float[] g = Ops.floats(z);
        double loss = SoftmaxRows.lossAndGradient(rows, classes, g, targets, w, 0);
        assertEquals(got, loss, 0.0, "the one pass's loss");
        Ops.assertClose(p, Ops.doubles(g), 1e-6, "the one pass's gradient");
    }

    /**
     * Row maxima and sums a row to a lane, a vector's worth of rows at a time, are the scalar forms' bit for
     * bit: whole blocks and a tail, a tie, a NaN, and a row whose maximum is a zero of either sign.
     */
    @ParameterizedTest
    @CsvSource({"37, 41", "40, 7"})
    void rowStatisticsInLanesAreTheScalarForms(int rows, int classes) {
        Random r = new Random(rows * 19L + classes);
        float[] z = Ops.floats(Ops.rand(r, rows * classes, 3));
        z[2 * classes + 1] = z[2 * classes + 4];
        z[3 * classes + 2] = Float.NaN;
        for (int j = 0; j < classes; j++) { // row 5: -0 before +0, the rest below zero
            z[5 * classes + j] = j == 1 ? -0f : j == 2 ? 0f : -1 - j;
        }
        Ops.assertVectorFormIsScalarForm(() -> new double[][] {Ops.doubles(SoftmaxRows.rowMaxima(rows, classes, z)),
            Ops.doubles(SoftmaxRows.rowSums(rows, classes, z))});
    }

    @ParameterizedTest
    @CsvSource({"5", "41"})
    void confidentWrongAnswerCostsFiniteLossInFloat(int classes) {
        float[] z = new float[classes];
        java.util.Arrays.fill(z, 400);
        z[1] = -400;
        double loss = SoftmaxRows.forward(1, classes, z, new int[] {1}, new double[] {1}, 0);
        assertEquals(800 + Math.log(classes - 1), loss, 1e-4);
        assertTrue(z[1] == 0 && Math.abs(z[0] - 1.0 / (classes - 1)) < 1e-7, "probabilities " + z[0] + ", " + z[1]);
    }
}
