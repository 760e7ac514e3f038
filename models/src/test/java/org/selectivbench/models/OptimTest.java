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
}
