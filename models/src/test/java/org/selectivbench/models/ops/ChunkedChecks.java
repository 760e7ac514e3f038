package org.selectivbench.models.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Comparisons of the ND4J forms of the sequence ops with their Java kernels. */
final class ChunkedChecks {
    private ChunkedChecks() {
    }

    /** {@code values} as an array of type {@code dt}. */
    static INDArray arr(double[] values, DataType dt, long... shape) {
        return Host.array(values, dt, shape);
    }

    /** The values the kernel sees: {@code values} rounded to {@code dt}, so only the form's rounding is measured. */
    static double[] rounded(double[] values, DataType dt) {
        return Host.read(arr(values, dt, values.length));
    }

    /**
     * Asserts max |want - got| <= tol max |want| (the array's scale; entries far below it carry only
     * their share of its rounding) and a finite result; returns the relative error.
     */
    static double check(double[] want, INDArray got, double tol, String what) {
        double[] g = Host.read(got);
        assertEquals(want.length, g.length, what + ": length");
        double scale = 0, worst = 0;
        for (int i = 0; i < want.length; i++) {
            assertTrue(Double.isFinite(g[i]), what + "[" + i + "] = " + g[i]);
            scale = Math.max(scale, Math.abs(want[i]));
            worst = Math.max(worst, Math.abs(want[i] - g[i]));
        }
        double err = worst / (scale > 0 ? scale : 1);
        assertTrue(err <= tol, what + ": relative error " + err + " (max " + worst + " of " + scale + ")");
        return err;
    }

    /** The tolerance of the comparisons: 1e-9 in float64, 1e-4 in float32. */
    static double tol(DataType dt) {
        return dt == DataType.DOUBLE ? 1e-9 : 1e-4;
    }
}
