package org.selectivbench.models.modules;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.selectivbench.models.ops.Kernels;

/**
 * The loss's two forms, the Java kernel over blocks of rows and ND4J's operations, on the same random
 * logits in double precision: loss within 1e-12 relative, probabilities and gradient within 1e-13. With
 * 1,601 classes a block holds 40 rows, so 100 rows take two whole blocks and a part.
 */
class CrossEntropyTest {
    @ParameterizedTest
    @CsvSource({"37, 41", "100, 1601"})
    void javaFormIsNd4jForm(int rows, int classes) {
        Random r = new Random(rows + classes);
        double[] z = new double[rows * classes], w = new double[rows];
        int[] t = new int[rows];
        for (int i = 0; i < z.length; i++) {
            z[i] = 4 * r.nextGaussian();
        }
        for (int i = 0; i < rows; i++) {
            t[i] = r.nextInt(classes);
            w[i] = i % 5 == 4 ? 0 : r.nextDouble();
        }
        double[][] java = run(Kernels.JAVA, z, t, w, rows, classes), nd4j = run(Kernels.ND4J, z, t, w, rows, classes);
        assertEquals(nd4j[0][0], java[0][0], 1e-12 * Math.abs(nd4j[0][0]), "loss");
        for (int k = 1; k < 3; k++) {
            for (int i = 0; i < z.length; i++) {
                assertEquals(nd4j[k][i], java[k][i], 1e-13, (k == 1 ? "probability " : "gradient ") + i);
            }
        }
    }

    /** A training step's one pass gives forward's loss and backward's gradient, bit for bit, in both forms and types. */
    @ParameterizedTest
    @CsvSource({"JAVA, FLOAT, 37, 41", "JAVA, DOUBLE, 100, 1601", "JAVA, FLOAT, 100, 1601", "ND4J, FLOAT, 37, 41"})
    void trainingPassIsForwardThenBackward(Kernels kernels, DataType dt, int rows, int classes) {
        Random r = new Random(rows * 7L + classes);
        double[] z = new double[rows * classes], w = new double[rows];
        int[] t = new int[rows];
        for (int i = 0; i < z.length; i++) {
            z[i] = 4 * r.nextGaussian();
        }
        z[5] = 300; // a row whose other classes fall out of the float exponential's range
        for (int i = 0; i < rows; i++) {
            t[i] = r.nextInt(classes);
            w[i] = i % 5 == 4 ? 0 : r.nextDouble();
        }
        Kernels.use(kernels);
        try {
            INDArray a = Nd4j.create(z, new long[] {rows, classes}, DataType.DOUBLE).castTo(dt);
            CrossEntropy.Result ce = CrossEntropy.forward(a.dup(), t, w);
            INDArray grad = CrossEntropy.backward(ce.probs(), t, w);
            CrossEntropy.Training tr = CrossEntropy.training(a.dup(), t, w);
            assertEquals(ce.loss(), tr.loss(), 0.0, "loss");
            assertArrayEquals(grad.castTo(DataType.DOUBLE).data().asDouble(),
                    tr.gradient().castTo(DataType.DOUBLE).data().asDouble(), "gradient");
        } finally {
            Kernels.use(Kernels.AUTO);
        }
    }

    private static double[][] run(Kernels kernels, double[] z, int[] t, double[] w, int rows, int classes) {
        Kernels.use(kernels);
        try {
            INDArray logits = Nd4j.create(z, new long[] {rows, classes}, DataType.DOUBLE);
            CrossEntropy.Result ce = CrossEntropy.forward(logits, t, w);
            double[] probs = ce.probs().dup().data().asDouble();
            double[] grad = CrossEntropy.backward(ce.probs(), t, w).data().asDouble();
            return new double[][] {{ce.loss()}, probs, grad};
        } finally {
            Kernels.use(Kernels.AUTO);
        }
    }
}
