package org.selectivbench.models.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The kernels' exponential against {@link StrictMath#exp} (fdlibm, under 1 ulp): within 2 ulp over
 * the range it computes itself, the same value outside it; and its vector form against its scalar
 * form bit for bit, with lengths that leave tails and vectors that straddle the range's ends.
 */
class ExpTest {
    private static double ulps(double got, double want) {
        return Math.abs(got - want) / Math.ulp(want);
    }

    @Test
    void withinTwoUlpOfFdlibm() {
        Random r = new Random(11);
        double worst = 0;
        for (int i = 0; i < 200_000; i++) {
            double x = i % 2 == 0 ? -20 + 22 * r.nextDouble() : Exp.LO + (Exp.HI - Exp.LO) * r.nextDouble();
            worst = Math.max(worst, ulps(Exp.exp(x), StrictMath.exp(x)));
        }
        for (double x : new double[] {0, -0.0, Exp.LO, Exp.HI, Math.log(2), -Math.log(2) / 2, 1e-300, -1e-17}) {
            worst = Math.max(worst, ulps(Exp.exp(x), StrictMath.exp(x)));
        }
        assertTrue(worst <= 2, "worst error " + worst + " ulp");
        assertEquals(1.0, Exp.exp(0));
    }

    @Test
    void outsideTheRangeItIsFdlibm() {
        for (double x : new double[] {-708.5, -745.2, -800, 709.5, 710, 1e4, Double.NaN, Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY}) {
            assertEquals(Double.doubleToRawLongBits(StrictMath.exp(x)), Double.doubleToRawLongBits(Exp.exp(x)),
                    "exp(" + x + ")");
        }
    }

    @Test
    void vectorFormIsTheScalarFormBitForBit() {
        Random r = new Random(12);
        int n = 203;
        double[] a = new double[n + 5];
        for (int i = 0; i < a.length; i++) {
            a[i] = -30 + 31 * r.nextDouble();
        }
        a[40] = Double.NaN;
        a[77] = -1e5;
        a[78] = 1e5;
        double s = 0.73;
        double[] scalar = new double[n + 3], vector = new double[n + 3];
        Assumptions.assumeTrue(Simd.on(), "the Vector API is not on the module path");
        try {
            Simd.use(false);
            Exp.expScaled(scalar, 3, a, 5, s, n);
            Simd.use(true);
            Exp.expScaled(vector, 3, a, 5, s, n);
        } finally {
            Simd.use(true);
        }
        for (int i = 0; i < n; i++) {
            assertEquals(Double.doubleToRawLongBits(Exp.exp(s * a[5 + i])), Double.doubleToRawLongBits(scalar[3 + i]));
            assertEquals(Double.doubleToRawLongBits(scalar[3 + i]), Double.doubleToRawLongBits(vector[3 + i]), "element " + i);
        }
    }
}
