package org.selectivbench.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.selectivbench.models.FusedModel;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import org.selectivbench.models.layers.Mixers;
import org.selectivbench.models.ops.Kernels;
import org.selectivbench.models.train.MemoryEstimate.Phase;
import org.selectivbench.models.train.MemoryEstimate.Sizes;

/**
 * The estimate against the workspace real steps use, at shapes the calibration did not draw (another
 * seed): it must bound every one, and by not much (the Java kernels, which CPU runs use) or within a
 * factor of five (the chunked ND4J forms, whose temporaries the terms fit less well; docs/models.md),
 * give or take the calibration's allowance of 64 KB.
 */
class MemoryEstimateTest {
    /** Bytes an estimate may exceed its slack by: the calibration's allowance with its margin, 64 KB x 1.15. */
    private static final double SMALL = 4 * MemoryCalibration.ALLOWANCE * 1.15 * 1.25;

    private static void check(Kernels form, Phase phase, Sizes s, double slack) {
        long measured = MemoryCalibration.measure(form, phase, s);
        double estimated = 4 * MemoryEstimate.workspaceFloats(form, phase, s);
        String what = form + " " + phase + " " + s.model().render() + " batch " + s.batch() + " steps " + s.steps()
                + " vocab " + s.vocab() + " classes " + s.classes() + ": measured " + measured + " B, estimated "
                + Math.round(estimated) + " B (rerun the memory calibration after changing what a step allocates)";
        assertTrue(estimated >= measured, what);
        assertTrue(estimated <= slack * measured + SMALL, what);
    }

    @Test
    void boundsTheWorkspaceOfEveryModelAtNewShapes() {
        for (String model : ModelConfig.MODELS) {
            Random r = new Random(2026 + model.hashCode());
            for (int i = 0; i < 3; i++) {
                check(Kernels.JAVA, Phase.TRAIN, MemoryCalibration.randomSizes(r, model), 1.5);
            }
            check(Kernels.JAVA, Phase.EVAL, MemoryCalibration.randomSizes(r, model), 1.5);
            check(Kernels.ND4J, Phase.TRAIN, MemoryCalibration.randomSizes(r, model), 5);
            check(Kernels.ND4J, Phase.EVAL, MemoryCalibration.randomSizes(r, model), 5);
        }
    }

    @Test
    void aRunAddsExactParametersAndSizesItsEvaluationLikeTheModel() {
        ModelConfig c = new ModelConfig("gated_delta_net", 2, 32, 0, 16, 2, 4, 2, false, 0, 0, 0.1, 16);
        TrainConfig t = new TrainConfig(32, 1e-3, 10, 0, 1, 0, 16, 1, 0, 8, Map.of("default", 600L), "always", "auto");
        MemoryEstimate.Estimate e = MemoryEstimate.of(c, t, Kernels.JAVA, 23, 41, 120, 500);
        long params = new FusedModel(c, 23, 41, 1, DataType.FLOAT).params().count();
        assertEquals(params, e.parameters());
        assertEquals(4L * MemoryEstimate.FLOATS_PER_PARAMETER * params, e.parameterBytes());
        // training in micro-batches of 8 examples of 120 steps
        assertEquals(Math.ceil(4 * MemoryEstimate.workspaceFloats(Kernels.JAVA, Phase.TRAIN,
                new Sizes(c, 8, 120, 23, 41))), e.trainingBytes(), 1);
        // evaluation within 600 rows: the model's own plan of pieces and segments
        FusedModel.Plan p = FusedModel.Plan.of(true, 16, 500, 600);
        assertEquals(Math.ceil(4 * MemoryEstimate.workspaceFloats(Kernels.JAVA, Phase.EVAL,
                new Sizes(c, p.piece(), p.segment(), 23, 41))), e.evaluationBytes(), 1);
        assertTrue(p.piece() * p.segment() <= 600, p.toString());
        assertEquals(e.parameterBytes() + Math.max(e.trainingBytes(), e.evaluationBytes()), e.totalBytes());
    }

    @Test
    void carriesStateAsEachModelsLayersSay() throws Exception {
        java.lang.reflect.Method carries = FusedModel.class.getDeclaredMethod("carriesState");
        carries.setAccessible(true);
        for (String model : ModelConfig.MODELS) {
            ModelConfig c = new ModelConfig(model, 1, 16, 0, 4, 1, 2, 1, false, 0, 0, 0, 8);
            assertEquals(carries.invoke(new FusedModel(c, 5, 5, 1, DataType.FLOAT)), Mixers.carriesState(c), model);
        }
    }
}
