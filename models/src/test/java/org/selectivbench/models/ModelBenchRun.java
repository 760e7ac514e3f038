package org.selectivbench.models;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs {@link ModelBench} only when asked: -Dbench.out=FILE [-Dbench.models=a,b] [-Dbench.reps=N]. */
class ModelBenchRun {
    @Test
    void bench() throws Exception {
        String out = System.getProperty("bench.out");
        assumeTrue(out != null, "set -Dbench.out=FILE to run the benchmark");
        List<String> models = List.of(System.getProperty("bench.models",
                "transformer,linear_attention,mamba2,lstm,gru,gla,delta_net,gated_delta_net,gated_delta_product,mamba,s4d")
                .split(","));
        ModelBench.Shape d = ModelBench.Shape.defaults();
        ModelBench.Shape s = new ModelBench.Shape(d.batch(), d.steps(), d.width(), d.layers(), d.vocab(), d.classes(),
                Integer.getInteger("bench.reps", d.reps()));
        ModelConfig base = ModelConfig.fromConfig(ConfigFactory.load().getConfig("selectivbench.model"));
        ModelBench.run(models, base, s, Path.of(out));
    }
}
