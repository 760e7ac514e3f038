package org.selectivbench.models.ops;

/**
 * The plain reference of the gated delta rule, written from its definition with explicit matrices:
 * S = alpha_t S, then per sub-step S = (I - beta k k^T) S + beta k v^T, o_t = S^T q_t. Same layouts as
 * {@link DeltaRuleRecurrent}. Returns o followed by the end states [B, H, K, V].
 */
final class DeltaRuleNaive {
    private DeltaRuleNaive() {
    }

    static double[] run(DeltaRuleRecurrent.Dims d, double[] q, double[] k, double[] v, double[] beta, double[] a,
                        double[] start) {
        int bsz = d.batch(), t = d.steps(), hh = d.heads(), kd = d.k(), vd = d.v(), nh = d.subSteps();
        double[] out = new double[bsz * t * hh * vd + bsz * hh * kd * vd];
        for (int b = 0; b < bsz; b++) {
            for (int h = 0; h < hh; h++) {
                double[][] s = new double[kd][vd];
                if (start != null) {
                    for (int x = 0; x < kd; x++) {
                        for (int y = 0; y < vd; y++) {
                            s[x][y] = start[((b * hh + h) * kd + x) * vd + y];
                        }
                    }
                }
                for (int step = 0; step < t; step++) {
                    int row = b * t + step;
                    double alpha = a == null ? 1 : Math.exp(a[row * hh + h]);
                    for (int x = 0; x < kd; x++) {
                        for (int y = 0; y < vd; y++) {
                            s[x][y] *= alpha;
                        }
                    }
                    for (int j = 0; j < nh; j++) {
                        double[] kk = new double[kd];
                        double[] vv = new double[vd];
                        for (int x = 0; x < kd; x++) {
                            kk[x] = k[((row * nh + j) * hh + h) * kd + x];
                        }
                        for (int y = 0; y < vd; y++) {
                            vv[y] = v[((row * nh + j) * hh + h) * vd + y];
                        }
                        double bt = beta[(row * nh + j) * hh + h];
                        double[][] next = new double[kd][vd];
                        for (int x = 0; x < kd; x++) {
                            for (int y = 0; y < vd; y++) {
                                double proj = 0; // ((I - beta k k^T) S)[x][y]
                                for (int z = 0; z < kd; z++) {
                                    proj += ((x == z ? 1 : 0) - bt * kk[x] * kk[z]) * s[z][y];
                                }
                                next[x][y] = proj + bt * kk[x] * vv[y];
                            }
                        }
                        s = next;
                    }
                    for (int y = 0; y < vd; y++) {
                        double o = 0;
                        for (int x = 0; x < kd; x++) {
                            o += s[x][y] * q[(row * hh + h) * kd + x];
                        }
                        out[(row * hh + h) * vd + y] = o;
                    }
                }
                int base = bsz * t * hh * vd;
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
