package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepJobTest {
    @TempDir
    Path tmp;

    static List<String> tiny(Path root, String... extra) {
        return tiny(root.toUri().toString(), extra);
    }

    /** A tiny grid writing under {@code rootUri} (any Hadoop URI). */
    static List<String> tiny(String rootUri, String... extra) {
        List<String> s = new ArrayList<>(List.of(
                "output-root=\"" + rootUri + "\"",
                "sweep.id=test",
                "grammar={vocab=6, ambiguities=5, depth=2}",
                "data={elements=20, train-examples=16, test-examples=8, examples-per-file=100}",
                "grid={tasks=[task1, task2, task4], seeds=[1, 2], models=[gla, mamba2], widths=[8],"
                        + " layers=[1], learning-rates=[1e-3, 2e-3], warmups=[0]}",
                "spark.progress-interval=60"));
        s.addAll(List.of(extra));
        return s;
    }

    @Test
    void planHasStableIdsAndTask4EvaluatesTask2Runs() {
        Config sb = Settings.load(null, tiny(tmp));
        SweepPlan a = new SweepPlan(sb);
        SweepPlan b = new SweepPlan(Settings.load(null, tiny(tmp)));
        // task1 and task2: 2 seeds x 2 models x 2 lrs = 8 training runs each; task4: 4 test gaps per task2 run.
        assertEquals(16, a.trainingRuns().size());
        assertEquals(32, a.evaluationRuns().size());
        assertEquals(a.trainingRuns().stream().map(RunSpec::runId).toList(),
                b.trainingRuns().stream().map(RunSpec::runId).toList());
        Set<String> trainIds = new HashSet<>(a.trainingRuns().stream().map(RunSpec::runId).toList());
        for (RunSpec e : a.evaluationRuns()) {
            assertTrue(trainIds.contains(e.trainsRun()), "evaluates a planned run");
            RunSpec trainer = a.trainingRuns().stream().filter(r -> r.runId().equals(e.trainsRun())).findFirst()
                    .orElseThrow();
            assertEquals("task2", trainer.task());
            assertEquals(List.of(e.model(), e.width(), e.lr(), e.seed()),
                    List.of(trainer.model(), trainer.width(), trainer.lr(), trainer.seed()));
        }
        // Anything that changes the result changes the id; the output location does not.
        Set<String> other = new HashSet<>(new SweepPlan(Settings.load(null, tiny(tmp, "train.clip=0.5")))
                .trainingRuns().stream().map(RunSpec::runId).toList());
        assertTrue(other.stream().noneMatch(trainIds::contains));
        Set<String> moved = new HashSet<>(new SweepPlan(Settings.load(null, tiny(tmp.resolve("elsewhere"))))
                .trainingRuns().stream().map(RunSpec::runId).toList());
        assertEquals(trainIds, moved);
        // Task 4 alone still trains the task-2 models it needs.
        SweepPlan only4 = new SweepPlan(Settings.load(null, tiny(tmp, "grid.tasks=[task4]")));
        assertEquals(8, only4.trainingRuns().size());
        assertTrue(only4.trainingRuns().stream().allMatch(r -> r.task().equals("task2")));
    }

    @Test
    void distractorLawIsPartOfTask3RunIdsOnly() {
        String grid = "grid.tasks=[task1, task2, task3]";
        List<RunSpec> any = new SweepPlan(Settings.load(null, tiny(tmp, grid))).trainingRuns();
        List<RunSpec> never = new SweepPlan(Settings.load(null, tiny(tmp, grid,
                "tasks.task3.distractors-after-end=never-grammatical"))).trainingRuns();
        assertEquals(any.size(), never.size());
        for (int i = 0; i < any.size(); i++) {
            RunSpec a = any.get(i);
            RunSpec b = never.get(i);
            assertEquals(a.task(), b.task());
            if (a.task().equals("task3")) {
                assertNotEquals(a.runId(), b.runId(), "results depend on the law");
                assertNotEquals(a.dataset().key(), b.dataset().key());
            } else {
                assertEquals(a.runId(), b.runId(), "zero-gap runs do not depend on it");
            }
        }
        assertNotEquals(SweepJob.configHash(Settings.load(null, tiny(tmp, grid))),
                SweepJob.configHash(Settings.load(null, tiny(tmp, grid,
                        "tasks.task3.distractors-after-end=never-grammatical"))));
        SettingsTest.assertError("tasks.task3.distractors-after-end", () -> new SweepPlan(Settings.load(null,
                tiny(tmp, grid, "tasks.task3.distractors-after-end=sometimes"))));
    }

    @Test
    void badGridFailsBeforeAnyWork() {
        SettingsTest.assertError("grid.models = [lstmm]: element lstmm must be one of mamba,",
                () -> SweepCommand.validate(Settings.load(null, tiny(tmp, "grid.models=[lstmm]"))));
        SettingsTest.assertError("grid.widths = []: must name at least one value",
                () -> new SweepPlan(Settings.load(null, tiny(tmp, "grid.widths=[]"))));
        SettingsTest.assertError("unknown key(s) in train",
                () -> SweepCommand.validate(Settings.load(null, tiny(tmp, "train.lrr=1"))));
    }

    @Test
    void failingRunsAreRecordedWhileTheOthersFinishAndRerunsRetryOnlyThem() throws Exception {
        Path log = tmp.resolve("executions.log");
        Config sb = Settings.load(null, tiny(tmp.resolve("out"), "grid.tasks=[task1, task4]"));
        SweepPlan plan = new SweepPlan(sb);
        SweepJob first = new SweepJob(LocalSpark.get(), sb, new FakeExecutor(log, Set.of("gla"), 0));
        SweepJob.Summary s1 = first.run(plan);
        // gla: 4 task1 + 4 task2 runs fail, and its 16 task-4 evaluations fail with them.
        assertEquals(plan.size(), s1.succeeded() + s1.failed());
        assertEquals(8 + 16, s1.failed());
        Dataset<Row> runs = new Aggregator(LocalSpark.get()).runs(first.store());
        assertEquals(plan.size(), runs.count(), "one row per run");
        Row failedRow = runs.where("model = 'gla' and task = 'task1'").first();
        assertEquals("failed", failedRow.getAs("status"));
        assertTrue(((String) failedRow.getAs("failure")).contains("NaN at update 3"));
        // 16 training runs, and the 16 evaluations of the 8 task-2 runs that succeeded: none of failed ones.
        assertEquals(32, FakeExecutor.executions(log).size(), "evaluations of failed runs are not attempted");

        Files.delete(log);
        SweepJob.Summary s2 = new SweepJob(LocalSpark.get(), sb, new FakeExecutor(log, Set.of(), 0)).run(plan);
        assertEquals(24, s2.succeeded());
        assertEquals(plan.size() - 24, s2.skipped());
        assertEquals(8 + 16, FakeExecutor.executions(log).size(), "only the failed runs ran again");
        Dataset<Row> after = new Aggregator(LocalSpark.get()).runs(first.store());
        assertEquals(plan.size(), after.count(), "no duplicate rows");
        assertEquals(0, after.where("status != 'ok'").count());
    }

    @Test
    void summaryTakesTheBestLearningRateThenAveragesSeeds() throws Exception {
        Config sb = Settings.load(null, tiny(tmp.resolve("sum"), "grid.tasks=[task1]"));
        SweepJob job = new SweepJob(LocalSpark.get(), sb, new FakeExecutor(tmp.resolve("l"), Set.of(), 0));
        job.run(new SweepPlan(sb));
        Aggregator agg = new Aggregator(LocalSpark.get());
        Dataset<Row> summary = agg.writeSummary(job.store());
        assertEquals(2, summary.count(), "one cell per model");
        Row gla = summary.where("model = 'gla'").first();
        // Best lr is 2e-3 for both seeds: accuracies 0.5 + 0.02 + 0.01 and + 0.02.
        assertEquals(0.5 + 0.02 + 0.015, (double) gla.getAs("mean_accuracy"), 1e-9);
        assertEquals(Math.sqrt(0.00005), (double) gla.getAs("std_accuracy"), 1e-9);
        assertEquals(2L, (long) gla.getAs("seeds"));
        assertTrue(Files.readString(Path.of(java.net.URI.create(job.store().dir() + "/summary.csv")))
                .startsWith("model,task,setting,grammar,width,layers,test_split,seeds,mean_accuracy"));
        double chance = gla.getAs("chance");
        assertEquals(1.0 / 11, chance, 1e-12, "references come from the test split's manifest");
    }
}
