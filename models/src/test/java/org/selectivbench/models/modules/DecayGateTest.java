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

/**
 * The decay gate against its plain formula, log alpha = floor(-exp(A_log) softplus(z + dt_bias)) and dt
 * beside it: the ND4J form in double within 1e-12, its gradients of z, A_log and dt_bias (with and
 * without dt's own gradient) against central differences; the float form within 2e-6 of 1 + |value|
 * for values and 1e-5 for gradients of the double form's, with and without a forget floor.
 */
class DecayGateTest {
    @ParameterizedTest
    @CsvSource({"0, false", "0, true", "0.05, false", "0.05, true"})
    void matchesPlainFormula(double floor, boolean withDdt) {
        int rows = 7, heads = 3;
        Random r = new Random(withDdt ? 11 : 12);
        double[] z = scaled(gaussian(r, rows * heads), 3), aLog = scaled(gaussian(r, heads), 1.5);
        double[] bias = gaussian(r, heads), da = gaussian(r, rows * heads);
        double[] ddt = withDdt ? gaussian(r, rows * heads) : null;
        // ND4J form, double
        Gate g64 = new Gate(DataType.DOUBLE, aLog, bias, floor);
        DecayGate.Out out = g64.gate.forward(Pass.withBackward(1, rows, null), NormsTest.arr(z, rows, heads));
        double[][] want = plain(z, aLog, bias, floor, heads);
        assertClose(want[0], out.logDecay().data().asDouble(), 1e-12, "log decay");
        assertClose(want[1], out.dt().data().asDouble(), 1e-12, "dt");
        double[] dz = g64.gate.backward(NormsTest.arr(da, rows, heads), ddt == null ? null : NormsTest.arr(ddt.clone(), rows, heads))
                .data().asDouble();
        Map<String, double[]> in = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
        in.put("z", z);
        grads.put("z", dz);
        in.put("A_log", aLog);
        grads.put("A_log", g64.ps.grad("A_log").data().asDouble());
        in.put("dt_bias", bias);
        grads.put("dt_bias", g64.ps.grad("dt_bias").data().asDouble());
        FiniteDifferences.checkArrays(in, grads, () -> {
            double[][] y = plain(z, aLog, bias, floor, heads);
            return dot(y[0], da) + (ddt == null ? 0 : dot(y[1], ddt));
        });
        // float form
        Gate g32 = new Gate(DataType.FLOAT, aLog, bias, floor);
        DecayGate.Floats f = g32.gate.forwardFloats(Pass.withBackward(1, rows, null), floats(z));
        assertClose(want[0], doubles(f.logDecay()), 2e-6, "float log decay");
        assertClose(want[1], doubles(f.dt()), 2e-6, "float dt");
        float[] dzf = g32.gate.backwardFloats(floats(da), ddt == null ? null : floats(ddt));
        assertClose(dz, doubles(dzf), 1e-5, "float dz");
        assertClose(grads.get("A_log"), g32.ps.grad("A_log").data().asDouble(), 1e-5, "float dA_log");
        assertClose(grads.get("dt_bias"), g32.ps.grad("dt_bias").data().asDouble(), 1e-5, "float ddt_bias");
    }

    /** A gate on its own parameters A_log and dt_bias set to the given values. */
    private static final class Gate {
        final ParamStore ps;
        final DecayGate gate;

        Gate(DataType dt, double[] aLog, double[] bias, double floor) {
            ps = new ParamStore(1, dt);
            ParamStore.Param a = ps.param("A_log", ParamStore.Init.constant(0), aLog.length);
            ParamStore.Param b = ps.param("dt_bias", ParamStore.Init.constant(0), bias.length);
            a.value().assign(Nd4j.createFromArray(aLog).castTo(dt));
            b.value().assign(Nd4j.createFromArray(bias).castTo(dt));
            gate = new DecayGate(a, b, floor);
        }
    }

    /** {log decay, dt} by the formula, in double. */
    private static double[][] plain(double[] z, double[] aLog, double[] bias, double floor, int heads) {
        double[] a = new double[z.length], dt = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            int h = i % heads;
            dt[i] = Math.log1p(Math.exp(z[i] + bias[h]));
            double raw = -Math.exp(aLog[h]) * dt[i];
            a[i] = floor > 0 ? Math.log(floor + (1 - floor) * Math.exp(raw)) : raw;
        }
        return new double[][] {a, dt};
    }

    private static void assertClose(double[] want, double[] got, double tol, String what) {
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], tol * (1 + Math.abs(want[i])), what + " " + i);
        }
    }

    private static double[] scaled(double[] x, double c) {
        for (int i = 0; i < x.length; i++) {
            x[i] *= c;
        }
        return x;
    }

    private static float[] floats(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    private static double[] doubles(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }
}
