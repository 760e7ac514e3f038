package org.selectivbench.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParquetRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void examplesAndGrammarSurviveParquet() throws Exception {
        Grammar g = Grammar.generate(Fixtures.grammar(21, 20, 5, 4));
        DatasetSpec ds = new DatasetSpec(g.spec(), Fixtures.task("task3"), Fixtures.data(50, 20));
        ExampleGenerator gen = new ExampleGenerator(g, ds.task(), ds.data());
        DatasetStore store = new DatasetStore(tmp.toUri().toString(), new Configuration());
        DatasetSpec.SplitSpec train = ds.splits().get(0);
        store.writePart(gen, ds, train, 0, 0, 30);
        store.writePart(gen, ds, train, 1, 30, 50);
        assertFalse(store.isComplete(store.splitDir(ds, "train")));
        store.commit(ds, train, 2, Map.of());
        assertTrue(store.isComplete(store.splitDir(ds, "train")));

        List<TaskExample> back = new ArrayList<>();
        try (DatasetReader r = new DatasetReader(store, store.splitDir(ds, "train"))) {
            for (List<TaskExample> batch = r.nextBatch(16); !batch.isEmpty(); batch = r.nextBatch(16)) {
                back.addAll(batch);
            }
            assertEquals(50, r.manifest().getLong("rows"));
            assertEquals(g.numStates(), r.manifest().getInt("classes"));
        }
        assertEquals(50, back.size());
        for (int i = 0; i < 50; i++) {
            assertEquals(gen.example(Split.TRAIN, i, 0.1), back.get(i));
        }
        assertTrue(back.stream().anyMatch(e -> e.distractors().length > 0), "task 3 has distractors");

        org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(store.grammarDir(ds), "grammar.parquet");
        GrammarParquet.write(g, file, new Configuration());
        Grammar read = GrammarParquet.read(g.spec(), file, new Configuration());
        assertArrayEquals(g.nextTable(), read.nextTable());
        assertArrayEquals(g.startStates(), read.startStates());
        for (int s = 0; s < g.numStates(); s++) {
            assertEquals(g.stateName(s), read.stateName(s));
        }
    }

    @Test
    void readingAnIncompleteSplitFailsClearly() throws Exception {
        Grammar g = Grammar.generate(Fixtures.grammar(11, 10, 2, 4));
        DatasetSpec ds = new DatasetSpec(g.spec(), Fixtures.task("task1"), Fixtures.data(10, 10));
        DatasetStore store = new DatasetStore(tmp.toUri().toString(), new Configuration());
        store.writePart(new ExampleGenerator(g, ds.task(), ds.data()), ds, ds.splits().get(0), 0, 0, 10);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new DatasetReader(store, store.splitDir(ds, "train")));
        assertTrue(e.getMessage().contains("incomplete"), e.getMessage());
        java.io.IOException missing = assertThrows(java.io.IOException.class,
                () -> store.commit(ds, ds.splits().get(0), 2, Map.of()));
        assertTrue(missing.getMessage().contains("part-00001.parquet"), missing.getMessage());
        assertFalse(store.isComplete(store.splitDir(ds, "train")));
    }
}
