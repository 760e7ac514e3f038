package org.selectivbench.models.modules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.selectivbench.models.FiniteDifferences.dot;
import static org.selectivbench.models.FiniteDifferences.gaussian;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.selectivbench.models.FiniteDifferences;
import org.selectivbench.models.ops.Kernels;

/**
 * RMSNorm (with and without fla's SiLU gate) and the per-row L2 norm in both forms against their plain
 * formulas: outputs within 1e-12, gradients of the input, the gate and the weight against central
 * differences (double precision).
 */
class NormsTest {
    @ParameterizedTest
    @CsvSource({"JAVA, false", "JAVA, true", "ND4J, false", "ND4J, true"})
    void rmsNorm(Kernels kernels, boolean gated) {
        Kernels.use(kernels);
        try {
            int rows = 5, n = 4;
            Random r = new Random(gated ? 2 : 1);
            double[] x = gaussian(r, rows * n), w = gaussian(r, n), z = gated ? gaussian(r, rows * n) : null, proj = gaussian(r, rows * n);
            ParamStore ps = new ParamStore(1, DataType.DOUBLE);
            RmsNorm norm = new RmsNorm(ps, "norm", n);
            ps.arrays().get("norm").assign(Nd4j.createFromArray(w));
            Pass p = Pass.withBackward(1, rows, null);
            INDArray y = norm.forward(p, arr(x, rows, n), gated ? arr(z, rows, n) : null);
            double[] want = plainRms(x, w, z, rows, n), got = y.data().asDouble();
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-12, kernels + ": output " + i);
            }
            INDArray[] d = norm.backward(arr(proj, rows, n));
            Map<String, double[]> in = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
            in.put("x", x);
            grads.put("x", d[0].data().asDouble());
            in.put("w", w);
            grads.put("w", ps.grad("norm").data().asDouble());
            if (gated) {
                in.put("gate", z);
                grads.put("gate", d[1].data().asDouble());
            }
            FiniteDifferences.checkArrays(in, grads, () -> dot(plainRms(x, w, z, rows, n), proj));
        } finally {
            Kernels.use(Kernels.AUTO);
        }
    }

    @ParameterizedTest
    @CsvSource({"JAVA, 1.0", "JAVA, 0.35", "ND4J, 0.35"})
    void l2Norm(Kernels kernels, double scale) {
        Kernels.use(kernels);
        try {
            int rows = 6, n = 3;
            Random r = new Random(3);
            double[] x = gaussian(r, rows * n), proj = gaussian(r, rows * n);
            L2Norm norm = new L2Norm(scale);
            Pass p = Pass.withBackward(1, rows, null);
            double[] got = norm.forward(p, arr(x, rows, n)).data().asDouble(), want = plainL2(x, scale, rows, n);
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-12, kernels + ": output " + i);
            }
            double[] dx = norm.backward(arr(proj, rows, n)).data().asDouble();
            FiniteDifferences.checkArrays(Map.of("x", x), Map.of("x", dx), () -> dot(plainL2(x, scale, rows, n), proj));
        } finally {
            Kernels.use(Kernels.AUTO);
        }
    }

    static double[] plainRms(double[] x, double[] w, double[] z, int rows, int n) {
        double[] y = new double[rows * n];
        for (int i = 0; i < rows; i++) {
            double ms = 0;
            for (int j = 0; j < n; j++) {
                ms += x[i * n + j] * x[i * n + j] / n;
            }
            for (int j = 0; j < n; j++) {
                double v = x[i * n + j] / Math.sqrt(ms + 1e-5) * w[j];
                if (z != null) {
                    double g = z[i * n + j];
                    v *= g / (1 + Math.exp(-g));
                }
                y[i * n + j] = v;
            }
        }
        return y;
    }

    static double[] plainL2(double[] x, double scale, int rows, int n) {
        double[] y = new double[rows * n];
        for (int i = 0; i < rows; i++) {
            double ss = 0;
            for (int j = 0; j < n; j++) {
                ss += x[i * n + j] * x[i * n + j];
            }
            for (int j = 0; j < n; j++) {
                y[i * n + j] = x[i * n + j] / Math.sqrt(ss + 1e-6) * scale;
            }
        }
        return y;
    }

    static INDArray arr(double[] v, int rows, int n) {
        return Nd4j.create(v, new long[] {rows, n}, DataType.DOUBLE);
    }
}
