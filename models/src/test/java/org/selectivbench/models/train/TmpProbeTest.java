package org.selectivbench.models.train;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.selectivbench.models.ops.Kernels;
class TmpProbeTest {
    @Test
    void probe() {
        for (String model : new String[] {"mamba"}) {
            Random r = new Random(11 + model.hashCode());
            for (int i = 0; i < 40; i++) {
                MemoryEstimate.Sizes s = MemoryCalibration.randomSizes(r, model);
                long m = MemoryCalibration.measure(Kernels.JAVA, MemoryEstimate.Phase.TRAIN, s);
                System.out.printf("PROBE %s mlp=%d layers=%d d=%d e=%d N=%d rows=%d vocab=%d classes=%d measured=%d perRowD=%.2f%n", model,
                    s.model().mlpExpansion(), s.model().layers(), s.model().width(), s.model().expand(), s.model().dState(), (long) s.rows(), s.vocab(), s.classes(), m,
                    m / 4.0 / (s.rows() * s.model().width() * s.model().layers()));
            }
        }
    }
}
