package org.selectivbench.models.ops;

/**
 * Plain reference of the diagonal-decay recurrences: for every (b, h), S_t[x][y] = exp(a_t,x) S_{t-1}[x][y]
 * + k_t[x] v_t[y] and o_t[y] = sum_x S_t[x][y] q_t[x], one entry at a time. Layouts as
 * {@link DecayScanRecurrent}; returns o followed by the end states [B, H, K, V].
 */
final class DecayScanNaive {
    private DecayScanNaive() {
    }

    static double[] run(DecayScanRecurrent.Dims d, double[] q, double[] k, double[] v, double[] a, double[] start) {
        int bsz = d.batch(), t = d.steps(), hh = d.heads(), kd = d.k(), vd = d.v();
        double[] out = new double[bsz * t * hh * vd + bsz * hh * kd * vd];
        int base = bsz * t * hh * vd;
        for (int b = 0; b < bsz; b++) {
            for (int h = 0; h < hh; h++) {
                double[][] s = new double[kd][vd];
                for (int x = 0; x < kd; x++) {
                    for (int y = 0; y < vd; y++) {
                        s[x][y] = start == null ? 0 : start[((b * hh + h) * kd + x) * vd + y];
                    }
                }
                for (int step = 0; step < t; step++) {
                    int row = b * t + step;
                    for (int x = 0; x < kd; x++) {
                        double logDecay = switch (d.decay()) {
                            case NONE -> 0;
                            case HEAD -> a[row * hh + h];
                            case CHANNEL -> a[(row * hh + h) * kd + x];
                        };
                        int ki = d.sharedKeys() ? row * kd + x : (row * hh + h) * kd + x;
                        for (int y = 0; y < vd; y++) {
                            s[x][y] = Math.exp(logDecay) * s[x][y] + k[ki] * v[(row * hh + h) * vd + y];
                        }
                    }
                    for (int y = 0; y < vd; y++) {
                        double o = 0;
                        for (int x = 0; x < kd; x++) {
                            int qi = d.sharedKeys() ? row * kd + x : (row * hh + h) * kd + x;
                            o += s[x][y] * q[qi];
                        }
                        out[(row * hh + h) * vd + y] = o;
                    }
                }
                for (int x = 0; x < kd; x++) {
                    for (int y = 0; y < vd; y++) {
                        out[base + ((b * hh + h) * kd + x) * vd + y] = s[x][y];
                    }
                }
            }
        }
        return out;
    }
}
