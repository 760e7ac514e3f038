package org.selectivbench.models.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.selectivbench.models.modules.ParamStore;

/**
 * The reference graph's LayerNorm has the epsilon too (M2.1's layerNorm op has none): on rows of tiny and of
 * zero spread it gives the plain formula, (x - mean) / sqrt(var + 1e-5) (gain 1, bias 0 at init).
 */
class GraphLayerNormTest {
    @Test
    void tinyAndZeroSpreadRows() {
        double[][] rows = {{0, 1e-4, 0, 1e-4}, {3, 3, 3, 3}, {1, -2, 0.5, 4}};
        SameDiff sd = SameDiff.create();
        GraphBuilder g = new GraphBuilder(sd, new ParamStore(1, DataType.DOUBLE), 1, 0, false);
        SDVariable x = sd.constant(Nd4j.createFromArray(rows));
        WrapperGraph.layerNorm(g, "ln", x, 4).rename("y");
        double[] got = sd.output(Map.of(), "y").get("y").data().asDouble();
        for (int i = 0; i < rows.length; i++) {
            double mean = 0, var = 0;
            for (double v : rows[i]) {
                mean += v / 4;
            }
            for (double v : rows[i]) {
                var += (v - mean) * (v - mean) / 4;
            }
            for (int j = 0; j < 4; j++) {
                assertEquals((rows[i][j] - mean) / Math.sqrt(var + 1e-5), got[i * 4 + j], 1e-12, "row " + i + ", " + j);
            }
        }
    }
}
