package org.selectivbench.models.modules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.selectivbench.models.FiniteDifferences.dot;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.selectivbench.models.ops.Kernels;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.selectivbench.models.FiniteDifferences;

/**
 * LayerNorm as PyTorch's, (x - mean) / sqrt(var + 1e-5) * g + b, on rows of tiny and of zero spread,
 * where the epsilon decides the output: [0, 1e-4, 0, 1e-4] gives +-0.0158 (as PyTorch), not the
 * +-1 of a norm without epsilon; a constant row gives the bias. Outputs against the plain formula,
 * gradients of the input, gain and bias against central differences of it, in double precision; both forms
 * (the Java kernel and ND4J's operations).
 */
class LayerNormTest {
    static final double[][] ROWS = {{0, 1e-4, 0, 1e-4}, {3, 3, 3, 3}, {0, 0, 0, 0}, {1, -2, 0.5, 4}, {1e-3, 2e-3, -1e-3, 0}};

    @ParameterizedTest
    @EnumSource(value = Kernels.class, names = {"JAVA", "ND4J"})
    void tinyAndZeroSpreadRows(Kernels kernels) {
        Kernels.use(kernels);
        try {
            check();
        } finally {
            Kernels.use(Kernels.AUTO);
        }
    }

    private void check() {
        int n = ROWS.length, d = 4;
        double[] x = new double[n * d], g = {1.5, -0.5, 1, 2}, b = {0.1, 0.2, -0.3, 0.4}, proj = new double[n * d];
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < n; i++) {
            System.arraycopy(ROWS[i], 0, x, i * d, d);
        }
        for (int i = 0; i < proj.length; i++) {
            proj[i] = r.nextGaussian();
        }
        ParamStore ps = new ParamStore(1, DataType.DOUBLE);
        LayerNorm ln = new LayerNorm(ps, "ln", d);
        ps.arrays().get("ln.g").assign(Nd4j.createFromArray(g));
        ps.arrays().get("ln.b").assign(Nd4j.createFromArray(b));
        Pass p = Pass.withBackward(1, n, null);
        INDArray y = ln.forward(p, Nd4j.create(x, new long[] {n, d}, DataType.DOUBLE));
        double[] want = plain(x, g, b, n, d);
        double[] got = y.data().asDouble();
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-12, "output " + i);
        }
        assertEquals(-5e-5 / Math.sqrt(2.5e-9 + 1e-5), (got[0] - b[0]) / g[0], 1e-12, "PyTorch's LayerNorm of [0, 1e-4, 0, 1e-4]");
        assertEquals(b[0], got[d], 1e-12, "a constant row gives the bias");

        INDArray dx = ln.backward(Nd4j.create(proj, new long[] {n, d}, DataType.DOUBLE));
        Map<String, double[]> in = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
        in.put("x", x);
        grads.put("x", dx.data().asDouble());
        in.put("g", g);
        grads.put("g", ps.grad("ln.g").data().asDouble());
        in.put("b", b);
        grads.put("b", ps.grad("ln.b").data().asDouble());
        FiniteDifferences.checkArrays(in, grads, () -> dot(plain(x, g, b, n, d), proj));
    }

    /** The formula, row by row. */
    static double[] plain(double[] x, double[] g, double[] b, int n, int d) {
        double[] y = new double[n * d];
        for (int i = 0; i < n; i++) {
            double mean = 0, var = 0;
            for (int j = 0; j < d; j++) {
                mean += x[i * d + j] / d;
            }
            for (int j = 0; j < d; j++) {
                var += (x[i * d + j] - mean) * (x[i * d + j] - mean) / d;
            }
            for (int j = 0; j < d; j++) {
                y[i * d + j] = (x[i * d + j] - mean) / Math.sqrt(var + 1e-5) * g[j] + b[j];
            }
        }
        return y;
    }
}
