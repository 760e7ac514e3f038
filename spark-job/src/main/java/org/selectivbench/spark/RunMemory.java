package org.selectivbench.spark;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.network.util.JavaUtils;
import org.selectivbench.data.DatasetSpec;
import org.selectivbench.data.Split;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import org.selectivbench.models.ops.Kernels;
import org.selectivbench.models.train.MemoryEstimate;

/**
 * Refuses, at plan, grid points whose runs cannot fit the memory a run has ({@code sweep.memory-per-run}):
 * each run's need is {@link MemoryEstimate}d from its model, its training settings and the longest
 * sequences its data will hold ({@link org.selectivbench.data.TaskSpec#stepsBound}), without ND4J.
 */
final class RunMemory {
    private RunMemory() {
    }

    /** Grid points the refusal lists; it counts the rest. */
    private static final int LISTED = 12;

    static final String MAXBYTES = "org.bytedeco.javacpp.maxbytes";

    /** What a run may use, and where that figure comes from. */
    record Budget(long bytes, String source) {
    }

    static boolean isBudget(String value) {
        return value.equals("auto") || parse(value).isPresent();
    }

    private static Optional<Long> parse(String size) {
        try {
            long b = JavaUtils.byteStringAsBytes(size.trim());
            return b > 0 ? Optional.of(b) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * The budget of one run: {@code sweep.memory-per-run} when given; for auto, JavaCPP's cap on native
     * memory (-D{@value #MAXBYTES}, else the heap's maximum, as JavaCPP does) over the runs that share a
     * JVM. Empty when unknown: auto on GPU executors, whose memory the driver cannot see.
     */
    static Optional<Budget> budget(Config sb, SparkConf conf) {
        String given = Keys.MEMORY_PER_RUN.read(sb.getConfig("sweep"), "sweep");
        if (!given.equals("auto")) {
            return Optional.of(new Budget(parse(given).orElseThrow(), "sweep.memory-per-run = " + given));
        }
        int cores = Keys.CORES_PER_RUN.read(sb.getConfig("sweep"), "sweep");
        String master = conf.get("spark.master", sb.getString("spark.master"));
        if (ClusterResources.local(master)) {
            String cap = System.getProperty(MAXBYTES);
            long bytes = cap != null ? parse(cap).orElse(Runtime.getRuntime().maxMemory())
                    : Runtime.getRuntime().maxMemory();
            int runs = Math.max(1, localCores(master) / cores);
            return Optional.of(new Budget(bytes / runs, "auto: " + (cap != null ? "-D" + MAXBYTES + "=" + cap
                    : "this JVM's maximum heap, JavaCPP's default cap") + " shared by " + runs + " concurrent run(s)"
                    + " of " + master + " at sweep.cores-per-run = " + cores));
        }
        if (conf.getDouble("spark.executor.resource.gpu.amount", 0) > 0) {
            return Optional.empty();
        }
        Matcher m = Pattern.compile("-D" + Pattern.quote(MAXBYTES) + "=(\\S+)")
                .matcher(conf.get("spark.executor.extraJavaOptions", ""));
        String cap = m.find() ? m.group(1) : null;
        long bytes = cap != null ? parse(cap).orElse(0L) : JavaUtils.byteStringAsBytes(conf.get("spark.executor.memory",
                "1g"));
        int executorCores = conf.getInt("spark.executor.cores", 1);
        int runs = Math.max(1, executorCores / cores);
        return Optional.of(new Budget(bytes / runs, "auto: " + (cap != null ? "executors' -D" + MAXBYTES + "=" + cap
                : "spark.executor.memory (JavaCPP's default cap is the heap)") + " shared by " + runs
                + " concurrent run(s) per executor (spark.executor.cores = " + executorCores + ", sweep.cores-per-run = "
                + cores + ")"));
    }

    private static int localCores(String master) {
        Matcher m = Pattern.compile("local\\[(\\d+|\\*)(,\\d+)?]").matcher(master);
        if (m.matches() && !m.group(1).equals("*")) {
            return Integer.parseInt(m.group(1));
        }
        return master.equals("local") ? 1 : Runtime.getRuntime().availableProcessors();
    }

    /** Sequence bounds by task, elements, split and delay: a sweep's runs share a few. */
    private static final Map<List<Object>, Integer> STEPS = new java.util.concurrent.ConcurrentHashMap<>();

    /** The estimate of one run: training (with its evaluations), or a task-4 evaluation alone. */
    static MemoryEstimate.Estimate estimate(RunSpec r, Kernels form) {
        ModelConfig m = ModelConfig.fromConfig(ConfigFactory.parseString(r.modelConf()));
        TrainConfig t = TrainConfig.fromConfig(ConfigFactory.parseString(r.trainConf()));
        DatasetSpec ds = r.dataset();
        int elements = ds.data().elements();
        double delay = ds.splits().stream().filter(s -> s.name().equals(r.testSplit())).findFirst()
                .orElseThrow(() -> new IllegalStateException("run " + r.runId() + " reports on split " + r.testSplit()
                        + ", which its dataset does not have")).delay();
        int trainSteps = STEPS.computeIfAbsent(List.of(ds.task(), elements, Split.TRAIN, ds.task().gapMax()),
                k -> ds.task().stepsBound(elements, Split.TRAIN, ds.task().gapMax()));
        int evalSteps = STEPS.computeIfAbsent(List.of(ds.task(), elements, Split.TEST, delay),
                k -> ds.task().stepsBound(elements, Split.TEST, delay));
        MemoryEstimate.Estimate e = MemoryEstimate.of(m, t, form, ds.grammar().vocab(), ds.grammar().numStates(),
                trainSteps, evalSteps);
        return r.evaluationOnly() ? new MemoryEstimate.Estimate(e.parameters(), e.parameterBytes(), 0,
                e.evaluationBytes()) : e;
    }

    /** The form the runs' sequence ops take: train.kernels, auto resolved by whether executors have GPUs. */
    static Kernels form(RunSpec r, SparkConf conf) {
        String k = TrainConfig.fromConfig(ConfigFactory.parseString(r.trainConf())).kernels();
        Kernels form = Kernels.parse("train.kernels", k);
        if (form != Kernels.AUTO) {
            return form;
        }
        return conf.getDouble("spark.executor.resource.gpu.amount", 0) > 0 ? Kernels.ND4J : Kernels.JAVA;
    }

    /**
     * Throws, naming every grid point that cannot fit and what each needs, when a run's estimate exceeds
     * the budget; returns the largest estimate otherwise (empty for an empty plan).
     */
    static Optional<String> check(SweepPlan plan, Config sb, SparkConf conf) {
        Optional<Budget> budget = budget(sb, conf);
        Map<String, MemoryEstimate.Estimate> over = new LinkedHashMap<>();
        String largest = null;
        long most = -1;
        List<RunSpec> runs = new ArrayList<>(plan.trainingRuns());
        runs.addAll(plan.evaluationRuns());
        for (RunSpec r : runs) {
            MemoryEstimate.Estimate e = estimate(r, form(r, conf));
            String point = String.format(Locale.ROOT, "%s %s (setting %s, grammar %s, width %d, layers %d)", r.task(),
                    r.model(), r.setting(), r.dataset().grammar().label(), r.width(), r.layers());
            if (e.totalBytes() > most) {
                most = e.totalBytes();
                largest = point + ": " + e.describe();
            }
            if (budget.isPresent() && e.totalBytes() > budget.get().bytes()) {
                over.putIfAbsent(point, e);
            }
        }
        if (!over.isEmpty()) {
            StringBuilder msg = new StringBuilder(String.format(Locale.ROOT, "sweep.memory-per-run: %d grid point(s)"
                    + " need more native memory than a run has, %s (%s):", over.size(),
                    MemoryEstimate.bytes(budget.get().bytes()), budget.get().source()));
            over.entrySet().stream().limit(LISTED).forEach(p -> msg.append("\n  ").append(p.getKey()).append(": ")
                    .append(p.getValue().describe()));
            if (over.size() > LISTED) {
                msg.append("\n  ... and ").append(over.size() - LISTED).append(" more");
            }
            msg.append("\nLower train.batch-size or train.micro-batch-size (training) or train.eval-rows and"
                    + " train.eval-batch-size (evaluation), run fewer runs at once (sweep.cores-per-run), or raise the"
                    + " cap (-D" + MAXBYTES + ", SELECTIVBENCH_NATIVE for bin/selectivbench) or sweep.memory-per-run");
            throw new IllegalArgumentException(msg.toString());
        }
        return Optional.ofNullable(largest).map(l -> "largest run: " + l + budget.map(b -> ", of "
                + MemoryEstimate.bytes(b.bytes()) + " per run (" + b.source() + ")").orElse(", not checked: GPU"
                + " executors' memory is unknown to the driver; give sweep.memory-per-run to check it"));
    }
}
