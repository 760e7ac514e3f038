package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise passes of {@link RowNormsFloat} over one row in explicit vectors: rows of 8 to 64
 * entries are too short for C2's loop vectorizer, which wants several unrolled vectors' worth of
 * iterations. Each lane does the scalar form's operations in its order, so the numbers are the same; the
 * row's sums stay in the scalar form's order. Loaded only when {@link Simd#on}. Each method returns the
 * first column it did not do, for the scalar form to finish.
 */
final class RowNormsFloatVector {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private RowNormsFloatVector() {
    }

    private static int whole(int n) {
        return n - n % F.length();
    }

    /** LayerNorm: xhat = (x - mean) rs, y = xhat g + b. */
    static int layerNorm(float[] x, int o, float mean, float rs, float[] g, float[] b, float[] xhat, float[] y, int n) {
        int end = whole(n);
        for (int j = 0; j < end; j += F.length()) {
            FloatVector h = FloatVector.fromArray(F, x, o + j).sub(mean).mul(rs);
            h.intoArray(xhat, o + j);
            h.mul(FloatVector.fromArray(F, g, j)).add(FloatVector.fromArray(F, b, j)).intoArray(y, o + j);
        }
        return end;
    }

    /** LayerNorm's dx = rstd (dy g - m1 - xhat m2). */
    static int layerNormBackward(float[] dy, int o, float[] g, float[] xhat, float m1, float m2, float rstd,
                                 float[] dx, int n) {
        int end = whole(n);
        for (int j = 0; j < end; j += F.length()) {
            FloatVector d = FloatVector.fromArray(F, dy, o + j).mul(FloatVector.fromArray(F, g, j)).sub(m1)
                    .sub(FloatVector.fromArray(F, xhat, o + j).mul(m2));
            d.mul(rstd).intoArray(dx, o + j);
        }
        return end;
    }

    /** RMSNorm: xhat = x ri, y = xhat w, times gate sig when gated. */
    static int rmsNorm(float[] x, int o, float ri, float[] w, float[] gate, float[] sig, float[] xhat, float[] y,
                       int n) {
        int end = whole(n);
        for (int j = 0; j < end; j += F.length()) {
            FloatVector h = FloatVector.fromArray(F, x, o + j).mul(ri);
            h.intoArray(xhat, o + j);
            FloatVector out = h.mul(FloatVector.fromArray(F, w, j));
            if (gate != null) {
                out = out.mul(FloatVector.fromArray(F, gate, o + j).mul(FloatVector.fromArray(F, sig, o + j)));
            }
            out.intoArray(y, o + j);
        }
        return end;
    }

    /** RMSNorm's dx = ri (dn w - xhat m), dn = dy gate sig (dy without a gate); dgate = dy xhat w s (1 + z (1 - s)). */
    static int rmsNormBackward(float[] dy, int o, float[] w, float[] gate, float[] sig, float[] xhat, float m, float ri,
                               float[] dx, float[] dgate, int n) {
        int end = whole(n);
        for (int j = 0; j < end; j += F.length()) {
            FloatVector dyv = FloatVector.fromArray(F, dy, o + j), wv = FloatVector.fromArray(F, w, j);
            FloatVector xh = FloatVector.fromArray(F, xhat, o + j);
            if (gate == null) {
                dyv.mul(wv).sub(xh.mul(m)).mul(ri).intoArray(dx, o + j);
                continue;
            }
            FloatVector z = FloatVector.fromArray(F, gate, o + j), s = FloatVector.fromArray(F, sig, o + j);
            dyv.mul(z).mul(s).mul(wv).sub(xh.mul(m)).mul(ri).intoArray(dx, o + j);
            FloatVector one = FloatVector.broadcast(F, 1f);
            dyv.mul(xh).mul(wv).mul(s).mul(one.add(z.mul(one.sub(s)))).intoArray(dgate, o + j);
        }
        return end;
    }

    /** y = x f. */
    static int scale(float[] x, int o, float f, float[] y, int n) {
        int end = whole(n);
        for (int j = 0; j < end; j += F.length()) {
            FloatVector.fromArray(F, x, o + j).mul(f).intoArray(y, o + j);
        }
        return end;
    }

    /** The L2 norm's dx = (dy - y dot) rn. */
    static int l2NormBackward(float[] dy, float[] y, int o, float dot, float rn, float[] dx, int n) {
        int end = whole(n);
        for (int j = 0; j < end; j += F.length()) {
            FloatVector.fromArray(F, dy, o + j).sub(FloatVector.fromArray(F, y, o + j).mul(dot)).mul(rn)
                    .intoArray(dx, o + j);
        }
        return end;
    }
}
