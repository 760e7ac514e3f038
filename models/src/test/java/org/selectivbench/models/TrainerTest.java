package org.selectivbench.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.selectivbench.data.BatchEncoder;
import org.selectivbench.data.EncodedBatch;
import org.selectivbench.data.ExampleGenerator;
import org.selectivbench.data.Split;
import org.selectivbench.models.config.TrainConfig;
import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.train.Trainer;

/**
 * train.dropout-schedule: "always" keeps dropout on for every update; "until-first-eval" turns it off from
 * the first evaluation on, as the released training loop did (its model.eval() was never undone).
 */
class TrainerTest {
    @ParameterizedTest
    @CsvSource({"always, 'true true true true true true'", "until-first-eval, 'true true false false false false'"})
    void dropoutSchedule(String schedule, String expected) {
        ExampleGenerator gen = LearningTest.generator(6, 5, 3);
        FusedModel inner = new FusedModel(TestData.tiny("gla"), gen.grammar().vocab(), gen.grammar().numClasses(), 1,
                DataType.FLOAT);
        List<Boolean> flags = new ArrayList<>();
        SequenceModel recording = new SequenceModel() { // what the trainer asks for, passed on to a real model
            @Override
            public org.selectivbench.models.config.ModelConfig config() {
                return inner.config();
            }

            @Override
            public int vocab() {
                return inner.vocab();
            }

            @Override
            public int classes() {
                return inner.classes();
            }

            @Override
            public ParamStore params() {
                return inner.params();
            }

            @Override
            public StepResult lossAndGradients(EncodedBatch b, boolean train, int microBatch) {
                flags.add(train);
                return inner.lossAndGradients(b, train, microBatch);
            }

            @Override
            public double loss(EncodedBatch b, long rows) {
                return inner.loss(b, rows);
            }

            @Override
            public float[] probabilities(EncodedBatch b, long rows) {
                return inner.probabilities(b, rows);
            }

            @Override
            public float[] logits(EncodedBatch b, long rows) {
                return inner.logits(b, rows);
            }

            @Override
            public void releaseArrays() {
                inner.releaseArrays();
            }
        };
        TrainConfig tc = new TrainConfig(4, 1e-3, 1, 0, 1.0, 2, 8, 1, 0, 0, Map.of(), schedule, "auto");
        double delay = gen.task().gapMax();
        var train = LongStream.range(0, 24).mapToObj(i -> gen.example(Split.TRAIN, i, delay)).iterator();
        List<org.selectivbench.data.TaskExample> test = List.of(gen.example(Split.TEST, 0, delay));
        BatchEncoder enc = new BatchEncoder(gen.grammar().vocab(), 0);
        new Trainer(recording, tc).train(train, enc, 6, test::iterator, enc, null);
        assertEquals(expected, String.join(" ", flags.stream().map(String::valueOf).toList()));
    }
}
