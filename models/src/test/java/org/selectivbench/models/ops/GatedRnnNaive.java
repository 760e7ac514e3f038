package org.selectivbench.models.ops;

/**
 * Plain references of the LSTM and GRU cells from their textbook definitions (Math.tanh, the input
 * projection xg given): per batch row and step, the gates from xg + h W_h, then the new c and h.
 * Returns h [B*T, d] followed by the last h [B, d] and, for the LSTM, the last c [B, d].
 */
final class GatedRnnNaive {
    private GatedRnnNaive() {
    }

    static double[] run(GatedRnnRecurrent.Dims d, double[] xg, double[] wh, double[] bn, double[] h0, double[] c0) {
        int bsz = d.batch(), t = d.steps(), hd = d.hidden(), w = d.width();
        boolean lstm = d.cell() == GatedRnnRecurrent.Cell.LSTM;
        double[] out = new double[bsz * t * hd + bsz * hd * (lstm ? 2 : 1)];
        for (int b = 0; b < bsz; b++) {
            double[] h = new double[hd], c = new double[hd];
            for (int j = 0; j < hd; j++) {
                h[j] = h0 == null ? 0 : h0[b * hd + j];
                c[j] = c0 == null ? 0 : c0[b * hd + j];
            }
            for (int s = 0; s < t; s++) {
                int row = b * t + s;
                double[] a = new double[w];
                for (int k = 0; k < w; k++) {
                    for (int j = 0; j < hd; j++) {
                        a[k] += h[j] * wh[j * w + k];
                    }
                }
                double[] next = new double[hd];
                for (int j = 0; j < hd; j++) {
                    double[] x = new double[w];
                    for (int k = 0; k < w; k++) {
                        x[k] = xg[row * w + k];
                    }
                    if (lstm) {
                        double i = sig(x[j] + a[j]), f = sig(x[hd + j] + a[hd + j]);
                        double g = Math.tanh(x[2 * hd + j] + a[2 * hd + j]), o = sig(x[3 * hd + j] + a[3 * hd + j]);
                        c[j] = f * c[j] + i * g;
                        next[j] = o * Math.tanh(c[j]);
                    } else {
                        double r = sig(x[j] + a[j]), u = sig(x[hd + j] + a[hd + j]);
                        double n = Math.tanh(x[2 * hd + j] + r * (a[2 * hd + j] + bn[j]));
                        next[j] = (1 - u) * n + u * h[j];
                    }
                }
                h = next;
                System.arraycopy(h, 0, out, row * hd, hd);
            }
            System.arraycopy(h, 0, out, bsz * t * hd + b * hd, hd);
            if (lstm) {
                System.arraycopy(c, 0, out, bsz * t * hd + bsz * hd + b * hd, hd);
            }
        }
        return out;
    }

    private static double sig(double x) {
        return 1 / (1 + Math.exp(-x));
    }
}
