package org.selectivbench.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class GrammarTest {

    @ParameterizedTest
    @CsvSource({"41,40,40,1", "41,40,40,2", "21,20,20,3", "11,4,3,4", "5,0,1,5", "53,10,6,6", "3,1,4,7"})
    void invariantsHold(int vocab, int ambiguities, int depth, long seed) {
        Grammar g = Grammar.generate(Fixtures.grammar(vocab, ambiguities, depth, seed));
        int expectedStates = (vocab - 1 - ambiguities) + ambiguities * depth + 1;
        assertEquals(expectedStates, g.numStates());
        assertEquals(expectedStates, g.numClasses());
        // Class ids: '#' is 0, then letters in symbol order with consecutive ids per letter.
        assertEquals(Grammar.END, g.symbolOf(0));
        assertEquals("#", g.stateName(0));
        for (int s = 2; s < g.numStates(); s++) {
            assertTrue(g.symbolOf(s) >= g.symbolOf(s - 1), "class ids follow symbol ids");
        }
        for (int s = 1; s < g.numStates(); s++) {
            assertTrue(g.stateName(s).charAt(0) == Grammar.letter(g.symbolOf(s)));
        }
        // At most one target per (state, symbol), and the target emits that symbol.
        for (int s = 0; s < g.numStates(); s++) {
            Set<Integer> symbols = new HashSet<>();
            for (int t : g.outEdges(s)) {
                assertTrue(symbols.add(g.symbolOf(t)), "two edges from " + g.stateName(s) + " on one symbol");
            }
            for (int a = 0; a < vocab; a++) {
                int t = g.next(s, a);
                assertTrue(t == -1 || g.symbolOf(t) == a);
            }
        }
        assertEquals(0, g.outEdges(Grammar.END).length, "nothing leaves '#'");
        // Every state reaches '#'.
        for (int s = 0; s < g.numStates(); s++) {
            assertTrue(reachesEnd(g, s), g.stateName(s) + " cannot reach '#'");
        }
        int[] start = g.startStates();
        assertEquals(4, start.length);
        assertEquals(4, new HashSet<>(java.util.Arrays.stream(start).boxed().toList()).size(), "distinct starts");
        for (int s : start) {
            assertNotEquals(Grammar.END, s, "'#' must not be a start state");
        }
    }

    private static boolean reachesEnd(Grammar g, int from) {
        boolean[] seen = new boolean[g.numStates()];
        ArrayDeque<Integer> q = new ArrayDeque<>();
        q.add(from);
        seen[from] = true;
        while (!q.isEmpty()) {
            int s = q.poll();
            if (s == Grammar.END) {
                return true;
            }
            for (int t : g.outEdges(s)) {
                if (!seen[t]) {
                    seen[t] = true;
                    q.add(t);
                }
            }
        }
        return false;
    }

    @Test
    void paperSettingStatistics() {
        Grammar g = Grammar.generate(Fixtures.grammar(41, 40, 40, 1));
        assertEquals(1601, g.numStates());
        // Each non-end state has 40 letters kept with probability 0.4 and '#' with 0.01: mean 16.01.
        assertEquals(16.0, g.meanOutDegree(), 0.4);
    }

    @Test
    void sameSeedSameGrammarOtherSeedOther() {
        Grammar a = Grammar.generate(Fixtures.grammar(21, 20, 20, 9));
        Grammar b = Grammar.generate(Fixtures.grammar(21, 20, 20, 9));
        Grammar c = Grammar.generate(Fixtures.grammar(21, 20, 20, 10));
        assertArrayEquals(a.nextTable(), b.nextTable());
        assertArrayEquals(a.startStates(), b.startStates());
        assertFalse(java.util.Arrays.equals(a.nextTable(), c.nextTable()));
    }

    @Test
    void impossibleSettingsNameTheKey() {
        assertMessage("grammar.vocab", () -> Fixtures.grammar(54, 10, 2, 1));
        assertMessage("grammar.vocab", () -> Fixtures.grammar(1, 0, 1, 1));
        assertMessage("grammar.ambiguities", () -> Fixtures.grammar(10, 10, 2, 1));
        assertMessage("grammar.ambiguities", () -> Fixtures.grammar(10, -1, 2, 1));
        assertMessage("grammar.depth", () -> Fixtures.grammar(10, 2, 0, 1));
        assertMessage("grammar.density", () -> new GrammarSpec(10, 2, 2, 4, 0, 10, 1));
        assertMessage("grammar.start-states", () -> new GrammarSpec(3, 0, 1, 3, 0.4, 10, 1));
        assertMessage("grammar.max-tries", () -> new GrammarSpec(10, 2, 2, 4, 0.4, 0, 1));
    }

    @Test
    void unsatisfiableGrammarFailsAfterBoundedTries() {
        // With a tiny density almost no state has an out-edge, so no draw passes the check.
        GrammarSpec spec = new GrammarSpec(41, 40, 40, 4, 0.001, 5, 1);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Grammar.generate(spec));
        assertTrue(e.getMessage().contains("grammar.max-tries = 5"), e.getMessage());
    }

    static void assertMessage(String key, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(key), "message should name " + key + ": " + e.getMessage());
    }
}
