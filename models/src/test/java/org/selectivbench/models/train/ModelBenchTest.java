package org.selectivbench.models.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ModelBenchTest {
    @Test
    void windowsShowASlowStretchThatTheMedianHides() {
        // 100 steps of 51-53 ms with steps 40-59 at 66-70 (the shape of a shared host's slow stretch)
        Random r = new Random(3);
        double[] steps = new double[100];
        for (int i = 0; i < steps.length; i++) {
            steps[i] = i >= 40 && i < 60 ? 66 + 4 * r.nextDouble() : 51 + 2 * r.nextDouble();
        }
        double[] w = ModelBench.windows(steps, 20);
        assertTrue(w[0] >= 51 && w[0] <= 53, Arrays.toString(w));
        assertTrue(w[1] >= 66 && w[1] <= 70, Arrays.toString(w));
        double median = ModelBench.median(steps);
        assertTrue(median < 53, "the median of all steps stays with the fast ones: " + median);
    }

    @Test
    void eachWindowIsItsOwnMedian() {
        // windows [5, 1, 3] -> 3 and [10, 30, 20] -> 20; the partial window [99] is left out
        assertArrayEquals(new double[] {3, 20}, ModelBench.windows(new double[] {5, 1, 3, 10, 30, 20, 99}, 3));
        assertArrayEquals(new double[] {7, 7}, ModelBench.windows(new double[] {7, 7, 7, 7}, 2));
    }

    @Test
    void fewerThanTwoWindowsSayNothing() {
        double[] none = ModelBench.windows(new double[] {1, 2, 3}, 2);
        assertTrue(Double.isNaN(none[0]) && Double.isNaN(none[1]), Arrays.toString(none));
        assertTrue(Double.isNaN(ModelBench.windows(new double[0], 20)[0]));
    }
}
