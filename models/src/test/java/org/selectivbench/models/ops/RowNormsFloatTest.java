package org.selectivbench.models.ops;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The float norms ({@link RowNormsFloat}) against the double ones ({@link RowNorms}, themselves checked
 * against plain formulas and finite differences in modules.NormsTest) on the same float inputs: every
 * output, kept statistic and gradient, the parameter gradients included, within 2e-5 of its array's
 * largest entry. Rows of 8 to 96 entries, two threads.
 */
class RowNormsFloatTest {
    @ParameterizedTest
    @CsvSource({"37, 8", "300, 32", "5, 96"})
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
    @CsvSource({"37, 8, false", "300, 16, true", "5, 96, true"})
    void rmsNorm(int rows, int n, boolean gated) {
        Parallel.setThreads(2);
        Random r = new Random(rows * 37L + n);
        double[] x = in(r, rows * n, 2), w = in(r, n, 1), z = gated ? in(r, rows * n, 3) : null, dy = in(r, rows * n, 1);
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
        RowNormsFloat.l2Norm(rows, n, Ops.floats(x), scale, 1e-6, yf, rnf);
        RowNormsFloat.l2NormBackward(rows, n, Ops.floats(dy), yf, rnf, scale, dxf);
        close(y, Ops.doubles(yf), "y");
        close(dx, Ops.doubles(dxf), "dx");
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

    private static void close(double[] want, double[] got, String what) {
        Ops.assertCloseScaled(want, got, 2e-5, "float norm, " + what);
    }
}
