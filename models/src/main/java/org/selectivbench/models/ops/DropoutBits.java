package org.selectivbench.models.ops;

/**
 * The bits of a host-drawn dropout mask ({@code modules.SeededMasks}): entry pair (2i, 2i + 1) comes
 * from splitmix64's mixer applied to start + i * gamma, its top two 24-bit fields, and an entry is kept
 * when its field, read as a uniform on [0, 1) in steps of 2^-24 (a Java nextFloat's), is below 1 - p.
 * The entries do not depend on one another, so there is no chain through a generator's state and no
 * branch, and whole vectors of pairs run in the Vector API ({@link VectorLoops#maskPairs}) with the
 * same bits.
 */
public final class DropoutBits {
    /** splitmix64's increment, the golden ratio's fraction in 64 bits. */
    static final long GAMMA = 0x9E3779B97F4A7C15L;
    static final long MIX1 = 0xBF58476D1CE4E5B9L;
    static final long MIX2 = 0x94D049BB133111EBL;

    private DropoutBits() {
    }

    /** n entries from {@code start}: {@code value} where kept (with probability 1 - p) and 0 elsewhere. */
    public static float[] draw(long start, int n, double p, float value) {
        int below = (int) Math.ceil((1 - p) * (1 << 24)); // k / 2^24 < 1 - p iff k < below
        float[] m = Arena.uninitialized(n); // a pass's mask: its arena's, every entry written below
        int i = Simd.on() ? VectorLoops.maskPairs(start, below, value, m, n / 2) : 0;
        for (; i < n / 2; i++) {
            long z = mix(start + i * GAMMA);
            m[2 * i] = value * (((int) (z >>> 40) - below) >>> 31);
            m[2 * i + 1] = value * (((int) (z >>> 16 & 0xFFFFFF) - below) >>> 31);
        }
        if (n % 2 == 1) {
            long z = mix(start + (long) (n / 2) * GAMMA);
            m[n - 1] = value * (((int) (z >>> 40) - below) >>> 31);
        }
        return m;
    }

    /** splitmix64's finalizer (Stafford's mix 13), as java.util.SplittableRandom's. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * MIX1;
        z = (z ^ (z >>> 27)) * MIX2;
        return z ^ (z >>> 31);
    }
}
