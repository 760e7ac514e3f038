package org.selectivbench.models.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The cores a run was given, applied to everything that computes: ND4J's op threads and the Java
 * kernels ({@link Parallel}); BLAS runs one thread (measured below). Waiting threads should sleep, not
 * spin: OpenMP's wait policy is read from the environment when the native library loads
 * (OMP_WAIT_POLICY=PASSIVE; the launcher and the documented spark-submit command set it), the kernels'
 * workers park.
 */
public final class Threads {
    private Threads() {
    }

    public static void use(int cores) {
        int n = Math.max(1, cores);
        Nd4j.getEnvironment().setMaxMasterThreads(n);
        Nd4j.getEnvironment().setMaxThreads(n);
        // OpenBLAS keeps its own pool, which spins in sched_yield between calls whatever OpenMP's wait
        // policy: with two BLAS threads a bench-shape step spent 520-550 ms in the kernel and was no
        // faster (Gated DeltaNet 1,162 ms against 1,179 with one, Transformer 1,728 against 1,683;
        // docs/models.md). The matrices of a step are small enough that one BLAS thread per run wins.
        Nd4j.factory().blas().setMaxThreads(1);
        Parallel.setThreads(n);
    }

    /** The settings in force, for benchmark and run records. */
    public static String describe() {
        // ND4J's ops share their work among its master threads (maxThreads does not move in M2.1)
        return String.format(Locale.ROOT, "ND4J ops %d, BLAS %d, Java kernels %d; OMP_NUM_THREADS=%s,"
                        + " OMP_WAIT_POLICY=%s; %d cores visible (%s)",
                Nd4j.getEnvironment().maxMasterThreads(),
                Nd4j.factory().blas().getMaxThreads(), Parallel.threads(), env("OMP_NUM_THREADS"),
                env("OMP_WAIT_POLICY"), Runtime.getRuntime().availableProcessors(), processor());
    }

    /**
     * The processor's model name from /proc/cpuinfo, else the JVM's architecture: the same build's ratios
     * moved by up to 1.7 times between an AMD EPYC and an Intel Xeon host (docs/engine-log.md), so figures
     * name the machine they came from.
     */
    static String processor() {
        try {
            return modelName(Files.readAllLines(Path.of("/proc/cpuinfo")));
        } catch (IOException | RuntimeException e) {
            return modelName(List.of());
        }
    }

    /** The first "model name" of cpuinfo lines, or the JVM's architecture when there is none. */
    static String modelName(List<String> cpuinfo) {
        for (String line : cpuinfo) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals("model name")) {
                return line.substring(colon + 1).trim();
            }
        }
        return System.getProperty("os.arch") + " processor";
    }

    private static String env(String name) {
        String v = System.getenv(name);
        return v == null ? "unset" : v;
    }
}
