package org.selectivbench.models.ops;

/**
 * The Transformer's attention inputs written out per (batch row, head, step): the head vector is cut
 * out of the qkv row, normalized, then multiplied by RoPE's rotation as a full hd x hd matrix (block
 * diagonal in the pairs (i, half + i); an odd last entry on the diagonal with 1).
 */
final class QkRopeNaive {
    private QkRopeNaive() {
    }

    /** {q, k, v} [B*H, T, hd]. */
    static double[][] run(QkRope.Dims d, double[] rows, double[] wq, double[] wk, double base) {
        int b = d.batch(), t = d.steps(), h = d.heads(), hd = d.headDim(), w = h * hd;
        double[][] out = {new double[b * t * w], new double[b * t * w], new double[b * t * w]};
        for (int bi = 0; bi < b; bi++) {
            for (int hi = 0; hi < h; hi++) {
                for (int s = 0; s < t; s++) {
                    double[][] rot = rotation(hd, s, base);
                    for (int part = 0; part < 3; part++) {
                        double[] x = new double[hd];
                        for (int j = 0; j < hd; j++) {
                            x[j] = rows[(bi * t + s) * 3 * w + part * w + hi * hd + j];
                        }
                        double[] y = x;
                        if (part < 2) {
                            double[] wt = part == 0 ? wq : wk;
                            double ms = 0;
                            for (double xj : x) {
                                ms += xj * xj / hd;
                            }
                            double[] n = new double[hd];
                            for (int j = 0; j < hd; j++) {
                                n[j] = x[j] / (Math.sqrt(ms) + QkRope.EPS) * wt[j];
                            }
                            y = new double[hd];
                            for (int i = 0; i < hd; i++) {
                                for (int j = 0; j < hd; j++) {
                                    y[i] += rot[i][j] * n[j];
                                }
                            }
                        }
                        System.arraycopy(y, 0, out[part], ((bi * h + hi) * t + s) * hd, hd);
                    }
                }
            }
        }
        return out;
    }

    private static double[][] rotation(int hd, int s, double base) {
        int half = hd / 2;
        double[][] m = new double[hd][hd];
        for (int i = 0; i < half; i++) {
            double ang = s * Math.pow(base, -2.0 * i / hd), c = Math.cos(ang), sn = Math.sin(ang);
            m[i][i] = c;
            m[i][half + i] = sn;
            m[half + i][half + i] = c;
            m[half + i][i] = -sn;
        }
        if (hd % 2 == 1) {
            m[hd - 1][hd - 1] = 1;
        }
        return m;
    }
}
