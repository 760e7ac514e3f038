package org.selectivbench.models.train;

import java.util.ArrayList;
import java.util.List;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.QRDecomposition;
import org.apache.commons.math3.linear.RealVector;

/**
 * Non-negative least squares, min |A x - b| subject to x >= 0, by Lawson and Hanson's active-set
 * method (Solving Least Squares Problems, 1974, chapter 23): terms join the passive set while the
 * gradient says they would lower the residual, and a step that would make one negative stops where
 * it reaches zero and moves it back.
 */
final class Nnls {
    private Nnls() {
    }

    private static final double TOLERANCE = 1e-10;

    static double[] solve(double[][] a, double[] b) {
        int n = a[0].length;
        double[] x = new double[n];
        List<Integer> passive = new ArrayList<>();
        for (int iteration = 0; iteration < 30 * n; iteration++) {
            double[] w = gradient(a, b, x);
            int best = -1;
            for (int j = 0; j < n; j++) {
                if (!passive.contains(j) && w[j] > TOLERANCE && (best < 0 || w[j] > w[best])) {
                    best = j;
                }
            }
            if (best < 0) {
                return x;
            }
            passive.add(best);
            while (true) {
                double[] z = leastSquares(a, b, passive);
                boolean feasible = passive.stream().allMatch(j -> z[j] > 0);
                if (feasible) {
                    x = z;
                    break;
                }
                double alpha = Double.MAX_VALUE;
                for (int j : passive) {
                    if (z[j] <= 0) {
                        alpha = Math.min(alpha, x[j] / (x[j] - z[j]));
                    }
                }
                for (int j = 0; j < n; j++) {
                    x[j] += alpha * (z[j] - x[j]);
                }
                final double[] xs = x;
                passive.removeIf(j -> xs[j] <= TOLERANCE);
                for (int j = 0; j < n; j++) {
                    if (!passive.contains(j)) {
                        x[j] = 0;
                    }
                }
            }
        }
        throw new IllegalStateException("non-negative least squares did not converge in " + 30 * n + " steps");
    }

    /** A^T (b - A x): which way each term would lower the residual. */
    private static double[] gradient(double[][] a, double[] b, double[] x) {
        double[] w = new double[x.length];
        for (int i = 0; i < a.length; i++) {
            double r = b[i];
            for (int j = 0; j < x.length; j++) {
                r -= a[i][j] * x[j];
            }
            for (int j = 0; j < x.length; j++) {
                w[j] += a[i][j] * r;
            }
        }
        return w;
    }

    /** The unconstrained least-squares solution over the columns in {@code cols}, zero elsewhere. */
    static double[] leastSquares(double[][] a, double[] b, List<Integer> cols) {
        double[][] sub = new double[a.length][cols.size()];
        for (int i = 0; i < a.length; i++) {
            for (int k = 0; k < cols.size(); k++) {
                sub[i][k] = a[i][cols.get(k)];
            }
        }
        RealVector s = new QRDecomposition(new Array2DRowRealMatrix(sub, false), 1e-12).getSolver()
                .solve(new ArrayRealVector(b, false));
        double[] z = new double[a[0].length];
        for (int k = 0; k < cols.size(); k++) {
            z[cols.get(k)] = s.getEntry(k);
        }
        return z;
    }
}
