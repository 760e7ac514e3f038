package org.selectivbench.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.selectivbench.data.EncodedBatch;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import org.selectivbench.models.ops.Threads;
import org.selectivbench.models.train.Optim;

/**
 * The same config and seed train bit-identically in separate processes on the CPU: a few updates of Gated
 * DeltaProduct and the Transformer (float, dropout on, two threads) in two fresh JVMs print the same loss
 * bits and parameter digest as this one. (Per-JVM salts, such as Map.copyOf's iteration order, once drew
 * dropout masks in a different order in every process.)
 */
class CrossProcessTest {
    @Test
    void trainingIsIdenticalAcrossProcesses() throws Exception {
        String here = digest();
        List<String> others = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            others.add(runElsewhere());
        }
        assertTrue(here.startsWith("transformer"), here);
        assertEquals(here, others.get(0), "another process trained differently");
        assertEquals(here, others.get(1), "another process trained differently");
    }

    /** Loss bits of every update and a digest of the final parameters, per model. */
    static String digest() {
        Threads.use(2);
        StringBuilder sb = new StringBuilder();
        for (String name : List.of("transformer", "gated_delta_product")) {
            ModelConfig t = TestData.tiny(name);
            ModelConfig c = new ModelConfig(name, t.layers(), t.width(), t.heads(), t.dState(), t.expand(), t.convSize(),
                    t.householderSteps(), false, 0, 0, 0.2, t.chunkSize());
            SequenceModel m = SequenceModel.create(c, 5, 7, 9, DataType.FLOAT);
            Optim optim = new Optim(new TrainConfig(4, 1e-2, 1, 0, 1.0, 0, 4, 1, 0, 0, Map.of(), "always", "auto"));
            sb.append(name);
            for (int step = 0; step < 3; step++) {
                EncodedBatch b = TestData.batch(20 + step, 4, 13, 5, 7);
                SequenceModel.StepResult r = m.lossAndGradients(b, true);
                Optim.clip(m.params(), 1.0);
                optim.step(m.params(), 1e-2);
                sb.append(' ').append(Long.toHexString(Double.doubleToLongBits(r.loss())));
            }
            long h = 17;
            for (var e : m.params().arrays().entrySet()) {
                for (float f : e.getValue().dup().data().asFloat()) {
                    h = h * 31 + Float.floatToIntBits(f);
                }
            }
            sb.append(" params ").append(Long.toHexString(h)).append('\n');
        }
        return sb.toString();
    }

    private static String runElsewhere() throws IOException, InterruptedException {
        String java = System.getProperty("java.home") + "/bin/java";
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                CrossProcessTest.class.getName()).redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "child process failed: " + out);
        return out.substring(out.indexOf("transformer"));
    }

    public static void main(String[] args) {
        System.out.print(digest());
    }
}
