package org.selectivbench.models.modules;

import java.util.Arrays;
import org.selectivbench.models.ops.Arena;

/**
 * Column blocks of row-major float arrays, the float path's {@link Nd#cols}: the columns of a weight, its
 * gradient or a carried state that a block of a projection or of a conv works on
 * ({@link Linear#forwardFloatsCols}, {@link ShortConv#forwardFloatsCols}), copied out and written back.
 */
final class Cols {
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

    /** Writes x's rows of n columns into columns [from, from + n) of y's rows of {@code width}. */
    public static void put(float[] x, float[] y, int width, int from) {
        int n = x.length / (y.length / width);
        for (int r = 0, rows = y.length / width; r < rows; r++) {
            System.arraycopy(x, r * n, y, r * width + from, n);
        }
    }

    /**
     * Checks that block widths cover {@code total} columns, the error naming the widths ({@code blocks}, then
     * "sum to S, not " and {@code whole}).
     */
    static void check(int[] widths, int total, String blocks, String whole) {
        int sum = 0;
        for (int n : widths) {
            sum += n;
        }
        if (sum != total) {
            throw new IllegalArgumentException(blocks + " " + Arrays.toString(widths) + " sum to " + sum
                    + ", not " + whole);
        }
    }

    /** The widths of blocks of {@code rows} rows each: each block's length over the rows. */
    static int[] widths(float[][] blocks, int rows) {
        int[] widths = new int[blocks.length];
        for (int i = 0; i < blocks.length; i++) {
            widths[i] = blocks[i].length / rows;
        }
        return widths;
    }
}
