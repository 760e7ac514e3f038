package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.selectivbench.data.DatasetSpec;
import org.selectivbench.data.TaskSpec;

/** Every preset in conf/ loads, validates, and plans the grid its comment promises. */
class PresetsTest {
    @ParameterizedTest
    @CsvSource({"local.conf,42,56", "task1.conf,10584,0", "task2.conf,1512,0", "task3.conf,1344,0",
            "task4.conf,224,896", "nightly.conf,42,56"})
    void presetPlansItsGrid(String file, int training, int evaluation) {
        File conf = new File("../conf", file);
        assertTrue(conf.isFile(), conf.getAbsolutePath());
        SweepPlan plan = SweepCommand.validate(Settings.load(conf, List.of()));
        assertEquals(training, plan.trainingRuns().size(), file + " training runs");
        assertEquals(evaluation, plan.evaluationRuns().size(), file + " evaluation runs");
    }

    /** Every preset that runs task 3 draws its distractors after '#' by the released generator's law. */
    @ParameterizedTest
    @ValueSource(strings = {"local.conf", "task3.conf", "nightly.conf"})
    void presetRunsTask3WithTheReleaseLaw(String file) {
        DatasetPlan plan = new DatasetPlan(Settings.load(new File("../conf", file), List.of()));
        List<DatasetSpec> task3 = plan.datasets().values().stream()
                .filter(ds -> ds.task().gap() == TaskSpec.GapKind.UNGRAMMATICAL).toList();
        assertFalse(task3.isEmpty(), file + " runs task 3");
        for (DatasetSpec ds : task3) {
            assertEquals(TaskSpec.AfterEnd.ANY_SYMBOL, ds.task().afterEnd(), file + " " + ds.key());
        }
    }
}
