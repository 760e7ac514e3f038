package org.selectivbench.models.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;

/** Random inputs and comparisons for the op tests. */
final class Ops {
    private Ops() {
    }

    static double[] rand(Random r, int n, double scale) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = scale * r.nextGaussian();
        }
        return x;
    }

    static double[] uniform(Random r, int n, double lo, double hi) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = lo + (hi - lo) * r.nextDouble();
        }
        return x;
    }

    /** {@code count} random unit vectors of length {@code dim}, back to back (the delta rule's keys). */
    static double[] unitRows(Random r, int count, int dim) {
        double[] x = rand(r, count * dim, 1);
        for (int i = 0; i < count; i++) {
            double n = 0;
            for (int j = 0; j < dim; j++) {
                n += x[i * dim + j] * x[i * dim + j];
            }
            n = Math.sqrt(n);
            for (int j = 0; j < dim; j++) {
                x[i * dim + j] /= n;
            }
        }
        return x;
    }

    static double[] concat(double[] a, double[] b) {
        double[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** Asserts |want - got| <= tol (1 + |want|) everywhere. */
    static void assertClose(double[] want, double[] got, double tol, String what) {
        assertTrue(want.length == got.length, what + ": length " + got.length + ", expected " + want.length);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < want.length; i++) {
            double e = Math.abs(want[i] - got[i]) / (1 + Math.abs(want[i]));
            if (!(e <= worst)) {
                worst = e;
                at = i;
            }
        }
        assertTrue(worst <= tol, what + ": worst relative error " + worst + " at " + at + " (want "
                + (at < 0 ? "" : want[at]) + ", got " + (at < 0 ? "" : got[at]) + ")");
    }

    /**
     * Asserts |want - got| <= tol (1 + |want|) after both are divided by max(1, max |want|): the float
     * kernels against the double ones, where an entry near 0 carries the error of the large ones it sums.
     */
    static void assertCloseScaled(double[] want, double[] got, double tol, String what) {
        double scale = 1;
        for (double v : want) {
            scale = Math.max(scale, Math.abs(v));
        }
        double[] w = want.clone(), g = got.clone();
        for (int j = 0; j < w.length; j++) {
            w[j] /= scale;
            g[j] /= scale;
        }
        assertClose(w, g, tol, what);
    }

    static float[] floats(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    static double[] doubles(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    /** x rounded to float, as double: inputs that the float and double kernels read alike. */
    static double[] roundedToFloat(double[] x) {
        return doubles(floats(x));
    }

    /**
     * Runs {@code arrays} with the vector forms on and off and requires the same arrays bit for bit
     * (assumes the Vector API module, which the test JVM has).
     */
    static void assertVectorFormIsScalarForm(Supplier<double[][]> arrays) {
        Assumptions.assumeTrue(Simd.on(), "the Vector API is not on the module path");
        double[][] vector = arrays.get();
        Simd.use(false);
        try {
            double[][] scalar = arrays.get();
            for (int i = 0; i < scalar.length; i++) {
                assertArrayEquals(scalar[i], vector[i], "array " + i);
            }
        } finally {
            Simd.use(true);
        }
    }
}
