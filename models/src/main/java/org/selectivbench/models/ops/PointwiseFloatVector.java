package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link PointwiseFloat}'s erfc passes and GLU in explicit vectors (C2 left the scalar loops, with their
 * division and select, or their two outputs and short rows, unvectorized). Each lane does the scalar
 * form's operations in its order, so the numbers are the same. Loaded only when {@link Simd#on}; each
 * method returns the first index, or for rows the first column, it did not do.
 */
final class PointwiseFloatVector {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private PointwiseFloatVector() {
    }

    /** t = 1 / (1 + z / 2) and the exponent max(-87, -z^2 - P0 + t P(t)), z = |y| / sqrt 2. */
    static int erfcArguments(float[] y, float[] t, float[] e, int n) {
        int whole = n - n % F.length();
        for (int i = 0; i < whole; i += F.length()) {
            FloatVector z = FloatVector.fromArray(F, y, i).abs().mul(PointwiseFloat.RSQRT2);
            FloatVector ti = z.mul(0.5f).add(1f);
            ti = FloatVector.broadcast(F, 1f).div(ti);
            ti.intoArray(t, i);
            FloatVector p = ti.mul(PointwiseFloat.P9).add(PointwiseFloat.P8);
            p = ti.mul(p).add(PointwiseFloat.P7);
            p = ti.mul(p).add(PointwiseFloat.P6);
            p = ti.mul(p).add(PointwiseFloat.P5);
            p = ti.mul(p).add(PointwiseFloat.P4);
            p = ti.mul(p).add(PointwiseFloat.P3);
            p = ti.mul(p).add(PointwiseFloat.P2);
            p = ti.mul(p).add(PointwiseFloat.P1);
            z.neg().mul(z).sub(PointwiseFloat.P0).add(ti.mul(p)).max(-PointwiseFloat.BOUND).intoArray(e, i);
        }
        return whole;
    }

    /** e = erfc(-y / sqrt 2) from tail = t e: the tail where y <= 0, 2 - tail where y > 0. */
    static int erfcFromTail(float[] y, float[] t, float[] e, int n) {
        int whole = n - n % F.length();
        for (int i = 0; i < whole; i += F.length()) {
            FloatVector tail = FloatVector.fromArray(F, t, i).mul(FloatVector.fromArray(F, e, i));
            VectorMask<Float> pos = FloatVector.fromArray(F, y, i).compare(VectorOperators.GT, 0f);
            tail.blend(FloatVector.broadcast(F, 2f).sub(tail), pos).intoArray(e, i);
        }
        return whole;
    }

    /** y [R, h] = s z1 for rows z = [z1, z2] of 2h, whole vectors of each row's columns. */
    static int glu(float[] z, float[] s, float[] y, int rows, int h) {
        int whole = h - h % F.length();
        for (int r = 0; r < rows; r++) {
            for (int j = 0, i = r * h, o = 2 * r * h; j < whole; j += F.length()) {
                FloatVector.fromArray(F, s, i + j).mul(FloatVector.fromArray(F, z, o + j)).intoArray(y, i + j);
            }
        }
        return whole;
    }

    /** dz1 = dy s and dz2 = (1 - s) s (dy z1) for rows of 2h, whole vectors of each row's columns. */
    static int gluBackward(float[] z, float[] s, float[] dy, float[] dz, int rows, int h) {
        int whole = h - h % F.length();
        for (int r = 0; r < rows; r++) {
            for (int j = 0, i = r * h, o = 2 * r * h; j < whole; j += F.length()) {
                FloatVector si = FloatVector.fromArray(F, s, i + j), di = FloatVector.fromArray(F, dy, i + j);
                di.mul(si).intoArray(dz, o + j);
                FloatVector.broadcast(F, 1f).sub(si).mul(si).mul(di.mul(FloatVector.fromArray(F, z, o + j)))
                        .intoArray(dz, o + h + j);
            }
        }
        return whole;
    }
}
