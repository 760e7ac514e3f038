package org.selectivbench.models.ops;

/**
 * Plain reference of S4D's SSM as the causal convolution it is: y_t[h] = sum_{l <= t} K[h, l] u_{t-l}[h]
 * with K[h, l] = 2 Re(sum_m C'_m E_m^l), plus the start state's share 2 Re(sum_m C'_m E_m^(t+1) z0_m);
 * the end state sum_l E^l u_{T-1-l} + E^T z0. Complex powers by repeated multiplication. Returns y
 * followed by the end states [B, 2, H, M].
 */
final class ModalScanNaive {
    private ModalScanNaive() {
    }

    static double[] run(ModalScanRecurrent.Dims d, double[] u, double[] er, double[] ei, double[] cr, double[] ci,
                        double[] start) {
        int bsz = d.batch(), t = d.steps(), hh = d.channels(), mm = d.modes(), im = hh * mm;
        double[] out = new double[bsz * t * hh + bsz * 2 * im];
        for (int h = 0; h < hh; h++) {
            for (int m = 0; m < mm; m++) {
                int i = h * mm + m;
                double[] pr = new double[t + 1], pi = new double[t + 1]; // E^l
                pr[0] = 1;
                for (int l = 1; l <= t; l++) {
                    pr[l] = pr[l - 1] * er[i] - pi[l - 1] * ei[i];
                    pi[l] = pr[l - 1] * ei[i] + pi[l - 1] * er[i];
                }
                for (int b = 0; b < bsz; b++) {
                    double z0r = start == null ? 0 : start[b * 2 * im + i];
                    double z0i = start == null ? 0 : start[b * 2 * im + im + i];
                    for (int s = 0; s < t; s++) {
                        double y = 0;
                        for (int l = 0; l <= s; l++) { // Re(C' E^l) u
                            y += 2 * (cr[i] * pr[l] - ci[i] * pi[l]) * u[(b * t + s - l) * hh + h];
                        }
                        double wr = pr[s + 1] * z0r - pi[s + 1] * z0i, wi = pr[s + 1] * z0i + pi[s + 1] * z0r;
                        y += 2 * (cr[i] * wr - ci[i] * wi);
                        out[(b * t + s) * hh + h] += y;
                    }
                    double endR = pr[t] * z0r - pi[t] * z0i, endI = pr[t] * z0i + pi[t] * z0r;
                    for (int l = 0; l < t; l++) {
                        double uv = u[(b * t + t - 1 - l) * hh + h];
                        endR += pr[l] * uv;
                        endI += pi[l] * uv;
                    }
                    out[bsz * t * hh + b * 2 * im + i] = endR;
                    out[bsz * t * hh + b * 2 * im + im + i] = endI;
                }
            }
        }
        return out;
    }
}
