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
    /**
     * A preset planned here; the paper and nightly presets are for GPU clusters, whose memory the driver
     * does not check, so here they get a budget no run exceeds (RunMemoryTest checks what they need).
     */
    static SweepPlan plan(String file) {
        boolean cluster = file.startsWith("task") || file.equals("nightly.conf");
        List<String> sets = cluster ? List.of("sweep.memory-per-run=1t") : List.of();
        return SweepCommand.validate(Settings.load(new File("../conf", file), sets));
    }

    @ParameterizedTest
    // the paper presets train the Transformer at 6 or 7 distinct widths where the others take 8 or 9
    // (648 -> 768, 960 left out, 1296 -> 1280): task 1 is 7 grammars x 4 seeds x 6 (lr, warmup) x (6 x 9 + 7)
    @CsvSource({"local.conf,42,56", "task1.conf,10248,0", "task2.conf,1464,0", "task3.conf,1296,0",
            "task4.conf,224,896", "nightly.conf,42,56", "replication.conf,224,112"})
    void presetPlansItsGrid(String file, int training, int evaluation) {
        File conf = new File("../conf", file);
        assertTrue(conf.isFile(), conf.getAbsolutePath());
        SweepPlan plan = plan(file);
        assertEquals(training, plan.trainingRuns().size(), file + " training runs");
        assertEquals(evaluation, plan.evaluationRuns().size(), file + " evaluation runs");
    }

    /** The paper presets follow the released code: dropout off from the first evaluation, other widths. */
    @ParameterizedTest
    @CsvSource({"task1.conf,until-first-eval", "task2.conf,until-first-eval", "task4.conf,until-first-eval",
            "local.conf,always", "replication.conf,until-first-eval"})
    void dropoutSchedule(String file, String schedule) {
        SweepPlan plan = plan(file);
        for (RunSpec r : plan.trainingRuns()) {
            assertTrue(r.trainConf().contains("\"dropout-schedule\":\"" + schedule + "\""), r.trainConf());
        }
    }

    @org.junit.jupiter.api.Test
    void transformerTrainsAtTheReleasedWidths() {
        SweepPlan plan = plan("task2.conf");
        java.util.Set<Integer> transformer = new java.util.TreeSet<>(), others = new java.util.TreeSet<>();
        for (RunSpec r : plan.trainingRuns()) {
            (r.model().equals("transformer") ? transformer : others).add(r.width());
        }
        assertEquals(java.util.Set.of(256, 384, 512, 648, 768, 960, 1024, 1152, 1296), others);
        assertEquals(java.util.Set.of(256, 384, 512, 768, 1024, 1152, 1280), transformer);
    }

    /** Every preset that runs task 3 draws its distractors after '#' by the released generator's law. */
    @ParameterizedTest
    @ValueSource(strings = {"local.conf", "task3.conf", "nightly.conf", "replication.conf"})
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
