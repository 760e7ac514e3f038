package org.selectivbench.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** TaskSpec's law of example lengths against the lengths the generator draws. */
class StepsBoundTest {
    private static final int ELEMENTS = 60;
    private static final int SAMPLES = 4000;

    private static void check(String taskName, Split split, double delay) {
        TaskSpec task = Fixtures.task(taskName);
        ExampleGenerator g = new ExampleGenerator(Grammar.generate(Fixtures.grammar(11, 10, 4, 1)), task,
                new DataSpec(ELEMENTS, 200, SAMPLES, SAMPLES));
        double sum = 0, square = 0;
        int longest = 0;
        for (int i = 0; i < SAMPLES; i++) {
            int steps = g.example(split, i, delay).steps();
            sum += steps;
            square += (double) steps * steps;
            longest = Math.max(longest, steps);
        }
        double mean = sum / SAMPLES, sd = Math.sqrt(Math.max(0, square / SAMPLES - mean * mean));
        double[] law = task.stepsLaw(ELEMENTS, split, delay);
        double total = 0, lawMean = 0, lawSquare = 0;
        for (int k = 0; k < law.length; k++) {
            total += law[k];
            lawMean += k * law[k];
            lawSquare += (double) k * k * law[k];
        }
        double lawSd = Math.sqrt(Math.max(0, lawSquare - lawMean * lawMean));
        int bound = task.stepsBound(ELEMENTS, split, delay);
        String what = taskName + " " + split + " delay " + delay + ": law mean " + lawMean + " sd " + lawSd
                + ", drawn mean " + mean + " sd " + sd + ", longest drawn " + longest + ", bound " + bound;
        assertEquals(1, total, 1e-9, what);
        // four standard errors of the drawn mean, and 10% on the spread
        assertEquals(lawMean, mean, 4 * lawSd / Math.sqrt(SAMPLES) + 1e-6, what);
        assertEquals(lawSd, sd, 0.1 * lawSd + 1e-6, what);
        assertTrue(longest <= bound && bound < law.length, what);
    }

    @Test
    void lawMatchesTheGeneratorForEveryTasksTrainingAndTestExamples() {
        for (String t : new String[] {"task1", "task2", "task3", "task4"}) {
            TaskSpec task = Fixtures.task(t);
            check(t, Split.TRAIN, task.gapMax());
            check(t, Split.TEST, task.testDelays().get(task.testDelays().size() - 1));
        }
    }
}
