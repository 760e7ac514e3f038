package org.selectivbench.models.ops;

/**
 * Plain reference of Mamba's selective scan: h[c][n] = (floor + (1 - floor) exp(dt[c] A[c][n])) h[c][n]
 * + u[c] B[n] (no floor: exp(dt A)), y[c] = sum_n h[c][n] C[n], per batch row, one step at a time.
 * Returns y followed by the end states [B, di, N].
 */
final class SelectiveScanNaive {
    private SelectiveScanNaive() {
    }

    static double[] run(SelectiveScanRecurrent.Dims d, double[] dt, double[] a, double[] u, double[] bm, double[] cm,
                        double[] start) {
        int bsz = d.batch(), t = d.steps(), di = d.channels(), n = d.states();
        double[] out = new double[bsz * t * di + bsz * di * n];
        for (int b = 0; b < bsz; b++) {
            double[][] h = new double[di][n];
            for (int c = 0; c < di; c++) {
                for (int m = 0; m < n; m++) {
                    h[c][m] = start == null ? 0 : start[(b * di + c) * n + m];
                }
            }
            for (int s = 0; s < t; s++) {
                int row = b * t + s;
                for (int c = 0; c < di; c++) {
                    double y = 0;
                    for (int m = 0; m < n; m++) {
                        double decay = Math.exp(dt[row * di + c] * a[c * n + m]);
                        if (d.floor() > 0) {
                            decay = d.floor() + (1 - d.floor()) * decay;
                        }
                        h[c][m] = decay * h[c][m] + u[row * di + c] * bm[row * n + m];
                        y += h[c][m] * cm[row * n + m];
                    }
                    out[row * di + c] = y;
                }
            }
            for (int c = 0; c < di; c++) {
                for (int m = 0; m < n; m++) {
                    out[bsz * t * di + (b * di + c) * n + m] = h[c][m];
                }
            }
        }
        return out;
    }
}
