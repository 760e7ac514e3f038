package org.selectivbench.models.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise passes of {@link RowNormsFloat} over one row in explicit vectors: rows of 8 to 64
 * entries are too short for C2's loop vectorizer, which wants several unrolled vectors' worth of
 * iterations. Each lane does the scalar form's operations in its order, so the numbers are the same; the
 * row's sums stay in the scalar form's order. Loaded only when {@link Simd#on}. Each method returns the
 * first column it did not do, for the scalar form to finish. The per-vector helpers take a row's factors as
 * floats, not vectors: one that C2 does not inline in some JVM would take them as heap objects ({@link Simd}).
 */
final class RowNormsFloatVector {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Half a vector: rows this long go two to a vector. */
    static final int HALF = F.length() / 2;
    private static final VectorMask<Float> SECOND = VectorMask.fromLong(F, ((1L << F.length()) - 1) >>> HALF << HALF);

    private RowNormsFloatVector() {
    }

    private static int whole(int n) {
        return n - n % F.length();
    }

    /**
     * {@link RowNormsFloat}'s row factor (float) (1 / sqrt(ss / n + eps)) of each of a block's sums of
     * squares into out from at, its square roots and divisions a vector of doubles at a time: one of each
     * per row, waited on in turn, took half of RMSNorm's forward pass at rows of 8. {@code wide}: scratch
     * as long as ss.
     */
    static void rmsInverses(float[] ss, int n, double eps, float[] out, int at, double[] wide) {
        for (int l = 0; l < ss.length; l++) {
            wide[l] = ss[l] / n; // a float division, as the scalar form's
        }
        for (int l = 0; l < ss.length; l += D.length()) {
            DoubleVector.broadcast(D, 1).div(DoubleVector.fromArray(D, wide, l).add(eps).sqrt()).intoArray(wide, l);
        }
        for (int l = 0; l < ss.length; l++) {
            out[at + l] = (float) wide[l];
        }
    }

    /**
     * {@link RowNormsFloat}'s L2 factor (float) (scale / sqrt(ss + eps)) of each of a block's sums of squares
     * into out from at, a vector of doubles at a time, as {@link #rmsInverses}.
     */
    static void l2Factors(float[] ss, double scale, double eps, float[] out, int at, double[] wide) {
        for (int l = 0; l < ss.length; l++) {
            wide[l] = ss[l];
        }
        for (int l = 0; l < ss.length; l += D.length()) {
            DoubleVector.broadcast(D, scale).div(DoubleVector.fromArray(D, wide, l).add(eps).sqrt()).intoArray(wide, l);
        }
        for (int l = 0; l < ss.length; l++) {
            out[at + l] = (float) wide[l];
        }
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

    /**
     * {@link #layerNorm} on rows [r0, r1) of n (whole vectors), mean[r - r0] and rstd[r] row r's: the loop over
     * rows here, as {@link #rmsNormRows}.
     */
    static void layerNormRows(float[] x, int r0, int r1, int n, float[] mean, float[] rstd, float[] g, float[] b,
                              float[] xhat, float[] y) {
        for (int r = r0; r < r1; r++) {
            float m = mean[r - r0], rs = rstd[r];
            for (int j = 0, at = r * n; j < n; j += F.length(), at += F.length()) {
                FloatVector h = FloatVector.fromArray(F, x, at).sub(m).mul(rs);
                h.intoArray(xhat, at);
                h.mul(FloatVector.fromArray(F, g, j)).add(FloatVector.fromArray(F, b, j)).intoArray(y, at);
            }
        }
    }

    /** {@link #layerNormBackward} on rows [r0, r1) of n (whole vectors), m1[r - r0], m2[r - r0] and rstd[r] row r's. */
    static void layerNormBackwardRows(float[] dy, int r0, int r1, int n, float[] g, float[] xhat, float[] m1, float[] m2,
                                      float[] rstd, float[] dx) {
        for (int r = r0; r < r1; r++) {
            float a = m1[r - r0], c = m2[r - r0], rs = rstd[r];
            for (int j = 0, at = r * n; j < n; j += F.length(), at += F.length()) {
                FloatVector d = FloatVector.fromArray(F, dy, at).mul(FloatVector.fromArray(F, g, j)).sub(a)
                        .sub(FloatVector.fromArray(F, xhat, at).mul(c));
                d.mul(rs).intoArray(dx, at);
            }
        }
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
            rmsNorm(x, o + j, ri, ri, w, j, gate, sig, xhat, y);
        }
        return end;
    }

    /** Whether rows of n are whole vectors, so that {@link #layerNormRows} takes them. */
    static boolean vectors(int n) {
        return n % F.length() == 0;
    }

    /** Whether rows of n fill one vector each, so that the row loops run here ({@link #rmsNormRows}). */
    static boolean fills(int n) {
        return n == F.length();
    }

    /**
     * {@link #rmsNorm} on rows [r0, r1) of one vector each, rinv[r] row r's factor: the loop over rows here,
     * not a call a row (a row's call and its loops' set-up cost more than its vector's work: GLA's heads of 16).
     */
    static void rmsNormRows(float[] x, int r0, int r1, float[] rinv, float[] w, float[] gate, float[] sig, float[] xhat,
                            float[] y) {
        FloatVector wv = FloatVector.fromArray(F, w, 0);
        for (int r = r0, at = r0 * F.length(); r < r1; r++, at += F.length()) {
            FloatVector h = FloatVector.fromArray(F, x, at).mul(rinv[r]);
            h.intoArray(xhat, at);
            FloatVector out = h.mul(wv);
            if (gate != null) {
                out = out.mul(FloatVector.fromArray(F, gate, at).mul(FloatVector.fromArray(F, sig, at)));
            }
            out.intoArray(y, at);
        }
    }

    /** {@link #rmsNormBackward} on rows [r0, r1) of one vector each, m[r - r0] and rinv[r] row r's, as {@link #rmsNormRows}. */
    static void rmsNormBackwardRows(float[] dy, int r0, int r1, float[] w, float[] gate, float[] sig, float[] xhat,
                                    float[] m, float[] rinv, float[] dx, float[] dgate) {
        FloatVector wv = FloatVector.fromArray(F, w, 0), one = FloatVector.broadcast(F, 1f);
        for (int r = r0, at = r0 * F.length(); r < r1; r++, at += F.length()) {
            float mr = m[r - r0], ri = rinv[r];
            FloatVector dyv = FloatVector.fromArray(F, dy, at), xh = FloatVector.fromArray(F, xhat, at);
            if (gate == null) {
                dyv.mul(wv).sub(xh.mul(mr)).mul(ri).intoArray(dx, at);
                continue;
            }
            FloatVector z = FloatVector.fromArray(F, gate, at), s = FloatVector.fromArray(F, sig, at);
            dyv.mul(z).mul(s).mul(wv).sub(xh.mul(mr)).mul(ri).intoArray(dx, at);
            dyv.mul(xh).mul(wv).mul(s).mul(one.add(z.mul(one.sub(s)))).intoArray(dgate, at);
        }
    }

    /** {@link #rmsNorm} on two rows of half a vector at o, ri0 the first's and ri1 the second's; w2 is w twice. */
    static void rmsNormPair(float[] x, int o, float ri0, float ri1, float[] w2, float[] gate, float[] sig,
                            float[] xhat, float[] y) {
        rmsNorm(x, o, ri0, ri1, w2, 0, gate, sig, xhat, y);
    }

    /** One vector at {@code at}: its lower half's rows by ri0, its upper half's by ri1. */
    private static void rmsNorm(float[] x, int at, float ri0, float ri1, float[] w, int wAt, float[] gate,
                                float[] sig, float[] xhat, float[] y) {
        FloatVector ri = FloatVector.broadcast(F, ri0).blend(ri1, SECOND);
        FloatVector h = FloatVector.fromArray(F, x, at).mul(ri);
        h.intoArray(xhat, at);
        FloatVector out = h.mul(FloatVector.fromArray(F, w, wAt));
        if (gate != null) {
            out = out.mul(FloatVector.fromArray(F, gate, at).mul(FloatVector.fromArray(F, sig, at)));
        }
        out.intoArray(y, at);
    }

    /** RMSNorm's dx = ri (dn w - xhat m), dn = dy gate sig (dy without a gate); dgate = dy xhat w s (1 + z (1 - s)). */
    static int rmsNormBackward(float[] dy, int o, float[] w, float[] gate, float[] sig, float[] xhat, float m, float ri,
                               float[] dx, float[] dgate, int n) {
        int end = whole(n);
        for (int j = 0; j < end; j += F.length()) {
            rmsNormBackward(dy, o + j, w, j, gate, sig, xhat, m, m, ri, ri, dx, dgate);
        }
        return end;
    }

    /** {@link #rmsNormBackward} on two rows of half a vector at o, each with its m and ri; w2 is w twice. */
    static void rmsNormBackwardPair(float[] dy, int o, float[] w2, float[] gate, float[] sig, float[] xhat, float m0,
                                    float m1, float ri0, float ri1, float[] dx, float[] dgate) {
        rmsNormBackward(dy, o, w2, 0, gate, sig, xhat, m0, m1, ri0, ri1, dx, dgate);
    }

    /** One vector at {@code at}: its lower half's rows with m0 and ri0, its upper half's with m1 and ri1. */
    private static void rmsNormBackward(float[] dy, int at, float[] w, int wAt, float[] gate, float[] sig,
                                        float[] xhat, float m0, float m1, float ri0, float ri1, float[] dx,
                                        float[] dgate) {
        FloatVector m = FloatVector.broadcast(F, m0).blend(m1, SECOND);
        FloatVector ri = FloatVector.broadcast(F, ri0).blend(ri1, SECOND);
        FloatVector dyv = FloatVector.fromArray(F, dy, at), wv = FloatVector.fromArray(F, w, wAt);
        FloatVector xh = FloatVector.fromArray(F, xhat, at);
        if (gate == null) {
            dyv.mul(wv).sub(xh.mul(m)).mul(ri).intoArray(dx, at);
            return;
        }
        FloatVector z = FloatVector.fromArray(F, gate, at), s = FloatVector.fromArray(F, sig, at);
        dyv.mul(z).mul(s).mul(wv).sub(xh.mul(m)).mul(ri).intoArray(dx, at);
        FloatVector one = FloatVector.broadcast(F, 1f);
        dyv.mul(xh).mul(wv).mul(s).mul(one.add(z.mul(one.sub(s)))).intoArray(dgate, at);
    }

    /** y = x f. */
    static int scale(float[] x, int o, float f, float[] y, int n) {
        int end = whole(n);
        for (int j = 0; j < end; j += F.length()) {
            FloatVector.fromArray(F, x, o + j).mul(f).intoArray(y, o + j);
        }
        return end;
    }

    /** {@link #scale} on two rows of half a vector at o, by f0 and f1. */
    static void scalePair(float[] x, int o, float f0, float f1, float[] y) {
        // built before the multiply: built inside it, RMSNorm's pairs ran twice as slow (docs/engine-log.md)
        FloatVector f = FloatVector.broadcast(F, f0).blend(f1, SECOND);
        FloatVector.fromArray(F, x, o).mul(f).intoArray(y, o);
    }

    /** The L2 norm's dx = (dy - y dot) rn. */
    static int l2NormBackward(float[] dy, float[] y, int o, float dot, float rn, float[] dx, int n) {
        int end = whole(n);
        for (int j = 0; j < end; j += F.length()) {
            l2NormBackward(dy, y, o + j, dot, dot, rn, rn, dx);
        }
        return end;
    }

    /** {@link #l2NormBackward} on two rows of half a vector at o, each with its dot and rn. */
    static void l2NormBackwardPair(float[] dy, float[] y, int o, float dot0, float dot1, float rn0, float rn1,
                                   float[] dx) {
        l2NormBackward(dy, y, o, dot0, dot1, rn0, rn1, dx);
    }

    /** One vector at {@code at}: its lower half's rows with dot0 and rn0, its upper half's with dot1 and rn1. */
    private static void l2NormBackward(float[] dy, float[] y, int at, float dot0, float dot1, float rn0, float rn1,
                                       float[] dx) {
        FloatVector dot = FloatVector.broadcast(F, dot0).blend(dot1, SECOND);
        FloatVector rn = FloatVector.broadcast(F, rn0).blend(rn1, SECOND);
        FloatVector.fromArray(F, dy, at).sub(FloatVector.fromArray(F, y, at).mul(dot)).mul(rn).intoArray(dx, at);
    }
}
