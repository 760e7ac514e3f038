package org.selectivbench.models.ops;

/**
 * The entries of a dropout mask from a counter-based generator: draw i is splitmix64's finalizer
 * (Stafford's mix 13, java.util.SplittableRandom's) applied to start + i * gamma, and gives entries 2i
 * and 2i + 1 from its low and high 32-bit halves, each shifted to its top 24 bits: an entry is kept
 * (value) when that 24-bit field, read as a uniform on [0, 1) in steps of 2^-24 (a Java nextFloat's),
 * is below {@code below} / 2^24, and 0 otherwise. The draws do not depend on one another, so
 * {@link DropoutBitsVector} runs eight at a time with the same numbers.
 */
public final class DropoutBits {
    /** splitmix64's increment, the golden ratio's fraction in 64 bits. */
    static final long GAMMA = 0x9E3779B97F4A7C15L;
    static final long M1 = 0xBF58476D1CE4E5B9L;
    static final long M2 = 0x94D049BB133111EBL;

    private DropoutBits() {
    }

    /** m[0, n) from draws start, start + gamma, ...; {@code below} in [0, 2^24]. */
    public static void fill(float[] m, int n, long start, int below, float value) {
        int i = Simd.on() ? DropoutBitsVector.fill(m, n, start, below, value) : 0;
        for (; i < n; i += 2) {
            long z = mix(start + (i / 2) * GAMMA);
            m[i] = value * ((((int) z >>> 8) - below) >>> 31);
            if (i + 1 < n) {
                m[i + 1] = value * ((((int) (z >>> 32) >>> 8) - below) >>> 31);
            }
        }
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * M1;
        z = (z ^ (z >>> 27)) * M2;
        return z ^ (z >>> 31);
    }
}
