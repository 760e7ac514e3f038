package org.selectivbench.data;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

/** The distractor law after '#' ({@code tasks.taskN.distractors-after-end}): both laws, the setting, the keys. */
class DistractorLawTest {
    /** The embedded default's grammar size: with V = 11 the start letters are a large share of the symbols. */
    private static final Grammar SMALL = Grammar.generate(Fixtures.grammar(11, 10, 4, 1));
    private static final int EXAMPLES = 1000;

    /** Task 3 with the given law and a gap after every element, for many distractors after '#'. */
    private static TaskSpec task3(String law) {
        return Tasks.get(Fixtures.ROOT, "task3", ConfigFactory.parseString(
                "distractors-after-end = " + law + ", gap-start = 0, gap-prob = 1.0"));
    }

    private static ExampleGenerator gen(String law) {
        return new ExampleGenerator(SMALL, task3(law), Fixtures.data(EXAMPLES, 10));
    }

    private static boolean[] startSymbols(Grammar g) {
        boolean[] out = new boolean[g.vocab()];
        for (int s : g.startStates()) {
            out[g.symbolOf(s)] = true;
        }
        return out;
    }

    @Test
    void releaseLawDrawsEverySymbolAfterEndAndChangesNothingElse() {
        ExampleGenerator any = gen("any-symbol");
        ExampleGenerator never = gen("never-grammatical");
        boolean[] start = startSymbols(SMALL);
        int startLetters = 0;
        for (boolean b : start) {
            startLetters += b ? 1 : 0;
        }
        long[] afterEnd = new long[SMALL.vocab()];
        long afterEndTotal = 0;
        long startAfterEnd = 0;
        for (int i = 0; i < EXAMPLES; i++) {
            TaskExample a = any.example(Split.TRAIN, i, 0.1);
            TaskExample b = never.example(Split.TRAIN, i, 0.1);
            assertArrayEquals(b.classes(), a.classes(), "the law does not touch the elements");
            assertArrayEquals(b.gaps(), a.gaps(), "nor the gaps");
            int d = 0;
            for (int e = 0; e < a.elements(); e++) {
                int state = a.classes()[e];
                for (int j = 0; j < a.gaps()[e]; j++, d++) {
                    int sym = a.distractors()[d];
                    if (state == Grammar.END) {
                        afterEnd[sym]++;
                        afterEndTotal++;
                        startAfterEnd += start[sym] ? 1 : 0;
                        assertFalse(start[b.distractors()[d]], "never-grammatical draws no start letter after '#'");
                    } else {
                        assertTrue(SMALL.next(state, sym) < 0, "distractor " + Grammar.letter(sym) + " may follow "
                                + SMALL.stateName(state));
                        // One draw per step from the same stream and the same candidates: equal draws.
                        assertEquals(b.distractors()[d], sym, "the laws differ only after '#'");
                    }
                }
            }
            assertEquals(d, a.distractors().length);
        }
        // Seed 1 of this size: 3 start letters of 11 symbols; about 5,400 distractors after '#'.
        assertEquals(3, startLetters);
        assertTrue(afterEndTotal > 5000, "distractors after '#': " + afterEndTotal);
        assertEquals((double) startLetters / SMALL.vocab(), (double) startAfterEnd / afterEndTotal, 0.02,
                "share of start letters after '#'");
        for (int sym = 0; sym < SMALL.vocab(); sym++) {
            assertTrue(afterEnd[sym] > 0, "symbol " + Grammar.letter(sym) + " never drawn after '#'");
        }
    }

    @Test
    void neverGrammaticalDrawsNoSymbolThatMayFollow() {
        ExampleGenerator g = gen("never-grammatical");
        boolean[] start = startSymbols(SMALL);
        long distractors = 0;
        for (int i = 0; i < EXAMPLES; i++) {
            TaskExample ex = g.example(Split.TRAIN, i, 0.1);
            int d = 0;
            for (int e = 0; e < ex.elements(); e++) {
                int state = ex.classes()[e];
                for (int j = 0; j < ex.gaps()[e]; j++) {
                    int sym = ex.distractors()[d++];
                    boolean grammatical = state == Grammar.END ? start[sym] : SMALL.next(state, sym) >= 0;
                    assertFalse(grammatical, "distractor " + Grammar.letter(sym) + " may follow "
                            + SMALL.stateName(state));
                    distractors++;
                }
            }
        }
        assertTrue(distractors > 100_000, "distractors checked: " + distractors);
    }

    @Test
    void sameConfigAndSeedGiveTheSameData() {
        for (String law : new String[] {"any-symbol", "never-grammatical"}) {
            // Everything rebuilt from config: grammar, task and generator.
            ExampleGenerator a = new ExampleGenerator(Grammar.generate(Fixtures.grammar(11, 10, 4, 1)), task3(law),
                    Fixtures.data(EXAMPLES, 10));
            ExampleGenerator b = gen(law);
            for (int i = 0; i < 200; i++) {
                assertEquals(a.example(Split.TRAIN, i, 0.1), b.example(Split.TRAIN, i, 0.1), law + " example " + i);
                assertEquals(a.example(Split.TEST, i, 0.1), b.example(Split.TEST, i, 0.1), law + " test " + i);
            }
        }
    }

    @Test
    void distractorsArePinned() {
        // Pinned so that a change in the streams or the law shows here, not as a silently different dataset.
        assertEquals(PINNED_ANY, fingerprint(gen("any-symbol")), "any-symbol");
        assertEquals(PINNED_NEVER, fingerprint(gen("never-grammatical")), "never-grammatical");
    }

    private static final int PINNED_ANY = -1060857441, PINNED_NEVER = 1619114503;

    /** Arrays.hashCode (specified by the JDK) of the distractors of the first 50 training examples. */
    private static int fingerprint(ExampleGenerator g) {
        int h = 1;
        for (int i = 0; i < 50; i++) {
            h = 31 * h + java.util.Arrays.hashCode(g.example(Split.TRAIN, i, 0.1).distractors());
        }
        return h;
    }

    @Test
    void settingParsesAndBadValuesNameTheKey() {
        assertEquals(TaskSpec.AfterEnd.ANY_SYMBOL, task3("any-symbol").afterEnd());
        assertEquals(TaskSpec.AfterEnd.NEVER_GRAMMATICAL, task3("never-grammatical").afterEnd());
        assertEquals(TaskSpec.AfterEnd.ANY_SYMBOL, Fixtures.task("task3").afterEnd(), "default: the release's law");
        GrammarTest.assertMessage("tasks.task3.distractors-after-end", () -> task3("release"));
        GrammarTest.assertMessage("tasks.task3.distractors-after-end", () -> task3("NEVER_GRAMMATICAL"));
        GrammarTest.assertMessage("distractor-after-end", () -> Tasks.get(Fixtures.ROOT, "task3",
                ConfigFactory.parseString("distractor-after-end = any-symbol")));
    }

    @Test
    void datasetKeyNamesTheLawWhereThereAreDistractors() {
        DataSpec data = Fixtures.data(EXAMPLES, 10);
        String any = new DatasetSpec(SMALL.spec(), task3("any-symbol"), data).key();
        String never = new DatasetSpec(SMALL.spec(), task3("never-grammatical"), data).key();
        assertNotEquals(any, never, "datasets of different laws must not be taken for each other on resume");
        assertEquals("never-grammatical", ((java.util.Map<?, ?>) new DatasetSpec(SMALL.spec(),
                task3("never-grammatical"), data).describe().get("task")).get("distractors-after-end"));
        // Zero gaps hold no distractors: the law leaves their key (and task 4's sharing of it) alone.
        TaskSpec t2any = Tasks.get(Fixtures.ROOT, "task2",
                ConfigFactory.parseString("distractors-after-end = any-symbol"));
        TaskSpec t2never = Tasks.get(Fixtures.ROOT, "task2",
                ConfigFactory.parseString("distractors-after-end = never-grammatical"));
        assertEquals(new DatasetSpec(SMALL.spec(), t2any, data).key(),
                new DatasetSpec(SMALL.spec(), t2never, data).key());
    }
}
