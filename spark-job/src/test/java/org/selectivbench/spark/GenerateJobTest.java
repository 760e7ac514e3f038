package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.selectivbench.data.DatasetReader;
import org.selectivbench.data.DatasetSpec;
import org.selectivbench.data.DatasetStore;
import org.selectivbench.data.TaskExample;

class GenerateJobTest {
    @TempDir
    Path tmp;

    private Config tiny(Path root, int perFile) {
        return Settings.load(null, List.of(
                "output-root=\"" + root.toUri() + "\"",
                "grammar={vocab=11, ambiguities=10, depth=3}",
                "data={train-examples=60, test-examples=25, examples-per-file=" + perFile + "}",
                "grid={tasks=[task2, task3, task4], seeds=[1, 2]}",
                "spark.progress-interval=1"));
    }

    private static List<TaskExample> readAll(Config sb, DatasetSpec ds, String split) throws IOException {
        DatasetStore store = new DatasetStore(sb.getString("output-root"), new Configuration());
        List<TaskExample> out = new ArrayList<>();
        try (DatasetReader r = new DatasetReader(store, store.splitDir(ds, split))) {
            r.forEachRemaining(out::add);
        }
        return out;
    }

    @Test
    void sameRowsWhateverThePartitioning() throws Exception {
        Config coarse = tiny(tmp.resolve("coarse"), 1000);
        Config fine = tiny(tmp.resolve("fine"), 7);
        DatasetPlan plan = new DatasetPlan(coarse);
        GenerateJob.Summary a = new GenerateJob(LocalSpark.get(), coarse).run(plan);
        GenerateJob.Summary b = new GenerateJob(LocalSpark.get(), fine).run(new DatasetPlan(fine));
        // task2 and task4 share a dataset per seed: 2 datasets x (train + test-gap10..100) + task3's 2 x 2.
        assertEquals(2 * 5 + 2 * 2, a.splitsWritten());
        assertEquals(a.examplesWritten(), b.examplesWritten());
        for (DatasetSpec ds : plan.datasets().values()) {
            for (DatasetSpec.SplitSpec split : plan.splits(ds.key())) {
                List<TaskExample> x = readAll(coarse, ds, split.name());
                List<TaskExample> y = readAll(fine, ds, split.name());
                assertEquals(ds.data().examples(split.split()), x.size());
                assertEquals(x, y, ds.key() + "/" + split.name());
                for (int i = 0; i < x.size(); i++) {
                    assertEquals(i, x.get(i).index(), "rows in index order");
                }
            }
        }
        // Spark reads the same files with the split as a partition column.
        String dir = coarse.getString("output-root") + "/datasets/" + plan.datasets().keySet().iterator().next();
        assertEquals(60, LocalSpark.get().read().parquet(dir).where("split = 'train'").count());
    }

    @Test
    void rerunSkipsCompleteSplitsAndRedoesHalfWrittenOnes() throws Exception {
        Config sb = tiny(tmp.resolve("resume"), 20);
        DatasetPlan plan = new DatasetPlan(sb);
        GenerateJob.Summary first = new GenerateJob(LocalSpark.get(), sb).run(plan);
        GenerateJob.Summary again = new GenerateJob(LocalSpark.get(), sb).run(plan);
        assertEquals(0, again.splitsWritten());
        assertEquals(first.splitsWritten(), again.splitsSkipped());

        // Simulate a crash after some parts were moved but before the manifest: the split is incomplete.
        DatasetSpec ds = plan.datasets().values().iterator().next();
        DatasetStore store = new DatasetStore(sb.getString("output-root"), new Configuration());
        List<TaskExample> before = readAll(sb, ds, "train");
        Path splitDir = Path.of(java.net.URI.create(store.splitDir(ds, "train").toString()));
        Files.delete(splitDir.resolve(DatasetStore.MANIFEST));
        Files.delete(splitDir.resolve("part-00001.parquet"));
        assertFalse(store.isComplete(store.splitDir(ds, "train")));
        GenerateJob.Summary third = new GenerateJob(LocalSpark.get(), sb).run(plan);
        assertEquals(1, third.splitsWritten());
        assertEquals(60, third.examplesWritten());
        assertEquals(before, readAll(sb, ds, "train"));
    }

    @Test
    void testSplitsRecordTheirReferences() throws Exception {
        Config sb = tiny(tmp.resolve("refs"), 100);
        DatasetPlan plan = new DatasetPlan(sb);
        new GenerateJob(LocalSpark.get(), sb).run(plan);
        DatasetSpec ds = plan.datasets().values().iterator().next();
        DatasetStore store = new DatasetStore(sb.getString("output-root"), new Configuration());
        Config m = store.readManifest(store.splitDir(ds, "test-gap10"));
        assertEquals(1.0 / 31, m.getDouble("references.chance"), 1e-12);
        double symbolOnly = m.getDouble("references.symbol-only");
        double oracle = m.getDouble("references.oracle");
        assertTrue(symbolOnly > 1.0 / 31 && symbolOnly < oracle && oracle <= 1.0, symbolOnly + " " + oracle);
        assertEquals(10, m.getInt("gap-steps"));
        assertEquals(0.2, m.getDouble("noise"));
    }
}
