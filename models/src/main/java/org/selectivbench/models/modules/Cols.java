package org.selectivbench.models.modules;

import org.selectivbench.models.ops.Arena;
/**
 * Column blocks of row-major float arrays, the float path's {@link Nd#cols} and {@link Nd#concatCols}: a
 * layer whose one projection makes several inputs (Mamba2's z, x, B, C and dt) splits its rows with
 * these and joins the inputs' gradients back the same way.
 */
public final class Cols {
    private Cols() {
    }

    /** Columns [from, to) of x's rows of {@code width} as a new array of rows of to - from. */
    public static float[] of(float[] x, int width, int from, int to) {
        int rows = x.length / width, n = to - from;
        float[] y = Arena.uninitialized(rows * n); // every entry copied in
        for (int r = 0; r < rows; r++) {
            System.arraycopy(x, r * width + from, y, r * n, n);
        }
        return y;
    }

    /** The parts' rows side by side: part i has {@code rows} rows of parts[i].length / rows columns. */
    public static float[] concat(int rows, float[]... parts) {
        int width = 0;
        for (float[] part : parts) {
            width += part.length / rows;
        }
        float[] y = Arena.uninitialized(rows * width);
        int at = 0;
        for (float[] part : parts) {
            int n = part.length / rows;
            for (int r = 0; r < rows; r++) {
                System.arraycopy(part, r * n, y, r * width + at, n);
            }
            at += n;
        }
        return y;
    }
}
