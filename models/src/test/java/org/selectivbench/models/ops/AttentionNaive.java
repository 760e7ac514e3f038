package org.selectivbench.models.ops;

/**
 * Plain reference of causal softmax attention: per sequence, the full score matrix q k^T * scale with
 * -infinity above the diagonal, softmax by rows with Math.exp, then times v. Layouts as
 * {@link AttentionRows}; returns o [G, T, hd].
 */
final class AttentionNaive {
    private AttentionNaive() {
    }

    static double[] run(AttentionRows.Dims d, double[] q, double[] k, double[] v, double scale) {
        int t = d.steps(), hd = d.width();
        double[] o = new double[q.length];
        for (int g = 0; g < d.sequences(); g++) {
            int base = g * t * hd;
            for (int i = 0; i < t; i++) {
                double[] s = new double[t];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < t; j++) {
                    double dot = 0;
                    for (int c = 0; c < hd; c++) {
                        dot += q[base + i * hd + c] * k[base + j * hd + c];
                    }
                    s[j] = j <= i ? dot * scale : Double.NEGATIVE_INFINITY;
                    max = Math.max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j < t; j++) {
                    s[j] = Math.exp(s[j] - max);
                    sum += s[j];
                }
                for (int c = 0; c < hd; c++) {
                    double acc = 0;
                    for (int j = 0; j < t; j++) {
                        acc += s[j] / sum * v[base + j * hd + c];
                    }
                    o[base + i * hd + c] = acc;
                }
            }
        }
        return o;
    }
}
