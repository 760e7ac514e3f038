package org.selectivbench.models.modules;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.selectivbench.models.ops.Kernels;

/**
 * The post-norm join y = LayerNorm(x + Dropout(branch)): the Java path's one pass over float32 rows
 * against ND4J's operations (sum, mask and norm, then their gradients) on the same random input and
 * masks, within 2e-6 of the output's scale and 1e-5 of the gradients' (float rounding of two orders of the
 * same sums), with dropout on and off. LayerNorm's own math is LayerNormTest's.
 */
class PostNormTest {
    @ParameterizedTest
    @CsvSource({"0.2, 3, 37, 32", "0, 2, 5, 8", "0.5, 1, 9, 48"})
    void javaFormIsNd4jForm(double p, int batch, int steps, int d) {
        double[][] java = run(Kernels.JAVA, p, batch, steps, d), nd4j = run(Kernels.ND4J, p, batch, steps, d);
        String[] what = {"y", "dx", "dBranch", "dg", "db"};
        for (int k = 0; k < what.length; k++) {
            double scale = 0;
            for (double v : nd4j[k]) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < nd4j[k].length; i++) {
                assertEquals(nd4j[k][i], java[k][i], (k == 0 ? 2e-6 : 1e-5) * scale, what[k] + " " + i);
            }
        }
        int differ = 0;
        for (int i = 0; i < java[1].length; i++) {
            differ += java[1][i] != java[2][i] ? 1 : 0;
        }
        assertEquals(p > 0, differ > 0, "the mask reached the branch's gradient (" + differ + " entries differ from dx)");
    }

    private static double[][] run(Kernels kernels, double p, int batch, int steps, int d) {
        Kernels.use(kernels);
        try {
            Random r = new Random(batch * 100 + steps);
            int rows = batch * steps;
            float[] x = new float[rows * d], b = new float[rows * d], dy = new float[rows * d];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
                b[i] = (float) (2 * r.nextGaussian() + 0.5);
                dy[i] = (float) r.nextGaussian();
            }
            ParamStore ps = new ParamStore(4, DataType.FLOAT);
            PostNorm norm = new PostNorm(ps, "ln", "drop", d, p);
            float[] gain = new float[d], bias = new float[d];
            for (int j = 0; j < d; j++) {
                gain[j] = (float) (0.5 + r.nextDouble());
                bias[j] = (float) (r.nextDouble() - 0.5);
            }
            ps.arrays().get("ln.g").assign(Nd4j.create(gain, new long[] {d}, 'c'));
            ps.arrays().get("ln.b").assign(Nd4j.create(bias, new long[] {d}, 'c'));
            Pass pass = Pass.withBackward(batch, steps, DropoutMasks.seeded(9));
            INDArray y = norm.forward(pass, Nd4j.create(x, new long[] {rows, d}, 'c'), Nd4j.create(b, new long[] {rows, d}, 'c'));
            PostNorm.Grads g = norm.backward(Nd4j.create(dy, new long[] {rows, d}, 'c'));
            return new double[][] {doubles(y), doubles(g.dx()), doubles(g.dBranch()), doubles(ps.grads().get("ln.g")),
                doubles(ps.grads().get("ln.b"))};
        } finally {
            Kernels.use(Kernels.AUTO);
        }
    }

    private static double[] doubles(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }
}
