package org.selectivbench.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EncodingAndMetricTest {
    private static final Grammar SMALL = Grammar.generate(Fixtures.grammar(11, 10, 4, 3));

    private static List<TaskExample> examples(String task, int n, Split split, double delay) {
        ExampleGenerator g = new ExampleGenerator(SMALL, Fixtures.task(task), Fixtures.data(100, 100));
        List<TaskExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(g.example(split, i, delay));
        }
        return out;
    }

    @Test
    void zeroGapsEncodeAsOneHotThenSilenceWithWindowTargets() {
        List<TaskExample> exs = examples("task2", 3, Split.TRAIN, 1.0);
        EncodedBatch b = new BatchEncoder(11, 0.0).encode(exs);
        assertEquals(exs.stream().mapToInt(TaskExample::steps).max().orElseThrow(), b.steps());
        for (int i = 0; i < 3; i++) {
            TaskExample ex = exs.get(i);
            assertEquals(ex.steps(), b.lengths()[i]);
            for (int e = 0; e < ex.elements(); e++) {
                int start = b.windowStarts()[i][e];
                assertEquals(1 + ex.gaps()[e], b.windowEnd(i, e) - start);
                for (int t = start; t < b.windowEnd(i, e); t++) {
                    assertEquals(ex.classes()[e], b.targets()[i * b.steps() + t]);
                    assertEquals(1f, b.mask()[i * b.steps() + t]);
                    for (int v = 0; v < 11; v++) {
                        float expected = t == start && v == ex.symbols()[e] ? 1f : 0f;
                        assertEquals(expected, b.inputs()[(i * b.steps() + t) * 11 + v]);
                    }
                }
            }
            for (int t = ex.steps(); t < b.steps(); t++) {
                assertEquals(0f, b.mask()[i * b.steps() + t], "padding is masked");
            }
        }
    }

    @Test
    void noiseIsUniformDeterministicAndOnRealStepsOnly() {
        List<TaskExample> exs = examples("task2", 4, Split.TEST, 1.0);
        EncodedBatch clean = new BatchEncoder(11, 0).encode(exs);
        EncodedBatch noisy = new BatchEncoder(11, 0.2).encode(exs);
        EncodedBatch again = new BatchEncoder(11, 0.2).encode(exs);
        assertArrayEquals(noisy.inputs(), again.inputs(), "noise is rebuilt bit for bit from the seed");
        double sum = 0;
        long n = 0;
        for (int i = 0; i < noisy.inputs().length; i++) {
            float d = noisy.inputs()[i] - clean.inputs()[i];
            int step = i / 11;
            if (clean.mask()[step] == 0f) {
                assertEquals(0f, d);
            } else {
                assertTrue(d >= 0f && d < 0.2f + 1e-6f, "noise in [0, 0.2): " + d);
                sum += d;
                n++;
            }
        }
        assertEquals(0.1, sum / n, 0.002);
    }

    @Test
    void ungrammaticalGapsCarryTheirDistractors() {
        List<TaskExample> exs = examples("task3", 20, Split.TRAIN, 0.1);
        EncodedBatch b = new BatchEncoder(11, 0).encode(exs);
        for (int i = 0; i < exs.size(); i++) {
            TaskExample ex = exs.get(i);
            int d = 0;
            for (int e = 0; e < ex.elements(); e++) {
                for (int g = 1; g <= ex.gaps()[e]; g++) {
                    int t = b.windowStarts()[i][e] + g;
                    assertEquals(1f, b.inputs()[(i * b.steps() + t) * 11 + ex.distractors()[d++]]);
                }
            }
        }
    }

    @Test
    void windowedAccuracySumsProbabilitiesOverTheWindow() {
        // Two elements: the first spans steps 0-2, the second step 3.
        TaskExample ex = new TaskExample(0, new int[] {1, 2}, new int[] {1, 2}, new int[] {2, 0}, new int[0], 0);
        EncodedBatch b = new BatchEncoder(3, 0).encode(List.of(ex));
        int c = 3;
        float[] p = new float[4 * c];
        // Element 0: step 0 says 0 strongly, steps 1 and 2 say 1 moderately: the window sum picks 1.
        set(p, 0, c, 0.9f, 0.1f, 0f);
        set(p, 1, c, 0.2f, 0.6f, 0.2f);
        set(p, 2, c, 0.2f, 0.6f, 0.2f);
        // Element 1: wrong (says 0).
        set(p, 3, c, 0.8f, 0.1f, 0.1f);
        WindowedAccuracy acc = new WindowedAccuracy();
        acc.add(b, p, c);
        assertEquals(1, acc.correct());
        assertEquals(2, acc.total());
        assertThrows(IllegalArgumentException.class, () -> acc.add(b, new float[5], c));
    }

    private static void set(float[] p, int step, int c, float... v) {
        System.arraycopy(v, 0, p, step * c, c);
    }

    @Test
    void referencesAtThePaperSetting() {
        Grammar paper = Grammar.generate(Fixtures.grammar(41, 40, 40, 1));
        ExampleGenerator g = new ExampleGenerator(paper, Fixtures.task("task1"), Fixtures.data(10, 300));
        List<TaskExample> test = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            test.add(g.example(Split.TEST, i, 0.1));
        }
        ReferenceAccuracies r = ReferenceAccuracies.of(paper, test);
        assertEquals(1.0 / 1601, r.chance(), 1e-12);
        assertEquals(0.066, r.symbolOnly(), 0.012);
        assertTrue(r.oracle() > 0.98 && r.oracle() <= 1.0, "oracle " + r.oracle());
        assertEquals(300 * 200, r.elements());
    }

    @Test
    void oracleIsExactWhenStartLettersDiffer() {
        for (long seed = 1; seed < 40; seed++) {
            Grammar g = Grammar.generate(Fixtures.grammar(11, 10, 4, seed));
            int[] start = g.startStates();
            long distinct = java.util.Arrays.stream(start).map(g::symbolOf).distinct().count();
            if (distinct == start.length) {
                ExampleGenerator gen = new ExampleGenerator(g, Fixtures.task("task1"), Fixtures.data(10, 10));
                List<TaskExample> test = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    test.add(gen.example(Split.TEST, i, 0.1));
                }
                assertEquals(1.0, ReferenceAccuracies.of(g, test).oracle());
                return;
            }
        }
        fail("no grammar with distinct start letters among 39 seeds");
    }
}
