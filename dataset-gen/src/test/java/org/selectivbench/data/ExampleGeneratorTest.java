package org.selectivbench.data;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExampleGeneratorTest {
    private static final Grammar PAPER = Grammar.generate(Fixtures.grammar(41, 40, 40, 1));

    private static ExampleGenerator gen(String task) {
        return new ExampleGenerator(PAPER, Fixtures.task(task), Fixtures.data(1000, 100));
    }

    @Test
    void examplesAreWalksOfTheGrammarCutToLength() {
        ExampleGenerator g = gen("task1");
        int[] start = PAPER.startStates();
        for (int i = 0; i < 50; i++) {
            TaskExample ex = g.example(Split.TRAIN, i, 0.1);
            assertEquals(200, ex.elements());
            boolean atStart = true;
            for (int e = 0; e < ex.elements(); e++) {
                int s = ex.classes()[e];
                assertEquals(PAPER.symbolOf(s), ex.symbols()[e]);
                if (atStart) {
                    int st = s;
                    assertTrue(java.util.Arrays.stream(start).anyMatch(x -> x == st), "string starts at a start state");
                } else {
                    assertEquals(s, PAPER.next(ex.classes()[e - 1], ex.symbols()[e]), "follows an edge");
                }
                atStart = s == Grammar.END;
            }
        }
    }

    @Test
    void sameIndexSameExampleAnyOrder() {
        ExampleGenerator g = gen("task2");
        TaskExample a = g.example(Split.TRAIN, 123, 1.0);
        g.example(Split.TRAIN, 7, 1.0);
        assertEquals(a, gen("task2").example(Split.TRAIN, 123, 1.0));
        assertNotEquals(a, g.example(Split.TRAIN, 124, 1.0));
        // Train and test are different streams.
        assertFalse(java.util.Arrays.equals(a.symbols(), g.example(Split.TEST, 123, 1.0).symbols()));
    }

    @Test
    void taskStepCountsMatchThePaper() {
        assertEquals(400, gen("task1").example(Split.TEST, 0, 0.1).steps());
        assertEquals(2200, gen("task2").example(Split.TEST, 0, 1.0).steps());
        double mean = 0;
        for (int i = 0; i < 200; i++) {
            mean += gen("task2").example(Split.TRAIN, i, 1.0).steps() / 200.0;
        }
        assertEquals(1300, mean, 15); // 200 * (1 + 5.5)
        ExampleGenerator t4 = new ExampleGenerator(PAPER, Fixtures.task("task4"), Fixtures.data(10, 10));
        assertEquals(List.of("train", "test-gap10", "test-gap20", "test-gap50", "test-gap100"),
                new DatasetSpec(PAPER.spec(), Fixtures.task("task4"), Fixtures.data(10, 10)).splits().stream()
                        .map(DatasetSpec.SplitSpec::name).toList());
        assertEquals(200 * 101, t4.example(Split.TEST, 0, 10.0).steps());
    }

    @Test
    void task2GapEndsAreHalfAsLikely() {
        ExampleGenerator g = gen("task2");
        long[] counts = new long[12];
        for (int i = 0; i < 500; i++) {
            for (int gap : g.example(Split.TRAIN, i, 1.0).gaps()) {
                counts[gap]++;
            }
        }
        assertEquals(0, counts[0] + counts[11], "every element has a gap of 1..10 steps");
        double middle = 0;
        for (int k = 2; k <= 9; k++) {
            middle += counts[k] / 8.0;
        }
        for (int k = 2; k <= 9; k++) {
            assertEquals(1.0, counts[k] / middle, 0.05, "steps " + k);
        }
        assertEquals(0.5, counts[1] / middle, 0.04, "1 step");
        assertEquals(0.5, counts[10] / middle, 0.04, "10 steps");
    }

    @Test
    void task3DistractorsAreNeverGrammatical() {
        ExampleGenerator g = new ExampleGenerator(PAPER, Tasks.get(Fixtures.ROOT, "task3",
                ConfigFactory.parseString("distractors-after-end = never-grammatical")), Fixtures.data(1000, 100));
        boolean[] startSymbol = new boolean[PAPER.vocab()];
        for (int s : PAPER.startStates()) {
            startSymbol[PAPER.symbolOf(s)] = true;
        }
        long gaps = 0;
        for (int i = 0; i < 300; i++) {
            TaskExample ex = g.example(Split.TRAIN, i, 0.1);
            int d = 0;
            for (int e = 0; e < ex.elements(); e++) {
                if (e < 50) {
                    assertEquals(0, ex.gaps()[e], "no gap before gap-start");
                }
                for (int j = 0; j < ex.gaps()[e]; j++) {
                    int sym = ex.distractors()[d++];
                    int state = ex.classes()[e];
                    boolean grammatical = state == Grammar.END ? startSymbol[sym] : PAPER.next(state, sym) >= 0;
                    assertFalse(grammatical, "distractor " + Grammar.letter(sym) + " may follow " + PAPER.stateName(state));
                    gaps++;
                }
            }
            assertEquals(d, ex.distractors().length);
        }
        // 150 eligible elements x 0.1 x 300 examples = 4,500 expected gaps of one step each.
        assertEquals(4500, gaps, 300);
    }

    @Test
    void testSplitsShareElementsAndPlacementAcrossDurations() {
        ExampleGenerator g = new ExampleGenerator(PAPER, Tasks.get(Fixtures.ROOT, "task2",
                ConfigFactory.parseString("gap-prob = 0.5")), Fixtures.data(10, 10));
        TaskExample a = g.example(Split.TEST, 3, 1.0);
        TaskExample b = g.example(Split.TEST, 3, 5.0);
        assertArrayEquals(a.classes(), b.classes());
        for (int e = 0; e < a.elements(); e++) {
            assertTrue(a.gaps()[e] == 0 ? b.gaps()[e] == 0 : a.gaps()[e] == 10 && b.gaps()[e] == 50);
        }
    }

    @Test
    void badTaskConfigNamesTheKey() {
        GrammarTest.assertMessage("tasks.task2.gap-prob",
                () -> Tasks.get(Fixtures.ROOT, "task2", ConfigFactory.parseString("gap-prob = 1.5")));
        GrammarTest.assertMessage("tasks.task2.gap-max",
                () -> Tasks.get(Fixtures.ROOT, "task2", ConfigFactory.parseString("gap-max = 0.05")));
        GrammarTest.assertMessage("tasks.task3.gap",
                () -> Tasks.get(Fixtures.ROOT, "task3", ConfigFactory.parseString("gap = loud")));
        GrammarTest.assertMessage("gap-mx",
                () -> Tasks.get(Fixtures.ROOT, "task1", ConfigFactory.parseString("gap-mx = 1.0")));
        GrammarTest.assertMessage("task9", () -> Tasks.get(Fixtures.ROOT, "task9", ConfigFactory.empty()));
        GrammarTest.assertMessage("data.elements", () -> new DataSpec(0, 200, 10, 10));
    }

    @Test
    void datasetKeyDependsOnRowsOnly() {
        DataSpec data = Fixtures.data(1000, 100);
        DatasetSpec t2 = new DatasetSpec(PAPER.spec(), Fixtures.task("task2"), data);
        DatasetSpec t4 = new DatasetSpec(PAPER.spec(), Fixtures.task("task4"), data);
        DatasetSpec t1 = new DatasetSpec(PAPER.spec(), Fixtures.task("task1"), data);
        assertEquals(t2.key(), t4.key(), "task 4 reuses task 2's data");
        assertNotEquals(t2.key(), t1.key());
        List<String> keys = new ArrayList<>();
        for (long seed = 1; seed <= 3; seed++) {
            keys.add(new DatasetSpec(Fixtures.grammar(41, 40, 40, seed), Fixtures.task("task2"), data).key());
        }
        assertEquals(3, keys.stream().distinct().count());
    }
}
