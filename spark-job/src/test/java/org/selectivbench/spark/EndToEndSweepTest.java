package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A whole sweep with real training on a tiny config: datasets, runs, task-4 evaluations, summary. */
class EndToEndSweepTest {
    @TempDir
    Path tmp;

    @Test
    void tinySweepTrainsEvaluatesAndSummarizes() throws Exception {
        Config sb = Settings.load(null, List.of(
                "output-root=\"" + tmp.toUri() + "\"",
                "sweep.id=e2e",
                "grammar={vocab=6, ambiguities=5, depth=2}",
                "data={elements=12, train-examples=48, test-examples=8, examples-per-file=100}",
                "tasks.task4.test-delays=[1.0, 2.0]",
                "train={batch-size=16, eval-every=2, eval-batch-size=8}",
                "grid={tasks=[task1, task4], seeds=[1], models=[transformer, mamba2], widths=[8], layers=[1],"
                        + " learning-rates=[1e-3], warmups=[1]}"));
        SweepPlan plan = SweepCommand.validate(sb);
        SweepJob job = new SweepJob(LocalSpark.get(), sb, new TrainingExecutor());
        SweepJob.Summary s = job.run(plan);
        assertEquals(0, s.failed(), "all runs succeed");
        assertEquals(4 + 4, s.succeeded(), "task1 and task2 runs of 2 models, and 2 gaps x 2 models for task 4");

        Dataset<Row> runs = new Aggregator(LocalSpark.get()).runs(job.store());
        for (Row r : runs.collectAsList()) {
            double acc = r.getAs("final_accuracy");
            assertTrue(acc >= 0 && acc <= 1, "accuracy " + acc);
            assertTrue((long) r.getAs("params") > 0);
            assertEquals("cpu", r.getAs("device"));
            assertEquals("cpu", r.getAs("nd4j_device"), "what ND4J reports");
            assertFalse(((String) r.getAs("backend")).isEmpty());
            assertTrue(((String) r.getAs("config")).contains("\"grid\""), "the config is recorded");
        }
        assertEquals(3L, (long) runs.where("task = 'task1'").first().getAs("updates"));
        assertEquals(4, runs.where("task = 'task4'").count());
        Dataset<Row> curves = LocalSpark.get().read().parquet(job.store().curvesDir().toString());
        assertEquals(2, curves.where("run_id = '" + runs.where("task = 'task1'").first().getAs("run_id") + "'")
                .count(), "evaluations at updates 2 and 3");

        Dataset<Row> summary = new Aggregator(LocalSpark.get()).writeSummary(job.store());
        assertEquals(2 * 2 + 2 * 2, summary.count(), "task1, task2 and two task-4 gaps per model");
        assertTrue(Files.exists(Path.of(java.net.URI.create(job.store().dir() + "/summary.csv"))));
    }
}
