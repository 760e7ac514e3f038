package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every preset in conf/ loads, validates, and plans the grid its comment promises. */
class PresetsTest {
    @ParameterizedTest
    @CsvSource({"local.conf,21,28", "task1.conf,10584,0", "task2.conf,1512,0", "task3.conf,1344,0",
            "task4.conf,224,896", "nightly.conf,42,56"})
    void presetPlansItsGrid(String file, int training, int evaluation) {
        File conf = new File("../conf", file);
        assertTrue(conf.isFile(), conf.getAbsolutePath());
        SweepPlan plan = SweepCommand.validate(Settings.load(conf, List.of()));
        assertEquals(training, plan.trainingRuns().size(), file + " training runs");
        assertEquals(evaluation, plan.evaluationRuns().size(), file + " evaluation runs");
    }
}
