package org.selectivbench.models.graph;

import org.selectivbench.models.*;
import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.config.*;
import org.selectivbench.models.train.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.data.EncodedBatch;

/**
 * Whole-model gradient check in double precision: SameDiff's backprop gradient of the loss against
 * central finite differences (step 1e-6), for 3 random entries of every parameter of a tiny model
 * ({@link TestData#tiny}: several chunks per sequence, so cross-chunk paths are exercised). Relative
 * error must stay below 1e-5; differences below 1e-9 (the rounding of the central difference) count
 * as 0. Catches wrong or missing op gradients in M2.1 (SPEC 9) in exactly the op combinations each
 * model uses, also with the ablation knobs (negative eigenvalues, forget floor) on.
 */
class GradientCheckTest {
    static final double EPS = 1e-6;
    static final double MAX_REL = 1e-5;

    @ParameterizedTest
    @CsvSource({"transformer, false, 0", "linear_attention, false, 0", "mamba2, false, 0", "mamba2, false, 0.2",
            "lstm, false, 0", "delta_net, false, 0", "delta_net, true, 0", "gated_delta_net, false, 0",
            "gated_delta_net, true, 0.2", "gated_delta_product, false, 0", "gla, false, 0", "gla, false, 0.2",
            "mamba, false, 0", "mamba, false, 0.2", "s4d, false, 0", "gru, false, 0"})
    void backpropMatchesFiniteDifferences(String name, boolean negativeEigenvalues, double forgetFloor) {
        ModelConfig t = TestData.tiny(name);
        ModelConfig mc = new ModelConfig(name, t.layers(), t.width(), t.heads(), t.dState(), t.expand(), t.convSize(),
                name.equals("gated_delta_product") ? 2 : t.householderSteps(), negativeEigenvalues, forgetFloor,
                t.mlpExpansion(), t.dropout(), t.chunkSize());
        GraphModel model = new GraphModel(mc, 5, 7, 11, DataType.DOUBLE);
        EncodedBatch b = TestData.batch(3, 2, 10, 5, 7);
        Map<String, INDArray> grads = model.lossAndGradients(b, false).gradients();
        Random r = new Random(5);
        int checked = 0;
        double worst = 0;
        double largest = 0;
        String worstAt = "";
        for (Map.Entry<String, INDArray> e : model.params().arrays().entrySet()) {
            INDArray p = e.getValue();
            INDArray grad = grads.get(e.getKey());
            assertTrue(grad != null, "no gradient for " + e.getKey());
            for (int rep = 0; rep < 3; rep++) {
                long i = r.nextInt((int) p.length());
                double orig = p.getDouble(i);
                p.putScalar(i, orig + EPS);
                double up = model.loss(b);
                p.putScalar(i, orig - EPS);
                double down = model.loss(b);
                p.putScalar(i, orig);
                double numeric = (up - down) / (2 * EPS);
                double analytic = grad.getDouble(i);
                double abs = Math.abs(numeric - analytic);
                double score = abs <= 1e-9 ? 0 : abs / (Math.abs(numeric) + Math.abs(analytic));
                largest = Math.max(largest, Math.abs(numeric));
                if (score > worst) {
                    worst = score;
                    worstAt = e.getKey() + "[" + i + "] analytic " + analytic + " numeric " + numeric;
                }
                checked++;
            }
        }
        System.out.printf("%s (negative eigenvalues %s, forget floor %s): %d entries, worst relative error %.2g %s,"
                + " largest gradient %.3g%n", name, negativeEigenvalues, forgetFloor, checked, worst, worstAt, largest);
        // the check means nothing if every gradient is below the absolute cutoff
        assertTrue(largest > 1e-3, name + ": all gradients tiny (" + largest + ")");
        assertTrue(worst < MAX_REL, name + ": gradient mismatch " + worst + " at " + worstAt);
    }
}
