package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * grid.by-task gives a task its own grammars and widths; task 4 follows the task it evaluates (task 2), so
 * its evaluations stay on task 2's training runs; grid.transformer-widths moves or drops the Transformer's.
 */
class GridByTaskTest {
    @Test
    void tasksTakeTheirOwnGrammarsAndWidths() {
        SweepPlan plan = SweepCommand.validate(Settings.load(new File("../conf/local.conf"), List.of(
                "grid.seeds=[1]", "grid.models=[gla, transformer]", "grid.widths=[16]",
                "grid.by-task.task1.grammars=[{vocab = 5, ambiguities = 4, depth = 2}, {vocab = 7, ambiguities = 6,"
                        + " depth = 3}]",
                "grid.by-task.task1.widths=[16, 24]", "grid.by-task.task2.widths=[8]",
                "grid.transformer-widths={24 = 32, 8 = 0}")));
        Set<String> task1 = new TreeSet<>(), task2 = new TreeSet<>(), task4 = new TreeSet<>();
        for (RunSpec r : plan.trainingRuns()) {
            String cell = r.model() + "@" + r.width() + "/" + r.dataset().grammar().vocab();
            (r.task().equals("task1") ? task1 : r.task().equals("task2") ? task2 : new TreeSet<String>()).add(cell);
        }
        for (RunSpec r : plan.evaluationRuns()) {
            task4.add(r.model() + "@" + r.width() + "/" + r.dataset().grammar().vocab());
        }
        assertEquals(Set.of("gla@16/5", "gla@16/7", "gla@24/5", "gla@24/7", "transformer@16/5", "transformer@16/7",
                "transformer@32/5", "transformer@32/7"), task1);
        assertEquals(Set.of("gla@8/11"), task2, "task 2's width; the Transformer's 8 is left out");
        assertEquals(Set.of("gla@8/11"), task4, "task 4 follows task 2");
    }
}
