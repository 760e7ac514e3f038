package org.selectivbench.models.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.selectivbench.data.EncodedBatch;
import org.selectivbench.models.FusedModel;
import org.selectivbench.models.SequenceModel;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import org.selectivbench.models.graph.GraphModel;
import org.selectivbench.models.modules.Nd;
import org.selectivbench.models.ops.Threads;

/**
 * Times training steps (forward, backward, clip, Adam) and evaluation steps (softmax outputs, dropout off) per
 * model and engine at one shape, on a random batch: the engine with explicit backward passes ("fused", what runs)
 * and the SameDiff reference graph ("graph"), side by side in one process. Reports the median step time, the
 * process's CPU time per step (all threads: with one thread it hardly depends on what else the machine runs), the
 * share of it spent in the kernel (system time: page faults of fresh memory), resident memory after the first
 * timed training step and after the last, before any evaluation (flat when a step allocates nothing new), the
 * heap taken per timed training step (all threads), the lowest and highest median of {@link #WINDOW} timed steps
 * in a row (far apart when the host's speed changed during the run: a shared host slowed a Mamba2 run's steps
 * from 51 to 66-70 ms for some seconds and back, docs/engine-log.md), and the thread settings. For the engine
 * also the step's matmuls alone (those its layers make: projections, output layer, their gradients; not the
 * products inside Mamba2's chunked scan or the LSTM's and GRU's recurrences, which those kernels make
 * themselves), replayed on random arrays of the same shapes ({@link MatmulFloor}): no step can be faster than
 * that at these threads. Defaults: batch 64, 400 steps, width 64, 2 layers, vocab 41, 1,601 classes.
 */
public final class ModelBench {
    private ModelBench() {
    }

    /**
     * @param warmup        untimed steps first
     * @param warmupSeconds the untimed steps go on for at least this long: C2 still compiled kernels 40
     *                      steps (a second) into a small model's run, and its thread's time showed in the step
     * @param microBatch    examples per piece of a training step's gradient and of an evaluation (0 = whole)
     * @param evalOnly      time evaluation steps only (task 4's long test sequences train nothing)
     * @param evalRows      the most rows one evaluation run takes, by model (train.eval-rows)
     * @param engines       "fused" and/or "graph"
     */
    public record Shape(int batch, int steps, int width, int layers, int vocab, int classes, int warmup,
                        int warmupSeconds, int reps, int microBatch, boolean evalOnly, Map<String, Long> evalRows,
                        List<String> engines) {
        public static Shape defaults() {
            return new Shape(64, 400, 64, 2, 41, 1601, 3, 0, 3, 0, false, Map.of(), List.of("fused"));
        }
    }

    /** Figures of one model on one engine; resident memory of the whole process (JVM heap included). */
    public record Figures(String model, String engine, long parameters, double trainStepMs, double trainCpuMs,
                          double evalStepMs, double systemShare, double residentFirstGb, double residentLastGb,
                          double matmulMs, double matmulGflop, double heapMbPerStep, double windowLowMs,
                          double windowHighMs, String error) {
        static Figures failed(String model, String engine, String error) {
            return new Figures(model, engine, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, error);
        }

        String line() {
            return error != null ? String.format(Locale.ROOT, "%-20s %-6s %s", model, engine, error)
                    : String.format(Locale.ROOT, "%-20s %-6s %10.1f %10.1f %10.1f %6.1f%% %10d %7.2f %7.2f %8.1f %7.3f %8.1f %13s",
                    model, engine, trainStepMs, trainCpuMs, evalStepMs, 100 * systemShare, parameters,
                    residentFirstGb, residentLastGb, matmulMs, matmulGflop, heapMbPerStep,
                    Double.isNaN(windowLowMs) ? "-" : String.format(Locale.ROOT, "%.1f-%.1f", windowLowMs, windowHighMs));
        }
    }

    static final String HEADER = String.format(Locale.ROOT, "%-20s %-6s %10s %10s %10s %7s %10s %7s %7s %8s %7s %8s %13s",
            "model", "engine", "train ms", "train cpu", "eval ms", "sys", "params", "rss1 GB", "rssN GB", "mm ms",
            "mm GF", "heap MB", "windows ms");

    /** Timed training steps per window of {@link #windows}. */
    static final int WINDOW = 20;

    /**
     * The lowest and highest median of {@code window} consecutive steps (the last partial window left out), or
     * NaNs with fewer than two windows: a steady host gives two close figures, a host that slowed part of the
     * run two far apart, where one median of all steps would only shift.
     */
    static double[] windows(double[] steps, int window) {
        if (window < 1 || steps.length < 2 * window) {
            return new double[] {Double.NaN, Double.NaN};
        }
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (int from = 0; from + window <= steps.length; from += window) {
            double m = median(Arrays.copyOfRange(steps, from, from + window));
            lo = Math.min(lo, m);
            hi = Math.max(hi, m);
        }
        return new double[] {lo, hi};
    }

    /** Benchmarks each model on each engine and writes the lines to {@code out} (after every model). */
    public static List<Figures> run(List<String> models, ModelConfig base, Shape s, Path out) throws IOException {
        List<Figures> all = new ArrayList<>();
        EncodedBatch batch = randomBatch(s);
        TrainConfig tc = new TrainConfig(s.batch(), 1e-3, 10, 0, 1.0, 0, s.batch(), 1, 0, s.microBatch(), s.evalRows(), "always", "auto");
        System.out.println(header(base, s));
        System.out.println(HEADER);
        for (String name : models) {
            for (String engine : s.engines()) {
                Figures f;
                try {
                    f = one(name, engine, base, s, batch, tc);
                } catch (RuntimeException | OutOfMemoryError e) { // memory cap, op failure: the others still run
                    f = Figures.failed(name, engine, "failed: " + e);
                }
                System.out.println(f.line());
                all.add(f);
                write(all, base, s, out);
            }
        }
        return all;
    }

    private static String header(ModelConfig base, Shape s) {
        return String.format(Locale.ROOT, "# shape: batch %d, steps %d, width %d, layers %d, vocab %d, classes %d;"
                        + " median of %d timed steps after %d untimed%s%s%s, windows: the lowest and highest median of %d"
                        + " in a row; evaluation runs of at most %s rows%n"
                        + "# model: d-state %d, expand %d, conv %d, householder-steps %d, chunk-size %d, dropout %.2f%n"
                        + "# backend %s, sequence ops in their %s form (vector forms %s); heap pre-touched: %s; threads: %s",
                s.batch(), s.steps(), s.width(), s.layers(), s.vocab(),
                s.classes(), s.reps(), s.warmup(), s.warmupSeconds() > 0 ? " (and " + s.warmupSeconds() + " s at least)" : "",
                s.evalOnly() ? ", evaluation only" : "",
                s.microBatch() > 0 ? ", micro-batches of " + s.microBatch() : "", WINDOW, s.evalRows(), base.dState(),
                base.expand(), base.convSize(), base.householderSteps(), base.chunkSize(), base.dropout(),
                Nd4j.getBackend().getClass().getSimpleName(),
                org.selectivbench.models.ops.Kernels.current().name().toLowerCase(Locale.ROOT),
                org.selectivbench.models.ops.Simd.describe(), preTouched(), Threads.describe());
    }

    /**
     * Whether this JVM touches its heap's pages as it commits them (-XX:+AlwaysPreTouch, which the launcher
     * gives bench): else a fresh JVM's first pass through a large young generation faults its pages in
     * during the timed steps (3-26% system time in a GLA run, docs/models.md).
     */
    static String preTouched() {
        try {
            return "true".equals(java.lang.management.ManagementFactory
                    .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .getVMOption("AlwaysPreTouch").getValue()) ? "yes" : "no (-XX:+AlwaysPreTouch)";
        } catch (RuntimeException | LinkageError e) {
            return "unknown";
        }
    }

    private static void write(List<Figures> all, ModelConfig base, Shape s, Path out) throws IOException {
        StringBuilder sb = new StringBuilder(header(base, s)).append('\n').append(HEADER).append('\n');
        for (Figures f : all) {
            sb.append(f.line()).append('\n');
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(out, sb.toString());
    }

    private static Figures one(String name, String engine, ModelConfig base, Shape s, EncodedBatch batch,
                               TrainConfig tc) {
        ModelConfig c = new ModelConfig(name, s.layers(), s.width(), 0, base.dState(), base.expand(),
                base.convSize(), base.householderSteps(), base.allowNegativeEigenvalues(), base.forgetFloor(),
                base.mlpExpansion(), base.dropout(), base.chunkSize());
        SequenceModel model = switch (engine) {
            case "fused" -> new FusedModel(c, s.vocab(), s.classes(), 1, DataType.FLOAT);
            case "graph" -> new GraphModel(c, s.vocab(), s.classes(), 1, DataType.FLOAT);
            default -> throw new IllegalArgumentException("bench engine " + engine + ": fused or graph");
        };
        try {
            return time(model, engine, s, batch, tc);
        } finally {
            model.releaseArrays();
        }
    }

    private static Figures time(SequenceModel model, String engine, Shape s, EncodedBatch batch, TrainConfig tc) {
        Optim optim = new Optim(tc);
        Runnable trainStep = () -> {
            model.lossAndGradients(batch, true, s.microBatch());
            Optim.clip(model.params(), 1.0);
            optim.step(model.params(), 1e-3);
        };
        long rows = tc.evalRows(model.config().name());
        Runnable evalStep = () -> {
            for (EncodedBatch part : SequenceModel.pieces(batch, s.microBatch())) {
                model.probabilities(part, rows);
            }
        };
        double[] train = new double[s.evalOnly() ? 0 : s.reps()];
        double[] eval = new double[s.reps()];
        long[] cpu = new long[2];
        double first = Double.NaN;
        // the first steps build graphs, size workspaces and let the JIT compile the kernels: not counted
        warmUp(s.evalOnly() ? evalStep : trainStep, s);
        long heap0 = heapAllocated();
        for (int r = 0; r < train.length; r++) {
            long[] c0 = cpuTicks();
            long t0 = System.nanoTime();
            trainStep.run();
            train[r] = (System.nanoTime() - t0) / 1e6;
            long[] c1 = cpuTicks();
            cpu[0] += c1[0] - c0[0];
            cpu[1] += c1[1] - c0[1];
            if (r == 0) {
                first = Pointer.physicalBytes() / 1e9;
            }
        }
        // after the training steps: evaluation's own buffers are not the training step's growth
        double last = Pointer.physicalBytes() / 1e9;
        double heapMb = heap0 >= 0 && train.length > 0 ? (heapAllocated() - heap0) / 1e6 / train.length : Double.NaN;
        if (!s.evalOnly()) {
            for (int r = 0; r < s.warmup(); r++) {
                evalStep.run();
            }
        }
        for (int r = 0; r < eval.length; r++) {
            long t0 = System.nanoTime();
            evalStep.run();
            eval[r] = (System.nanoTime() - t0) / 1e6;
            if (s.evalOnly() && r == 0) {
                first = Pointer.physicalBytes() / 1e9;
            }
        }
        double share = cpu[0] + cpu[1] > 0 ? (double) cpu[1] / (cpu[0] + cpu[1]) : Double.NaN;
        double cpuMs = train.length > 0 ? (cpu[0] + cpu[1]) * 1000.0 / TICKS_PER_SECOND / s.reps() : Double.NaN;
        double rssLast = s.evalOnly() ? Pointer.physicalBytes() / 1e9 : last;
        double[] mm = {Double.NaN, Double.NaN}, windows = windows(train, WINDOW);
        if (model instanceof FusedModel && train.length > 0) {
            List<Nd.Gemm> gemms = Nd.recordGemms(() -> model.lossAndGradients(batch, true, s.microBatch()));
            mm = new double[] {MatmulFloor.replayMs(gemms, s.warmup(), s.reps()), MatmulFloor.gflop(gemms)};
        }
        return new Figures(model.config().name(), engine, model.parameterCount(), median(train), cpuMs,
                median(eval), share, first, rssLast, mm[0], mm[1], heapMb, windows[0], windows[1], null);
    }

    /** The untimed steps: at least {@link Shape#warmup} of them, and for at least {@link Shape#warmupSeconds}. */
    private static void warmUp(Runnable step, Shape s) {
        long until = System.nanoTime() + s.warmupSeconds() * 1_000_000_000L;
        for (int r = 0; r < s.warmup() || System.nanoTime() < until; r++) {
            step.run();
        }
    }

    /**
     * Bytes the JVM's threads have taken from the heap so far (all live threads: the kernels' pool
     * too), or -1 where the JVM does not count them. Over the timed training steps it shows what the arena
     * leaves to the heap and vectors kept as objects (docs/engine-log.md: gigabytes a step when C2 boxes them).
     */
    static long heapAllocated() {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        if (!(threads instanceof com.sun.management.ThreadMXBean t) || !t.isThreadAllocatedMemoryEnabled()) {
            return -1;
        }
        long sum = 0;
        for (long bytes : t.getThreadAllocatedBytes(threads.getAllThreadIds())) {
            sum += Math.max(0, bytes);
        }
        return sum;
    }

    /** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
    static final int TICKS_PER_SECOND = 100;

    /** User and system CPU time of this process in clock ticks (Linux /proc), or zeros elsewhere. */
    static long[] cpuTicks() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
        } catch (IOException | RuntimeException e) {
            return new long[2];
        }
    }

    static double median(double[] runs) {
        if (runs.length == 0) {
            return Double.NaN;
        }
        double[] r = runs.clone();
        Arrays.sort(r);
        return r[r.length / 2];
    }

    public static EncodedBatch randomBatch(Shape s) {
        Random r = new Random(7);
        int n = s.batch() * s.steps();
        float[] in = new float[n * s.vocab()];
        int[] targets = new int[n];
        float[] mask = new float[n];
        for (int i = 0; i < n; i++) {
            in[i * s.vocab() + r.nextInt(s.vocab())] = 1f;
            targets[i] = r.nextInt(s.classes());
            mask[i] = 1f;
        }
        int[][] starts = new int[s.batch()][];
        int[][] cls = new int[s.batch()][];
        int[] lengths = new int[s.batch()];
        for (int b = 0; b < s.batch(); b++) {
            lengths[b] = s.steps();
            starts[b] = new int[s.steps()];
            cls[b] = new int[s.steps()];
            for (int t = 0; t < s.steps(); t++) {
                starts[b][t] = t;
                cls[b][t] = targets[b * s.steps() + t];
            }
        }
        return new EncodedBatch(s.batch(), s.steps(), s.vocab(), in, targets, mask, starts, lengths, cls);
    }
}
