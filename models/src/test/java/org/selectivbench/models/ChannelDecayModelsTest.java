package org.selectivbench.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.data.BatchEncoder;
import org.selectivbench.data.EncodedBatch;
import org.selectivbench.data.ExampleGenerator;
import org.selectivbench.data.Grammar;
import org.selectivbench.data.ReferenceAccuracies;
import org.selectivbench.data.Split;
import org.selectivbench.data.TaskExample;

/**
 * The per-channel-decay models (gla, mamba) as whole models: a finite-difference
 * gradient check in double precision at a tiny size (as {@link GradientCheckTest}: 3 random entries of every
 * parameter, central differences with step 1e-6, relative error < 1e-5, gradients below 1e-9 judged
 * absolutely), also with model.forget-floor set; and a learning check on
 * task 1 with a small grammar (as {@link LearningTest}): accuracy must beat the symbol-only baseline by 0.1.
 */
class ChannelDecayModelsTest {
    static final double EPS = 1e-6;
    static final double MAX_REL = 1e-5;

    @ParameterizedTest
    @CsvSource({"gla, false, 0", "gla, false, 0.2", "mamba, false, 0", "mamba, false, 0.2"})
    void backpropMatchesFiniteDifferences(String name, boolean negEig, double floor) {
        ModelConfig t = TestData.tiny(name);
        ModelConfig mc = new ModelConfig(name, t.layers(), t.width(), t.heads(), t.dState(), t.expand(), t.convSize(),
                name.equals("gated_delta_product") ? 2 : t.householderSteps(), negEig, floor, t.mlpExpansion(),
                t.dropout(), t.chunkSize());
        SequenceModel model = new SequenceModel(mc, 5, 7, 11, DataType.DOUBLE);
        EncodedBatch b = TestData.batch(3, 2, 10, 5, 7);
        Map<String, INDArray> grads = model.lossAndGradients(b, false).gradients();
        Random r = new Random(5);
        int checked = 0;
        double worst = 0;
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
                if (score > worst) {
                    worst = score;
                    worstAt = e.getKey() + "[" + i + "] analytic " + analytic + " numeric " + numeric;
                }
                checked++;
            }
        }
        System.out.println(name + " negEig=" + negEig + " floor=" + floor + ": " + checked
                + " entries, worst relative error " + worst + " at " + worstAt);
        assertTrue(worst < MAX_REL, name + ": gradient mismatch " + worst + " at " + worstAt);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gla", "mamba"})
    void beatsSymbolOnlyBaseline(String name) {
        ExampleGenerator gen = LearningTest.generator(6, 5, 3);
        Grammar g = gen.grammar();
        double delay = gen.task().gapMax();
        List<TaskExample> test = new ArrayList<>();
        for (long i = 0; i < 64; i++) {
            test.add(gen.example(Split.TEST, i, delay));
        }
        ReferenceAccuracies ref = ReferenceAccuracies.of(g, test);
        ModelConfig mc = new ModelConfig(name, 2, 32, 4, 16, 2, 4, 4, false, 0, 0, 0.1, 64);
        SequenceModel model = new SequenceModel(mc, g.vocab(), g.numClasses(), 1, DataType.FLOAT);
        TrainConfig tc = new TrainConfig(16, 1e-2, 10, 0, 1.0, 30, 32, 1, 0);
        long updates = 60;
        var train = LongStream.range(0, updates * tc.batchSize())
                .mapToObj(i -> gen.example(Split.TRAIN, i, delay)).iterator();
        BatchEncoder enc = new BatchEncoder(g.vocab(), 0);
        long t0 = System.nanoTime();
        Trainer.Result r = new Trainer(model, tc).train(train, enc, updates, test::iterator, enc,
                p -> System.out.println(name + " update " + p.update() + " loss " + p.trainLoss() + " acc "
                        + p.testAccuracy()));
        System.out.printf("%s task1 V6-A5-D3: accuracy %.3f, symbol-only %.3f, oracle %.3f, chance %.3f,"
                        + " %.1f s, %.1f updates/s%n", name, r.finalAccuracy(), ref.symbolOnly(), ref.oracle(),
                ref.chance(), (System.nanoTime() - t0) / 1e9, r.updatesPerSecond());
        assertTrue(r.finalAccuracy() > ref.symbolOnly() + 0.1,
                name + ": accuracy " + r.finalAccuracy() + " does not clearly beat symbol-only " + ref.symbolOnly());
    }
}
