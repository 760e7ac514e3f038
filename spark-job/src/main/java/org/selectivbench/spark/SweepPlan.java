package org.selectivbench.spark;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.selectivbench.data.DatasetSpec;

/**
 * Expands the grid into runs: every (task setting, grammar, seed) point of {@link DatasetPlan}
 * times models, widths, layers, learning rates and warmups. Tasks that train nothing (task 4,
 * {@code trains-with = task2}) become evaluation runs of the matching training run, which the plan
 * includes even when the grid does not name that task.
 */
public final class SweepPlan {
    /** Bump when a change in training or evaluation makes old results incomparable. */
    static final int RUN_FORMAT = 1;

    private final DatasetPlan datasets;
    private final Map<String, RunSpec> training = new LinkedHashMap<>();
    private final Map<String, RunSpec> evaluation = new LinkedHashMap<>();

    public SweepPlan(Config sb) {
        this.datasets = new DatasetPlan(sb);
        Config grid = sb.getConfig("grid");
        List<String> models = Keys.GRID_MODELS.read(grid, "grid");
        List<Integer> layers = Keys.GRID_LAYERS.read(grid, "grid");
        Map<Integer, Integer> transformerWidths = Keys.transformerWidths(grid);
        List<Double> lrs = Keys.GRID_LRS.read(grid, "grid");
        List<Integer> warmups = Keys.GRID_WARMUPS.read(grid, "grid");
        for (DatasetPlan.Point p : datasets.points()) {
            Config taskConf = sb.getConfig("tasks." + p.task());
            String trainsWith = p.dataset().task().trainsWith();
            List<Integer> widths = Keys.forTask(grid, trainsWith.isEmpty() ? p.task() : trainsWith, Keys.GRID_WIDTHS);
            for (String model : models) {
                for (int gridWidth : widths) {
                    // the released code trained the transformer at other widths where its head size is odd
                    int width = model.equals("transformer") ? transformerWidths.getOrDefault(gridWidth, gridWidth)
                            : gridWidth;
                    if (width == 0) {
                        continue;
                    }
                    for (int depth : layers) {
                        for (double lr : lrs) {
                            for (int warmup : warmups) {
                                if (trainsWith.isEmpty()) {
                                    RunSpec r = run(sb, p.task(), p.setting(), p.seed(), p.dataset(), taskConf, model,
                                            width, depth, lr, warmup, p.dataset().primaryTest().name(), "");
                                    training.putIfAbsent(r.runId(), r);
                                } else {
                                    addEvaluations(sb, p, trainsWith, model, width, depth, lr, warmup);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private void addEvaluations(Config sb, DatasetPlan.Point p, String trainsWith, String model, int width,
                                int depth, double lr, int warmup) {
        Config trainTaskConf = sb.getConfig("tasks." + trainsWith);
        DatasetSpec trainerData = p.trainer();
        RunSpec trainer = run(sb, trainsWith, p.setting(), p.seed(), trainerData, trainTaskConf, model, width, depth,
                lr, warmup, trainerData.primaryTest().name(), "");
        training.putIfAbsent(trainer.runId(), trainer);
        Config taskConf = sb.getConfig("tasks." + p.task());
        for (DatasetSpec.SplitSpec split : p.dataset().splits()) {
            if (split.name().equals("train")) {
                continue;
            }
            RunSpec r = run(sb, p.task(), p.setting(), p.seed(), p.dataset(), taskConf, model, width, depth, lr,
                    warmup, split.name(), trainer.runId());
            evaluation.putIfAbsent(r.runId(), r);
        }
    }

    private static RunSpec run(Config sb, String task, String setting, long seed, DatasetSpec dataset,
                               Config taskConf, String model, int width, int depth, double lr, int warmup,
                               String testSplit, String trainsRun) {
        Config modelConf = ConfigFactory.parseMap(Map.of("name", model, "width", width, "layers", depth,
                "d-state", taskConf.getInt("d-state"))).withFallback(sb.getConfig("model"));
        Config trainConf = ConfigFactory.parseMap(Map.of("lr", lr, "warmup", warmup, "seed", seed))
                .withFallback(sb.getConfig("train"));
        String canonical = "v" + RUN_FORMAT + "|" + dataset.key() + "|" + testSplit + "|" + trainsRun + "|"
                + canonical(modelConf) + "|" + canonical(trainConf);
        String id = String.format(Locale.ROOT, "%s-%s-s%d-%s", model, task, seed, DatasetSpec.sha256(canonical).substring(0, 12));
        return new RunSpec(id, task, setting, seed, model, width, depth, lr, warmup, dataset, testSplit,
                trainsRun, json(modelConf), json(trainConf));
    }

    /** Sorted key=value lines: the same settings give the same text whatever their order in files. */
    static String canonical(Config c) {
        TreeMap<String, String> sorted = new TreeMap<>();
        for (Map.Entry<String, ConfigValue> e : c.entrySet()) {
            sorted.put(e.getKey(), e.getValue().render(ConfigRenderOptions.concise()));
        }
        return sorted.toString();
    }

    static String json(Config c) {
        return c.root().render(ConfigRenderOptions.concise());
    }

    public DatasetPlan datasets() {
        return datasets;
    }

    /** Training runs, in grid order. */
    public List<RunSpec> trainingRuns() {
        return new ArrayList<>(training.values());
    }

    /** Evaluation-only runs (task 4), in grid order; each names its training run. */
    public List<RunSpec> evaluationRuns() {
        return new ArrayList<>(evaluation.values());
    }

    public int size() {
        return training.size() + evaluation.size();
    }
}
