package org.selectivbench.models.ops;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The float norms ({@link RowNormsFloat}, {@link L2NormFloat}) against the double ones ({@link RowNorms}, themselves checked
 * against plain formulas and finite differences in modules.NormsTest) on the same float inputs: every
 * output, kept statistic and gradient, the parameter gradients included, within 2e-5 of its array's
 * largest entry. Rows of 8 to 96 entries, two threads. And their vector forms against their scalar
 * forms, bit for bit.
 */
class RowNormsFloatTest {
    @ParameterizedTest
    @CsvSource({"37, 8", "300, 32", "5, 96", "40, 64", "9, 48"})
    void layerNorm(int rows, int n) {
        Parallel.setThreads(2);
        Random r = new Random(rows * 31L + n);
        double[] x = in(r, rows * n, 3), g = in(r, n, 1), b = in(r, n, 1), dy = in(r, rows * n, 1);
        double[] y = new double[rows * n], xh = new double[rows * n], rs = new double[rows];
        RowNorms.layerNorm(rows, n, shifted(x), g, b, 1e-5, y, xh, rs);
        double[] dx = new double[rows * n], dg = new double[n], db = new double[n];
        RowNorms.layerNormBackward(rows, n, dy, g, xh, rs, dx, dg, db);

        float[] yf = new float[rows * n], xhf = new float[rows * n], rsf = new float[rows];
        RowNormsFloat.layerNorm(rows, n, Ops.floats(shifted(x)), Ops.floats(g), Ops.floats(b), 1e-5, yf, xhf, rsf);
        float[] dxf = new float[rows * n];
        double[] dgf = new double[n], dbf = new double[n];
        RowNormsFloat.layerNormBackward(rows, n, Ops.floats(dy), Ops.floats(g), xhf, rsf, dxf, dgf, dbf);
        close(y, Ops.doubles(yf), "y");
        close(rs, Ops.doubles(rsf), "rstd");
        close(dx, Ops.doubles(dxf), "dx");
        close(dg, dgf, "dg");
        close(db, dbf, "db");
    }

    @ParameterizedTest
    @CsvSource({"37, 8, false", "300, 16, true", "5, 96, true", "40, 32, false", "40, 64, true"})
    void rmsNorm(int rows, int n, boolean gated) {
        Parallel.setThreads(2);
        Random r = new Random(rows * 37L + n);
        double[] x = in(r, rows * n, 2), w = in(r, n, 1), dy = in(r, rows * n, 1);
        double[] z = gated ? in(r, rows * n, 3) : null;
        double[] y = new double[rows * n], xh = new double[rows * n], ri = new double[rows];
        double[] sig = gated ? new double[rows * n] : null;
        RowNorms.rmsNorm(rows, n, x, w, z, 1e-5, y, xh, ri, sig);
        double[] dx = new double[rows * n], dz = gated ? new double[rows * n] : null, dw = new double[n];
        RowNorms.rmsNormBackward(rows, n, dy, w, z, xh, ri, sig, dx, dz, dw);

        float[] zf = gated ? Ops.floats(z) : null, yf = new float[rows * n], xhf = new float[rows * n];
        float[] rif = new float[rows], sigf = gated ? new float[rows * n] : null;
        RowNormsFloat.rmsNorm(rows, n, Ops.floats(x), Ops.floats(w), zf, 1e-5, yf, xhf, rif, sigf);
        float[] dxf = new float[rows * n], dzf = gated ? new float[rows * n] : null;
        double[] dwf = new double[n];
        RowNormsFloat.rmsNormBackward(rows, n, Ops.floats(dy), Ops.floats(w), zf, xhf, rif, sigf, dxf, dzf, dwf);
        close(y, Ops.doubles(yf), "y");
        close(dx, Ops.doubles(dxf), "dx");
        close(dw, dwf, "dw");
        if (gated) {
            close(dz, Ops.doubles(dzf), "dgate");
        }
    }

    @ParameterizedTest
    @CsvSource({"37, 8, 1.0", "300, 16, 0.35"})
    void l2Norm(int rows, int n, double scale) {
        Parallel.setThreads(2);
        Random r = new Random(rows * 41L + n);
        double[] x = in(r, rows * n, 2), dy = in(r, rows * n, 1);
        double[] y = new double[rows * n], rn = new double[rows], dx = new double[rows * n];
        RowNorms.l2Norm(rows, n, x, scale, 1e-6, y, rn);
        RowNorms.l2NormBackward(rows, n, dy, y, rn, scale, dx);
        float[] yf = new float[rows * n], rnf = new float[rows], dxf = new float[rows * n];
        L2NormFloat.l2Norm(rows, n, Ops.floats(x), scale, 1e-6, yf, rnf);
        L2NormFloat.l2NormBackward(rows, n, Ops.floats(dy), yf, rnf, scale, dxf);
        close(y, Ops.doubles(yf), "y");
        close(dx, Ops.doubles(dxf), "dx");
    }

    @ParameterizedTest
    // a vector's worth or less, whole vectors, and a tail, on 8 or 16 lanes; rows of half a vector (4 on
    // 8 lanes, 8 on 16) go two to a vector, the 39th alone, in the norms and in the column sums, whose
    // passes take two float vectors of columns (72 is two passes and a vector on 16 lanes); rows of 16, 32
    // and 64 sum on RowTree's lanes, two blocks of 16 rows folded side by side and 7 rows one at a time
    @CsvSource({"4", "8", "16", "32", "37", "64", "72"})
    void vectorFormsAreTheScalarForms(int n) {
        Parallel.setThreads(1); // one range: the blocks of 16 rows
        int rows = 39;
        Random r = new Random(n);
        float[] x = Ops.floats(in(r, rows * n, 2)), g = Ops.floats(in(r, n, 1)), b = Ops.floats(in(r, n, 1));
        float[] z = Ops.floats(in(r, rows * n, 3)), dy = Ops.floats(in(r, rows * n, 1));
        Ops.assertVectorFormIsScalarForm(() -> everyNorm(rows, n, x, g, b, z, dy));
    }

    /**
     * One thread and two give the same bits: with one, RMSNorm's and LayerNorm's backward passes sum the
     * weight (and bias) gradients in their pass over the blocks of rows; with two, in passes of their own
     * after. Rows of 8 (pairs), 16 (a vector a row on 16 lanes), 32 and 64 (folded 16 rows at a time),
     * with a partial block at the end.
     */
    @ParameterizedTest
    @CsvSource({"53, 8", "53, 16", "53, 32", "53, 64", "16, 16"})
    void normsOnOneThreadAreOnTwo(int rows, int n) {
        Random r = new Random(n * 43L + rows);
        float[] x = Ops.floats(in(r, rows * n, 2)), g = Ops.floats(in(r, n, 1)), b = Ops.floats(in(r, n, 1));
        float[] z = Ops.floats(in(r, rows * n, 3)), dy = Ops.floats(in(r, rows * n, 1));
        double[][][] out = new double[2][][];
        try {
            for (int t = 1; t <= 2; t++) {
                Parallel.setThreads(t);
                out[t - 1] = everyNorm(rows, n, x, g, b, z, dy);
            }
        } finally {
            Parallel.setThreads(1);
        }
        for (int i = 0; i < out[0].length; i++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(out[0][i], out[1][i], "array " + i);
        }
    }

    /**
     * Every float norm's outputs and gradients on rows of n: LayerNorm, RMSNorm gated and not, the L2 norm
     * and the column sums.
     */
    private static double[][] everyNorm(int rows, int n, float[] x, float[] g, float[] b, float[] z, float[] dy) {
        float[] y = new float[rows * n], xh = new float[rows * n], rs = new float[rows], dx = new float[rows * n];
        double[] dg = new double[n], db = new double[n];
        RowNormsFloat.layerNorm(rows, n, x, g, b, 1e-5, y, xh, rs);
        RowNormsFloat.layerNormBackward(rows, n, dy, g, xh, rs, dx, dg, db);
        float[] y2 = new float[rows * n], xh2 = new float[rows * n], ri = new float[rows];
        float[] sig = new float[rows * n];
        float[] dx2 = new float[rows * n], dz = new float[rows * n];
        double[] dw = new double[n];
        RowNormsFloat.rmsNorm(rows, n, x, g, z, 1e-5, y2, xh2, ri, sig);
        RowNormsFloat.rmsNormBackward(rows, n, dy, g, z, xh2, ri, sig, dx2, dz, dw);
        float[] y3 = new float[rows * n], xh3 = new float[rows * n], ri3 = new float[rows];
        float[] dx3 = new float[rows * n];
        double[] dw3 = new double[n];
        RowNormsFloat.rmsNorm(rows, n, x, g, null, 1e-5, y3, xh3, ri3, null);
        RowNormsFloat.rmsNormBackward(rows, n, dy, g, null, xh3, ri3, null, dx3, null, dw3);
        float[] y4 = new float[rows * n], rn = new float[rows], dx4 = new float[rows * n];
        L2NormFloat.l2Norm(rows, n, x, 0.35, 1e-6, y4, rn);
        L2NormFloat.l2NormBackward(rows, n, dy, y4, rn, 0.35, dx4);
        double[] sums = new double[n];
        ColumnSumsFloat.addColumnSums(x, rows, n, sums);
        return new double[][] {Ops.doubles(y), Ops.doubles(dx), dg, db, Ops.doubles(y2), Ops.doubles(dx2),
            Ops.doubles(dz), dw, Ops.doubles(y3), Ops.doubles(dx3), dw3, Ops.doubles(y4), Ops.doubles(dx4), sums};
    }

    /** Gaussian entries times {@code scale}, rounded to float. */
    private static double[] in(Random r, int n, double scale) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextGaussian() * scale;
        }
        return Ops.roundedToFloat(x);
    }

    /** x moved off zero, a mean for LayerNorm to take away (still float values). */
    private static double[] shifted(double[] x) {
        double[] s = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            s[i] = (float) (x[i] + 1.5);
        }
        return s;
    }

    /** Bias gradients: column sums of 5,000 rows against the plain sums in double, within float rounding. */
    @org.junit.jupiter.api.Test
    void columnSumsAreTheSumsRoundedOnce() {
        Random r = new Random(8);
        int rows = 5000, n = 37;
        float[] x = Ops.floats(Ops.rand(r, rows * n, 1));
        double[] want = new double[n];
        for (int j = 0; j < n; j++) {
            for (int row = rows - 1; row >= 0; row--) {
                want[j] += x[row * n + j];
            }
        }
        Ops.assertClose(want, Ops.doubles(ColumnSumsFloat.columnSums(x, rows, n)), 1e-7, "column sums");
    }

    private static void close(double[] want, double[] got, String what) {
        Ops.assertCloseScaled(want, got, 2e-5, "float norm, " + what);
    }
}
