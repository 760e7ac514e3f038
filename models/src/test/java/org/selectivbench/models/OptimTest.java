package org.selectivbench.models;

import org.selectivbench.models.config.*;
import org.selectivbench.models.train.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class OptimTest {
    @Test
    void warmupThenCosineToZero() {
        double peak = 1e-3;
        int warm = 10;
        long total = 110;
        assertEquals(peak / warm, Optim.lr(peak, warm, 0, total), 1e-15);
        assertEquals(peak / 2, Optim.lr(peak, warm, 4, total), 1e-15);
        assertEquals(peak, Optim.lr(peak, warm, warm - 1, total), 1e-15);
        assertEquals(peak, Optim.lr(peak, warm, warm, total), 1e-15);
        assertEquals(peak / 2, Optim.lr(peak, warm, warm + 50, total), 1e-15); // cosine midpoint
        assertTrue(Optim.lr(peak, warm, total - 1, total) < peak * 1e-3);
        assertEquals(0, Optim.lr(peak, warm, total, total), 1e-15);
        for (long s = warm; s < total - 1; s++) {
            assertTrue(Optim.lr(peak, warm, s + 1, total) < Optim.lr(peak, warm, s, total), "not decreasing at " + s);
        }
    }

    @Test
    void clipScalesToGlobalNormOnlyWhenAbove() {
        Map<String, INDArray> g = new LinkedHashMap<>();
        g.put("a", Nd4j.createFromArray(3.0, 0.0));
        g.put("b", Nd4j.createFromArray(new double[][] {{0.0, 4.0}}));
        assertEquals(5.0, Optim.clip(g, 1.0), 1e-12);
        assertEquals(1.0, Optim.globalNorm(g), 1e-12);
        assertEquals(0.6, g.get("a").getDouble(0), 1e-12);
        assertEquals(0.8, g.get("b").getDouble(1), 1e-12);
        assertEquals(1.0, Optim.clip(g, 2.0), 1e-12); // below the bound: untouched
        assertEquals(0.6, g.get("a").getDouble(0), 1e-12);
    }

    @Test
    void adamFirstStepMovesBySignTimesLr() {
        Optim o = new Optim(new TrainConfig(1, 0.1, 0, 0, 1, 0, 1, 1, 0, 0, java.util.Map.of(), "always", "auto"));
        INDArray p = Nd4j.createFromArray(1.0, 1.0, 1.0);
        INDArray g = Nd4j.createFromArray(0.5, -2.0, 1e-3);
        o.step(Map.of("p", p), Map.of("p", g), 0.01);
        assertEquals(0.99, p.getDouble(0), 1e-6);
        assertEquals(1.01, p.getDouble(1), 1e-6);
        assertEquals(0.99, p.getDouble(2), 1e-4);
        assertEquals(DataType.DOUBLE, p.dataType());
    }

    /** The Java form of a float32 step gives ND4J's bits, over steps with weight decay and varied gradients. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(doubles = {0, 0.1})
    void javaFloatStepIsNd4jStep(double decay) {
        java.util.Random r = new java.util.Random(7);
        float[] p0 = new float[1000];
        for (int i = 0; i < p0.length; i++) {
            p0[i] = (float) r.nextGaussian();
        }
        float[][] grads = new float[5][p0.length];
        for (float[] g : grads) {
            for (int i = 0; i < g.length; i++) {
                g[i] = (float) (r.nextGaussian() * Math.pow(10, -r.nextInt(6)));
            }
        }
        float[][] out = new float[2][];
        org.selectivbench.models.ops.Kernels[] forms = {org.selectivbench.models.ops.Kernels.JAVA,
                org.selectivbench.models.ops.Kernels.ND4J};
        for (int f = 0; f < 2; f++) {
            org.selectivbench.models.ops.Kernels.use(forms[f]);
            try {
                Optim o = new Optim(new TrainConfig(1, 0.1, 0, decay, 1, 0, 1, 1, 0, 0, Map.of(), "always", "auto"));
                INDArray p = Nd4j.create(p0.clone(), new long[] {p0.length}, 'c');
                for (int s = 0; s < grads.length; s++) {
                    o.step(Map.of("p", p), Map.of("p", Nd4j.create(grads[s], new long[] {p0.length}, 'c')), 1e-3 * (s + 1));
                }
                out[f] = p.data().asFloat();
            } finally {
                org.selectivbench.models.ops.Kernels.use(org.selectivbench.models.ops.Kernels.AUTO);
            }
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(out[1], out[0]);
        assertTrue(!java.util.Arrays.equals(out[0], p0), "the steps moved nothing");
    }
}
