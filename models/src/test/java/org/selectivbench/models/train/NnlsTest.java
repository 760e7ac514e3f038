package org.selectivbench.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NnlsTest {
    /**
     * The plain reference: the solution is the least-squares solution over some set of columns with
     * every entry positive; try every set and keep the feasible one with the smallest residual.
     */
    static double[] bruteForce(double[][] a, double[] b) {
        int n = a[0].length;
        double[] best = new double[n];
        double bestResidual = residual(a, b, best);
        for (int mask = 1; mask < 1 << n; mask++) {
            List<Integer> cols = new ArrayList<>();
            for (int j = 0; j < n; j++) {
                if ((mask & 1 << j) != 0) {
                    cols.add(j);
                }
            }
            double[] z = Nnls.leastSquares(a, b, cols);
            if (cols.stream().allMatch(j -> z[j] >= 0) && residual(a, b, z) < bestResidual) {
                best = z;
                bestResidual = residual(a, b, z);
            }
        }
        return best;
    }

    static double residual(double[][] a, double[] b, double[] x) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double r = -b[i];
            for (int j = 0; j < x.length; j++) {
                r += a[i][j] * x[j];
            }
            s += r * r;
        }
        return s;
    }

    @Test
    void matchesTheBestFeasibleSubsetOnRandomProblems() {
        Random r = new Random(3);
        int constrained = 0;
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + r.nextInt(6), m = n + r.nextInt(12);
            double[][] a = new double[m][n];
            double[] b = new double[m];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    a[i][j] = r.nextGaussian();
                }
                b[i] = r.nextGaussian();
            }
            double[] x = Nnls.solve(a, b);
            double[] ref = bruteForce(a, b);
            for (int j = 0; j < n; j++) {
                assertTrue(x[j] >= 0, "trial " + trial + ": x[" + j + "] = " + x[j]);
                assertEquals(ref[j], x[j], 1e-8, "trial " + trial + ", x[" + j + "]");
                constrained += ref[j] == 0 ? 1 : 0;
            }
        }
        assertTrue(constrained > 50, "the random problems should often put a bound to work: " + constrained);
    }

    @Test
    void recoversNonNegativeWeightsOfAnExactFit() {
        double[][] a = {{1, 2, 0}, {3, 1, 1}, {0, 5, 2}, {2, 2, 2}, {1, 0, 4}};
        double[] w = {0.5, 0, 1.5};
        double[] b = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < w.length; j++) {
                b[i] += a[i][j] * w[j];
            }
        }
        double[] x = Nnls.solve(a, b);
        for (int j = 0; j < w.length; j++) {
            assertEquals(w[j], x[j], 1e-9);
        }
    }
}
