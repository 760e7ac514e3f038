package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link PointwiseFloat}'s erfc passes in explicit vectors (C2 left the scalar loop, with its division
 * and select, unvectorized). Each lane does the scalar form's operations in its order, so the numbers are
 * the same. Loaded only when {@link Simd#on}; each method returns the first index it did not do.
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
}
