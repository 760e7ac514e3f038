package org.selectivbench.models.ops;

/**
 * Whether the kernels use their Vector API forms ({@code jdk.incubator.vector}, on the module path only
 * when the JVM was started with {@code --add-modules jdk.incubator.vector}, as bin/selectivbench, the
 * tests and docs/cluster.md do). A vector form computes every number its scalar form does, lane by lane
 * in the same order (no sums across lanes but in {@link Loops#stripedDot}'s fixed order, which 8 lanes,
 * 4 lanes and the scalar form all keep), so results are the same bit for bit with or without it, and on
 * any machine (CI runs the comparisons with 8 lanes and with 4).
 *
 * <p>Vectors as objects. A vector op is compiled to one instruction only when C2 knows its receiver's exact
 * class (Float512Vector, say) as it parses the call; where it does not, it guards the call with the class
 * the call's type profile saw and an uncommon trap. C2 stops placing such traps in a compilation once the
 * class-check traps recorded by the methods it has inlined add up to {@code -XX:PerMethodTrapLimit}
 * (default 100), and makes real calls instead, on vectors as heap objects: millions allocated a step, a
 * step 2-3 times slower. The JDK's {@code VectorOperators.ImplCache.find} is inlined once per vector op,
 * dozens of times into one kernel, and in some JVMs had recorded 4 such traps from its first calls (timing
 * decides), so kernels compiled after that point kept their vectors as objects: Mamba2's backward block in
 * about half of fresh JVMs, the LSTM's gates in every one. The same happens once the methods it inlines
 * have been deoptimized more than half of {@code -XX:PerMethodRecompilationCutoff} (default 400) times
 * in the JVM's life: that count of the same JDK methods grows with every kernel compiled and recompiled,
 * and passed 201 during the warm-up of two of three bench-shape Mamba2 JVMs (its backward block then
 * 2.4-2.9 s a step against 1.2-1.6). Two defences: the launchers, the tests and the executors run with
 * {@link #OPTIONS} ({@link #trapLimit} and {@link #recompilationCutoff} read them; {@code bench} prints
 * them), and in the
 * kernels a vector carried round a loop is an argument ({@code x.max(m)}, not {@code m.max(x)}) or goes
 * through memory, and constants are made inside the loop body (C2 hoists them), so that receivers have
 * exact classes and need no guard.
 *
 * <p>One species per element type: every kernel uses the preferred one. A transpose in tiles of 8 floats
 * beside the kernels' 16 showed the JDK's shared vector methods two classes, and every kernel's vectors
 * became heap objects: Mamba2 466 ms a step with 7.6 GB of heap, its matmuls alone 155 ms against 8
 * (docs/engine-log.md).
 *
 * <p>No method of this package takes or returns a vector (SimdTest checks every class). Whether C2
 * inlines one of our methods depends on the JVM: on the order in which methods were compiled and on the
 * size of the code a method already has of its own. A helper it does not inline takes and returns its
 * vectors as heap objects: a GLA step 1.3-1.5 times slower with 20-70 MB of heap a step, in about one
 * fresh JVM in ten. So a helper takes floats and arrays and makes its vectors itself, or is written out
 * where it is used. With no method of this package inlined at all
 * ({@code -XX:CompileCommand=dontinline,org.selectivbench.models.ops.*::*}), every model's step still
 * allocates what it does normally (docs/engine-log.md).
 */
public final class Simd {
    private static final boolean PRESENT = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    /** -Dorg.selectivbench.simd=false turns the vector forms off, to time the two side by side. */
    private static volatile boolean enabled = PRESENT && !"false".equals(System.getProperty("org.selectivbench.simd"));

    /**
     * The {@code -XX:PerMethodTrapLimit} the kernels want (bin/selectivbench, the tests and the executors
     * set it): far above what the vector ops' inlined JDK methods add up to in one compilation.
     */
    public static final long TRAP_LIMIT = 100_000;
    /** The {@code -XX:PerMethodRecompilationCutoff} the kernels want, likewise. */
    public static final long RECOMPILATION_CUTOFF = 100_000;
    /** Both, as JVM options. */
    public static final java.util.List<String> OPTIONS = java.util.List.of("-XX:PerMethodTrapLimit=" + TRAP_LIMIT,
            "-XX:PerMethodRecompilationCutoff=" + RECOMPILATION_CUTOFF);

    private Simd() {
    }

    /** This JVM's {@code -XX:PerMethodTrapLimit}, or -1 where it cannot be read (not HotSpot). */
    public static long trapLimit() {
        return vmOption("PerMethodTrapLimit");
    }

    /** This JVM's {@code -XX:PerMethodRecompilationCutoff}, or -1 where it cannot be read. */
    public static long recompilationCutoff() {
        return vmOption("PerMethodRecompilationCutoff");
    }

    private static long vmOption(String name) {
        try {
            return Long.parseLong(java.lang.management.ManagementFactory
                    .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class).getVMOption(name).getValue());
        } catch (RuntimeException | LinkageError e) {
            return -1;
        }
    }

    /** The vector forms' state for a log line: off, or on with the two options, and a warning when one is low. */
    public static String describe() {
        return describe(on(), trapLimit(), recompilationCutoff());
    }

    static String describe(boolean on, long limit, long cutoff) {
        if (!on) {
            return "off";
        }
        if (limit < 0 || cutoff < 0) {
            return "on";
        }
        String low = limit < TRAP_LIMIT || cutoff < RECOMPILATION_CUTOFF ? " (below " + String.join(" ", OPTIONS)
                + ": kernels compiled late may keep their vectors as objects, 2-3 times slower)" : "";
        return "on, -XX:PerMethodTrapLimit=" + limit + " -XX:PerMethodRecompilationCutoff=" + cutoff + low;
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
