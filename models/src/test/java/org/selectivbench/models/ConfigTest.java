package org.selectivbench.models;

import org.selectivbench.models.config.*;
import org.selectivbench.models.train.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class ConfigTest {
    static final Config ROOT = ConfigFactory.load().getConfig("selectivbench");

    @Test
    void defaultsFromReferenceConf() {
        ModelConfig m = ModelConfig.fromConfig(ROOT.getConfig("model"));
        assertEquals(8, m.layers());
        assertEquals(256, m.width());
        assertEquals(4, m.heads());
        assertEquals(0.2, m.dropout());
        TrainConfig t = TrainConfig.fromConfig(ROOT.getConfig("train"));
        assertEquals(64, t.batchSize());
        assertEquals(1e-3, t.lr());
        assertEquals(1000, t.warmup());
        assertEquals(78, t.evalEvery());
        assertEquals(1.0, t.clip());
    }

    /** train.eval-rows: by model with a default, or one number for all; a misspelt model name fails naming it. */
    @Test
    void evalRowsByModel() {
        Config train = ROOT.getConfig("train");
        TrainConfig byModel = TrainConfig.fromConfig(ConfigFactory.parseString("eval-rows.gla = 512").withFallback(train));
        assertEquals(512, byModel.evalRows("gla"));
        assertEquals(train.getLong("eval-rows.mamba"), byModel.evalRows("mamba"));
        assertEquals(train.getLong("eval-rows.default"), byModel.evalRows("transformer"));
        TrainConfig all = TrainConfig.fromConfig(ConfigFactory.parseString("eval-rows = 4096").withFallback(train));
        assertEquals(4096, all.evalRows("mamba"));
        assertEquals(4096, all.evalRows("lstm"));
        Config typo = ConfigFactory.parseString("eval-rows.mamab = 8").withFallback(train);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.fromConfig(typo));
        assertTrue(e.getMessage().contains("eval-rows.mamab"), e.getMessage());
    }

    @Test
    void headsRule() {
        assertEquals(4, ModelConfig.defaultHeads(256));
        assertEquals(4, ModelConfig.defaultHeads(512));
        assertEquals(8, ModelConfig.defaultHeads(648));
        assertEquals(8, ModelConfig.defaultHeads(768));
        assertEquals(16, ModelConfig.defaultHeads(1296));
    }

    @Test
    void unknownKeyAndModelFailNamingThem() {
        Config bad = ConfigFactory.parseString("widht = 3").withFallback(ROOT.getConfig("model"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromConfig(bad));
        assertTrue(e.getMessage().contains("widht"), e.getMessage());
        Config badName = ConfigFactory.parseString("name = mamba3").withFallback(ROOT.getConfig("model"));
        e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromConfig(badName));
        assertTrue(e.getMessage().contains("mamba3"), e.getMessage());
        Config badTrain = ConfigFactory.parseString("lr-max = 3").withFallback(ROOT.getConfig("train"));
        e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.fromConfig(badTrain));
        assertTrue(e.getMessage().contains("lr-max"), e.getMessage());
    }

    @Test
    void everyKnownModelBuilds() {
        for (String name : ModelConfig.MODELS) {
            SequenceModel m = SequenceModel.create(TestData.tiny(name), 5, 7, 1, DataType.FLOAT);
            assertTrue(m.parameterCount() > 0, name + " has no parameters");
        }
    }
}
