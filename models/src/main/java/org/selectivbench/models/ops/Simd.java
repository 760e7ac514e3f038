package org.selectivbench.models.ops;

/**
 * Whether the kernels use their Vector API forms ({@code jdk.incubator.vector}, on the module path only
 * when the JVM was started with {@code --add-modules jdk.incubator.vector}, as bin/selectivbench, the
 * tests and docs/cluster.md do). A vector form computes every number its scalar form does, lane by lane
 * in the same order (no sums across lanes but in {@link Loops#stripedDot}'s fixed order, which 8 lanes,
 * 4 lanes and the scalar form all keep), so results are the same bit for bit with or without it, and on
 * any machine (CI runs the comparisons with 8 lanes and with 4).
 *
 * <p>Receivers in loops. A vector op is compiled to one instruction only when C2 knows its receiver's
 * exact class (Float512Vector, say) as it parses the call. A vector carried around a loop, or made before
 * a loop and used in it, reaches the loop's calls as a merge of only the declared type, and C2 then goes
 * by the call's type profile, shared by every caller; now and then that left a kernel's vectors as
 * objects, millions allocated a step (JFR's allocation samples showed them in the timed steps of
 * Mamba, DeltaNet, GLA, the LSTM and the GRU: intermittent, and a GLA step 1.5 times slower). So in the
 * kernels a vector carried round a loop is an argument ({@code x.max(m)}, not {@code m.max(x)}), or
 * goes through memory, and constants are made inside the loop body (C2 hoists them).
 */
public final class Simd {
    private static final boolean PRESENT = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    /** -Dorg.selectivbench.simd=false turns the vector forms off, to time the two side by side. */
    private static volatile boolean enabled = PRESENT && !"false".equals(System.getProperty("org.selectivbench.simd"));

    private Simd() {
    }

    public static boolean on() {
        return enabled;
    }

    /** Turns the vector forms off or back on (tests compare the two); on needs the module. */
    public static void use(boolean on) {
        if (on && !PRESENT) {
            throw new IllegalStateException("the Vector API is not on the module path: start the JVM with"
                    + " --add-modules jdk.incubator.vector");
        }
        enabled = on;
    }
}
