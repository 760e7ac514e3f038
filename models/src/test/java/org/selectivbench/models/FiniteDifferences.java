package org.selectivbench.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.function.DoubleSupplier;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Backprop gradients of the scan tests against central differences of a plain Java objective. */
public final class FiniteDifferences {
    static final double STEP = 1e-6;

    private FiniteDifferences() {
    }

    /**
     * For every entry of every named input (the arrays the objective reads, perturbed in place),
     * asserts |numeric - backprop| <= 1e-7 + 1e-6 |numeric| and a finite backprop value.
     */
    public static void check(Map<String, double[]> inputs, Map<String, INDArray> grads, DoubleSupplier objective) {
        Map<String, double[]> g = new java.util.LinkedHashMap<>();
        grads.forEach((k, v) -> g.put(k, v.data().asDouble()));
        checkArrays(inputs, g, objective);
    }

    /** As {@link #check}, with the backprop gradients as plain arrays. */
    public static void checkArrays(Map<String, double[]> inputs, Map<String, double[]> grads, DoubleSupplier objective) {
        for (Map.Entry<String, double[]> e : inputs.entrySet()) {
            double[] x = e.getValue();
            double[] grad = grads.get(e.getKey());
            for (int i = 0; i < x.length; i++) {
                assertTrue(Double.isFinite(grad[i]), "d/d" + e.getKey() + "[" + i + "] = " + grad[i]);
                double orig = x[i];
                x[i] = orig + STEP;
                double up = objective.getAsDouble();
                x[i] = orig - STEP;
                double down = objective.getAsDouble();
                x[i] = orig;
                double numeric = (up - down) / (2 * STEP);
                assertTrue(Math.abs(numeric - grad[i]) <= 1e-7 + 1e-6 * Math.abs(numeric),
                        "d/d" + e.getKey() + "[" + i + "]: backprop " + grad[i] + ", plain recurrence " + numeric);
            }
        }
    }

    /** n standard normal values: random inputs and the projection an objective sums outputs against. */
    public static double[] gaussian(java.util.Random r, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextGaussian();
        }
        return x;
    }

    /** The objective of a gradient check: the outputs projected on a fixed random vector. */
    public static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
