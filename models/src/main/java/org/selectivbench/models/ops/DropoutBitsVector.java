package org.selectivbench.models.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DropoutBits#fill} a vector of draws at a time: a draw per long lane, whose two 32-bit halves
 * (low first, little-endian) are the int lanes of its two entries. Loaded only when {@link Simd#on};
 * returns the first entry it did not do.
 */
final class DropoutBitsVector {
    private static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private DropoutBitsVector() {
    }

    static int fill(float[] m, int n, long start, int below, float value) {
        if (I.length() != 2 * L.length() || F.length() != I.length()) {
            return 0;
        }
        int step = I.length(), whole = n - n % step;
        long[] offsets = new long[L.length()];
        for (int j = 0; j < offsets.length; j++) {
            offsets[j] = j * DropoutBits.GAMMA;
        }
        LongVector lanes = LongVector.fromArray(L, offsets, 0);
        FloatVector zero = FloatVector.zero(F), kept = FloatVector.broadcast(F, value);
        for (int i = 0; i < whole; i += step) {
            LongVector z = lanes.add(start + (long) (i / 2) * DropoutBits.GAMMA);
            z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 30)).mul(DropoutBits.M1);
            z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 27)).mul(DropoutBits.M2);
            z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 31));
            IntVector fields = ((IntVector) z.reinterpretShape(I, 0)).lanewise(VectorOperators.LSHR, 8);
            zero.blend(kept, fields.compare(VectorOperators.LT, below).cast(F)).intoArray(m, i);
        }
        return whole;
    }
}
