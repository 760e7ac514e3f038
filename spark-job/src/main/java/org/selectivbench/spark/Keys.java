package org.selectivbench.spark;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.selectivbench.data.DataSpec;
import org.selectivbench.data.GrammarSpec;
import org.selectivbench.data.TaskSpec;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import org.selectivbench.settings.Block;
import org.selectivbench.settings.Check;
import org.selectivbench.settings.Kind;
import org.selectivbench.settings.Setting;

/**
 * Every setting under {@code selectivbench}, declared once: the blocks of the other modules (grammar,
 * data, tasks, model, train) and this module's (output-root, spark, sweep, grid, report, bench).
 * {@link #checkAll} checks a whole config against them; the key tables of the README and of
 * docs/settings.md are printed from them ({@code selectivbench keys}).
 */
final class Keys {
    private Keys() {
    }

    static final Setting<String> OUTPUT_ROOT = Setting.of("output-root", Kind.STRING, "out",
            Check.matches("(?s).*\\S.*", "a path"), "root of everything a command writes (any Hadoop path)");

    static final Block TOP = new Block("output-root", "Where results go", List.of(OUTPUT_ROOT));

    static final Setting<String> MASTER = Setting.of("master", Kind.STRING, "local[*]",
            Check.matches("(?s).*\\S.*", "a Spark master URL"), "used only when Spark was given no master");
    static final Setting<String> APP_NAME = Setting.of("app-name", Kind.STRING, "selectivbench",
            Check.matches("(?s).*\\S.*", "a name"), "Spark application name, unless Spark was given one");
    static final Setting<Integer> PROGRESS_INTERVAL = Setting.of("progress-interval", Kind.INT, 5,
            Check.between(1, 86_400), "seconds between progress lines");
    static final Block SPARK = new Block("spark", "The Spark application", List.of(MASTER, APP_NAME,
            PROGRESS_INTERVAL));

    static final Setting<String> SWEEP_ID = Setting.of("id", Kind.STRING, "",
            Check.matches("[A-Za-z0-9._-]*", "letters, digits, '.', '_' and '-'"),
            "results go to output-root/sweeps/ID; empty: the UTC date and a hash of the settings that define"
                    + " results (a rerun on the same day resumes)");
    static final Setting<Integer> CORES_PER_RUN = Setting.of("cores-per-run", Kind.INT, 1, Check.between(1, 1024),
            "cores one training run takes (spark.task.cpus unless Spark was given it) and ND4J's threads");
    static final Setting<String> MEMORY_PER_RUN = Setting.of("memory-per-run", Kind.STRING, "auto",
            Check.of(RunMemory::isBudget, "auto or a size such as 4g"),
            "native memory (ND4J arrays) one run may use; a grid point whose estimate exceeds it is refused at"
                    + " plan. auto: JavaCPP's maxbytes over the runs that share it (local mode, CPU executors);"
                    + " not checked on GPU executors unless given (docs/models.md)");
    static final Block SWEEP = new Block("sweep", "A sweep's identity and scheduling", List.of(SWEEP_ID,
            CORES_PER_RUN, MEMORY_PER_RUN));

    static final Setting<List<String>> GRID_TASKS = Setting.of("tasks", Kind.listOf(Kind.STRING),
            List.of("task1", "task2", "task3", "task4"), Check.nonEmptyEach(Check.matches("[A-Za-z0-9_-]+", "a task name")),
            "tasks of the sweep (task 4 also trains the task-2 runs it evaluates)");
    static final Setting<List<Long>> GRID_SEEDS = Setting.of("seeds", Kind.listOf(Kind.LONG), List.of(1L),
            Check.nonEmptyEach(Check.any()), "run seeds: each fixes a grammar, its data and the model init")
            .owns("train.seed");
    static final Setting<List<Config>> GRID_GRAMMARS = Setting.of("grammars", Kind.listOf(Kind.OBJECT),
            List.of(com.typesafe.config.ConfigFactory.empty()), Check.nonEmptyEach(Check.any()),
            "grammars of the sweep, each overriding keys of the grammar block");
    static final Setting<Config> GRID_SETTINGS = Setting.of("settings", Kind.OBJECT,
            com.typesafe.config.ConfigFactory.empty(), Check.any(),
            "per task, named settings overriding its keys, e.g. task2 = [{name = paper}, {name = nmax50, gap-max = 5.0}]");
    static final Setting<List<String>> GRID_MODELS = Setting.of("models", Kind.listOf(Kind.STRING),
            List.of("mamba", "mamba2", "gla", "delta_net", "gated_delta_net", "gated_delta_product", "transformer"),
            Check.nonEmptyEach(like(ModelConfig.SETTINGS, "name")), "models of the sweep").owns("model.name");
    static final Setting<List<Integer>> GRID_WIDTHS = Setting.of("widths", Kind.listOf(Kind.INT), List.of(256),
            Check.nonEmptyEach(like(ModelConfig.SETTINGS, "width")), "model widths").owns("model.width");
    static final Setting<List<Integer>> GRID_LAYERS = Setting.of("layers", Kind.listOf(Kind.INT), List.of(8),
            Check.nonEmptyEach(like(ModelConfig.SETTINGS, "layers")), "mixer layers").owns("model.layers");
    static final Setting<List<Double>> GRID_LRS = Setting.of("learning-rates", Kind.listOf(Kind.DOUBLE),
            List.of(1e-3), Check.nonEmptyEach(like(TrainConfig.SETTINGS, "lr")), "peak learning rates")
            .owns("train.lr");
    static final Setting<List<Integer>> GRID_WARMUPS = Setting.of("warmups", Kind.listOf(Kind.INT), List.of(1000),
            Check.nonEmptyEach(like(TrainConfig.SETTINGS, "warmup")), "warmup updates").owns("train.warmup");
    static final Setting<Config> GRID_BY_TASK = Setting.of("by-task", Kind.OBJECT,
            com.typesafe.config.ConfigFactory.empty(), Check.any(),
            "per task, grammars and widths that replace the grid's for it, e.g. task1 { grammars = [...],"
                    + " widths = [...] } (a task that evaluates another's models, task 4, follows that task)");
    static final Setting<Config> GRID_TRANSFORMER_WIDTHS = Setting.of("transformer-widths", Kind.OBJECT,
            com.typesafe.config.ConfigFactory.empty(), Check.any(),
            "the width the transformer trains at in place of a grid width, 0 to leave it out, e.g. { 648 = 768,"
                    + " 960 = 0, 1296 = 1280 } as the released code (its head size there would be odd)");
    static final Block GRID = new Block("grid", "The runs of a sweep: every combination of these", List.of(GRID_TASKS,
            GRID_SEEDS, GRID_GRAMMARS, GRID_SETTINGS, GRID_MODELS, GRID_WIDTHS, GRID_LAYERS, GRID_LRS, GRID_WARMUPS,
            GRID_BY_TASK, GRID_TRANSFORMER_WIDTHS));

    /** The grid's list of {@code key} for {@code task}: grid.by-task.TASK.key when given, else grid.key. */
    static <T> List<T> forTask(Config grid, String task, Setting<List<T>> key) {
        Config byTask = GRID_BY_TASK.read(grid, "grid");
        String path = com.typesafe.config.ConfigUtil.joinPath(task, key.key());
        return byTask.hasPath(path) ? key.check(key.kind().read(byTask.getValue(path)), "grid.by-task." + task)
                : key.read(grid, "grid");
    }

    /** grid.transformer-widths as width -> width (0: left out). */
    static Map<Integer, Integer> transformerWidths(Config grid) {
        Map<Integer, Integer> m = new java.util.TreeMap<>();
        Config c = GRID_TRANSFORMER_WIDTHS.read(grid, "grid");
        for (String k : c.root().keySet()) {
            String where = "grid.transformer-widths." + k;
            int from, to;
            try {
                from = Integer.parseInt(k);
                to = Kind.INT.read(c.getValue(com.typesafe.config.ConfigUtil.joinPath(k)));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(where + ": keys and values must be widths (integers), got " + k
                        + " = " + c.getValue(com.typesafe.config.ConfigUtil.joinPath(k)).render());
            }
            String problem = to == 0 ? null : Keys.<Integer>like(ModelConfig.SETTINGS, "width").problem(to);
            if (problem != null || to < 0) {
                throw new IllegalArgumentException(where + " = " + to + ": " + (problem != null ? problem
                        : "must be a width or 0 (left out)"));
            }
            m.put(from, to);
        }
        return m;
    }

    static final Setting<Boolean> REQUIRE_BASELINE = Setting.of("require-baseline", Kind.BOOLEAN, false, Check.any(),
            "no earlier sweep of this config to compare with is an alarm (exit 5); on for nightly sweeps");
    static final Setting<Double> ALPHA = Setting.of("alpha", Kind.DOUBLE, 0.05, Check.interval(0, false, 0.5, true),
            "error rate of the regression test over all cells (family-wise for holm, false discoveries for bh)");
    static final Setting<String> CORRECTION = Setting.of("correction", Kind.STRING, "holm",
            Check.oneOf(List.of("holm", "bh")), "multiple-testing correction: holm (Holm-Bonferroni) or bh"
                    + " (Benjamini-Hochberg)");
    static final Setting<Double> MIN_EFFECT = Setting.of("min-effect", Kind.DOUBLE, 0.02, Check.between(0, 1),
            "smallest drop in mean accuracy over paired seeds that counts as a regression");
    static final Setting<Double> TOLERANCE = Setting.of("tolerance", Kind.DOUBLE_OR_AUTO, Double.NaN,
            Check.of(t -> t.isNaN() || (t >= 0 && t <= 1), "auto or in [0, 1]"),
            "per-seed differences within this are equal; auto: the largest difference between reruns of one"
                    + " run at one code version in earlier sweeps of this config (0 on CPU, where training is"
                    + " bit-identical)");
    static final Setting<String> NOTIFY = Setting.of("notify", Kind.STRING, "", Check.any(),
            "shell command run when a sweep ends in a regression, a missing baseline or failed runs; gets the"
                    + " report on standard input and SELECTIVBENCH_STATUS, _EXIT, _SWEEP, _REPORT in its environment");
    static final Block REPORT = new Block("report", "What a sweep reports at its end: the comparison with the"
            + " previous sweep of its config and the nightly alarm (docs/results.md)", List.of(REQUIRE_BASELINE,
            ALPHA, CORRECTION, MIN_EFFECT, TOLERANCE, NOTIFY));

    static final Setting<List<String>> BENCH_MODELS = Setting.of("models", Kind.listOf(Kind.STRING),
            ModelConfig.MODELS, Check.nonEmptyEach(like(ModelConfig.SETTINGS, "name")), "models to time (--models)")
            .owns("model.name");
    static final Setting<Integer> BENCH_BATCH = Setting.of("batch", Kind.INT, 64, Check.between(1, 1_000_000),
            "examples per step (--batch)").owns("train.batch-size");
    static final Setting<Integer> BENCH_STEPS = Setting.of("steps", Kind.INT, 400, Check.between(1, 10_000_000),
            "time steps per example (--steps)");
    static final Setting<Integer> BENCH_WIDTH = Setting.of("width", Kind.INT, 64,
            Keys.<Integer>like(ModelConfig.SETTINGS, "width"), "model width (--width)").owns("model.width");
    static final Setting<Integer> BENCH_LAYERS = Setting.of("layers", Kind.INT, 2,
            Keys.<Integer>like(ModelConfig.SETTINGS, "layers"), "mixer layers (--layers)").owns("model.layers");
    static final Setting<Integer> BENCH_VOCAB = Setting.of("vocab", Kind.INT, 41,
            Keys.<Integer>like(GrammarSpec.SETTINGS, "vocab"), "input symbols (--vocab)");
    static final Setting<Integer> BENCH_CLASSES = Setting.of("classes", Kind.INT, 1601, Check.between(2, 10_000_000),
            "output classes (--classes)");
    static final Setting<Integer> BENCH_WARMUP = Setting.of("warmup", Kind.INT, 3, Check.between(0, 1000),
            "untimed steps first: graphs, workspaces and the JIT (--warmup)");
    static final Setting<Integer> BENCH_WARMUP_SECONDS = Setting.of("warmup-seconds", Kind.INT, 0,
            Check.between(0, 3600), "untimed steps go on for at least this long: the JIT compiles for seconds, whatever"
            + " a step takes (--warmup-seconds)");
    static final Setting<Integer> BENCH_REPS = Setting.of("reps", Kind.INT, 3, Check.between(1, 1000),
            "timed repetitions; the median is reported (--reps)");
    static final Setting<Integer> BENCH_MICRO_BATCH = Setting.of("micro-batch", Kind.INT, 0,
            Check.between(0, 1_000_000), "examples per piece of a step; 0: the whole batch (--micro-batch)")
            .owns("train.micro-batch-size");
    static final Setting<List<String>> BENCH_ENGINES = Setting.of("engines", Kind.listOf(Kind.STRING),
            List.of("fused"), Check.nonEmptyEach(Check.oneOf(List.of("fused", "graph"))),
            "fused (the training engine), graph (the SameDiff reference), or both side by side (--engines)");
    static final Setting<String> BENCH_OUT = Setting.of("out", Kind.STRING, "out/bench-models.txt",
            Check.matches("(?s).*\\S.*", "a file name"), "file for the figures (--out)");
    static final Block BENCH = new Block("bench", "The bench command's shape (its options override these)", List.of(
            BENCH_MODELS, BENCH_BATCH, BENCH_STEPS, BENCH_WIDTH, BENCH_LAYERS, BENCH_VOCAB, BENCH_CLASSES, BENCH_WARMUP, BENCH_WARMUP_SECONDS, BENCH_REPS,
            BENCH_MICRO_BATCH, BENCH_ENGINES, BENCH_OUT));

    /** Every block by its key under {@code selectivbench}, in the order the key tables show them. */
    static final Map<String, Block> BLOCKS = blocks();

    private static Map<String, Block> blocks() {
        Map<String, Block> m = new LinkedHashMap<>();
        m.put("grammar", GrammarSpec.SETTINGS);
        m.put("data", DataSpec.SETTINGS);
        m.put("tasks", TaskSpec.SETTINGS);
        m.put("model", ModelConfig.SETTINGS);
        m.put("train", TrainConfig.SETTINGS);
        m.put("grid", GRID);
        m.put("sweep", SWEEP);
        m.put("spark", SPARK);
        m.put("report", REPORT);
        m.put("bench", BENCH);
        return m;
    }

    /** The keys allowed directly under {@code selectivbench}. */
    static Set<String> topKeys() {
        Set<String> keys = new java.util.LinkedHashSet<>();
        keys.add(OUTPUT_ROOT.key());
        keys.addAll(BLOCKS.keySet());
        return keys;
    }

    /**
     * Checks every key of the resolved {@code selectivbench} block: no undeclared key anywhere, every
     * value of its type and within its bounds. Checks that need the whole plan (a grid's tasks exist,
     * heads divide widths) are the plan's.
     */
    static void checkAll(Config sb) {
        Block.unknownKeys(sb.root().keySet(), topKeys(), "selectivbench");
        OUTPUT_ROOT.read(sb, "selectivbench");
        for (Map.Entry<String, Block> e : BLOCKS.entrySet()) {
            String name = e.getKey();
            ConfigValue v = sb.root().get(name);
            if (v == null) {
                continue;
            }
            if (v.valueType() != ConfigValueType.OBJECT) {
                throw new IllegalArgumentException(name + " must be a block { ... }, got " + v.render());
            }
            Config block = ((ConfigObject) v).toConfig();
            if (name.equals("tasks")) {
                for (String task : block.root().keySet()) {
                    ConfigValue t = block.root().get(task);
                    if (t.valueType() != ConfigValueType.OBJECT) {
                        throw new IllegalArgumentException("tasks." + task + " must be a block { ... }");
                    }
                    TaskSpec.SETTINGS.read(((ConfigObject) t).toConfig(), "tasks." + task);
                }
            } else {
                e.getValue().read(block, name);
            }
        }
        Config grid = sb.getConfig("grid");
        List<Config> grammars = GRID_GRAMMARS.read(grid, "grid");
        for (int i = 0; i < grammars.size(); i++) {
            GrammarSpec.SETTINGS.checkKeys(grammars.get(i), "grid.grammars[" + i + "]");
        }
        Config byTask = GRID_BY_TASK.read(grid, "grid");
        for (String task : byTask.root().keySet()) {
            ConfigValue v = byTask.root().get(task);
            if (v.valueType() != ConfigValueType.OBJECT) {
                throw new IllegalArgumentException("grid.by-task." + task + " must be a block { grammars = [...],"
                        + " widths = [...] }");
            }
            Block.unknownKeys(((ConfigObject) v).keySet(), Set.of("grammars", "widths"), "grid.by-task." + task);
            List<Config> own = forTask(grid, task, GRID_GRAMMARS);
            for (int i = 0; i < own.size(); i++) {
                GrammarSpec.SETTINGS.checkKeys(own.get(i), "grid.by-task." + task + ".grammars[" + i + "]");
            }
            forTask(grid, task, GRID_WIDTHS);
        }
        transformerWidths(grid);
        Config settings = GRID_SETTINGS.read(grid, "grid");
        for (String task : settings.root().keySet()) {
            ConfigValue list = settings.root().get(task);
            if (list.valueType() != ConfigValueType.LIST) {
                throw new IllegalArgumentException("grid.settings." + task + " must be a list of settings"
                        + " [{name = ..., key = value}, ...]");
            }
            List<Config> entries = Kind.listOf(Kind.OBJECT).read(list);
            for (int i = 0; i < entries.size(); i++) {
                Set<String> allowed = new java.util.LinkedHashSet<>(TaskSpec.SETTINGS.keys());
                allowed.add("name");
                Block.unknownKeys(entries.get(i).root().keySet(), allowed, "grid.settings." + task + "[" + i + "]");
            }
        }
    }

    /**
     * Fails on a key the user set (in a preset or with --set) that {@code owners} decide instead,
     * naming the key to use; {@code allowed} are owned keys this command still takes from the user.
     */
    static void checkOwned(Config sb, List<Setting<?>> owners, String ownerBlock, Set<String> allowed) {
        for (Setting<?> owner : owners) {
            for (String owned : owner.owns()) {
                if (!allowed.contains(owned) && userSet(sb, owned)) {
                    throw new IllegalArgumentException(owned + " is set (" + where(sb, owned) + ") but " + ownerBlock
                            + "." + owner.key() + " decides it here; set " + ownerBlock + "." + owner.key()
                            + " instead");
                }
            }
        }
    }

    /** Owned keys of a sweep (and plan and train): the grid's, and each task's d-state. */
    static void checkOwnedBySweep(Config sb, Set<String> allowed) {
        checkOwned(sb, GRID.owners(), "grid", allowed);
        checkOwned(sb, List.of(TaskSpec.D_STATE), "tasks.TASK", allowed);
    }

    /** True when the value at {@code path} comes from a preset, --set or a system property, not a reference.conf. */
    static boolean userSet(Config sb, String path) {
        if (!sb.hasPath(path)) {
            return false;
        }
        ConfigOrigin origin = sb.getValue(path).origin();
        return !"reference.conf".equals(origin.resource());
    }

    private static String where(Config sb, String path) {
        ConfigOrigin o = sb.getValue(path).origin();
        return o.filename() != null ? "in " + o.filename() + (o.lineNumber() > 0 ? ":" + o.lineNumber() : "")
                : "with --set or a system property";
    }

    /** The bounds of {@code block.key}, for a setting that holds values of it (grid.widths of model.width). */
    @SuppressWarnings("unchecked")
    static <T> Check<T> like(Block block, String key) {
        return (Check<T>) block.setting(key).check();
    }

    /** Each declared setting with its full path, for the key tables. */
    static List<Map.Entry<String, Setting<?>>> all() {
        List<Map.Entry<String, Setting<?>>> out = new ArrayList<>();
        out.add(Map.entry(OUTPUT_ROOT.key(), OUTPUT_ROOT));
        for (Map.Entry<String, Block> e : BLOCKS.entrySet()) {
            for (Setting<?> s : e.getValue().settings()) {
                out.add(Map.entry(e.getValue().path() + "." + s.key(), s));
            }
        }
        return out;
    }

    /** README's table: each block and its keys. */
    static String summaryTable() {
        StringBuilder out = new StringBuilder("| block | keys |\n|---|---|\n");
        out.append("| `").append(OUTPUT_ROOT.key()).append("` | a path |\n");
        for (Map.Entry<String, Block> e : BLOCKS.entrySet()) {
            out.append("| `").append(e.getValue().path()).append("` | ");
            out.append(String.join(", ", e.getValue().keys().stream().map(k -> "`" + k + "`").toList()));
            out.append(" |\n");
        }
        return out.toString();
    }

    /** docs/settings.md: every key with its type, default, bounds and meaning. */
    static String fullTable() {
        StringBuilder out = new StringBuilder();
        out.append(row("`selectivbench`", TOP.doc(), List.of(OUTPUT_ROOT)));
        for (Block b : BLOCKS.values()) {
            out.append(row("`" + b.path() + "`", b.doc(), b.settings()));
        }
        return out.toString();
    }

    private static String row(String title, String doc, List<Setting<?>> settings) {
        StringBuilder out = new StringBuilder("\n## ").append(title).append("\n\n").append(doc).append(".\n\n");
        out.append("| key | type | default | allowed | meaning |\n|---|---|---|---|---|\n");
        for (Setting<?> s : settings) {
            String owns = s.owns().isEmpty() ? "" : "; takes the place of " + String.join(", ", s.owns().stream()
                    .map(k -> "`" + k + "`").toList());
            out.append("| `").append(s.key()).append("` | ").append(s.kind().name()).append(" | ")
                    .append(s.hasDefault() ? "`" + shown(s) + "`" : "each task sets it").append(" | ")
                    .append(s.check().text().replace("|", "\\|")).append(" | ").append(s.doc().replace("|", "\\|"))
                    .append(owns).append(" |\n");
        }
        return out.toString();
    }

    private static <T> String shown(Setting<T> s) {
        return com.typesafe.config.ConfigValueFactory.fromAnyRef(s.kind().plain(s.defaultValue()))
                .render(com.typesafe.config.ConfigRenderOptions.concise());
    }
}
