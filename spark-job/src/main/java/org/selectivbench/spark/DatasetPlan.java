package org.selectivbench.spark;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.selectivbench.data.DataSpec;
import org.selectivbench.data.DatasetSpec;
import org.selectivbench.data.GrammarSpec;
import org.selectivbench.data.TaskSpec;
import org.selectivbench.data.Tasks;

/**
 * Expands {@code selectivbench.grid} into the datasets it needs: one per (task setting, grammar,
 * seed), merged where tasks share their training data (task 4 adds test splits to task 2's).
 */
public final class DatasetPlan {
    /**
     * One (task, setting, grammar, seed) point of the grid and the dataset it reads. For a task
     * that trains nothing itself (task 4), {@code trainer} is the dataset of the task whose models it
     * evaluates, with the same setting; it has the same key, since the training settings agree.
     */
    public record Point(String task, String setting, GrammarSpec grammar, long seed, DatasetSpec dataset,
                        DatasetSpec trainer) {
    }

    private final List<Point> points = new ArrayList<>();
    private final Map<String, DatasetSpec> datasets = new LinkedHashMap<>();
    private final Map<String, Map<String, DatasetSpec.SplitSpec>> splits = new LinkedHashMap<>();

    public DatasetPlan(Config sb) {
        Config grid = sb.getConfig("grid");
        Keys.GRID.checkKeys(grid, "grid");
        DataSpec data = DataSpec.fromConfig(sb.getConfig("data"));
        List<String> tasks = Keys.GRID_TASKS.read(grid, "grid");
        List<Long> seeds = Keys.GRID_SEEDS.read(grid, "grid");
        Config settingsBlock = Keys.GRID_SETTINGS.read(grid, "grid");
        for (String s : settingsBlock.root().keySet()) {
            if (!tasks.contains(s) && !sb.getConfig("tasks").hasPath(s)) {
                throw new IllegalArgumentException("grid.settings." + s + ": no such task");
            }
        }
        for (String task : tasks) {
            for (Config setting : settings(settingsBlock, task)) {
                String name = setting.getString("name");
                Config overrides = setting.withoutPath("name");
                TaskSpec spec = Tasks.get(sb, task, overrides);
                TaskSpec trainerSpec = spec.trainsWith().isEmpty() ? spec
                        : Tasks.get(sb, spec.trainsWith(), overrides);
                // a task that evaluates another's models (task 4) takes that task's grammars
                String gridTask = spec.trainsWith().isEmpty() ? task : spec.trainsWith();
                for (Config g : Keys.forTask(grid, gridTask, Keys.GRID_GRAMMARS)) {
                    for (long seed : seeds) {
                        GrammarSpec gs = GrammarSpec.fromConfig(g.withFallback(sb.getConfig("grammar")), seed);
                        DatasetSpec ds = new DatasetSpec(gs, spec, data);
                        DatasetSpec trainer = new DatasetSpec(gs, trainerSpec, data);
                        if (!trainer.key().equals(ds.key())) {
                            throw new IllegalArgumentException("tasks." + task + " evaluates " + spec.trainsWith()
                                    + " models but their training settings differ; keep their gap and noise keys equal");
                        }
                        add(new Point(task, name, gs, seed, ds, trainer));
                    }
                }
            }
        }
    }

    private static List<Config> settings(Config block, String task) {
        if (!block.hasPath(task)) {
            return List.of(ConfigFactory.parseString("name = paper"));
        }
        List<Config> out = new ArrayList<>();
        for (ConfigObject o : block.getObjectList(task)) {
            Config c = o.toConfig();
            if (!c.hasPath("name")) {
                throw new IllegalArgumentException("grid.settings." + task + ": every setting needs a name, got "
                        + o.render());
            }
            out.add(c);
        }
        return out;
    }

    private void add(Point p) {
        points.add(p);
        for (DatasetSpec ds : List.of(p.trainer(), p.dataset())) {
            datasets.putIfAbsent(ds.key(), ds);
            Map<String, DatasetSpec.SplitSpec> s = splits.computeIfAbsent(ds.key(), k -> new LinkedHashMap<>());
            for (DatasetSpec.SplitSpec split : ds.splits()) {
                s.putIfAbsent(split.name(), split);
            }
        }
    }

    public List<Point> points() {
        return points;
    }

    /** Distinct datasets by key, in grid order. */
    public Map<String, DatasetSpec> datasets() {
        return datasets;
    }

    /** Every split a dataset needs across the tasks that read it. */
    public List<DatasetSpec.SplitSpec> splits(String datasetKey) {
        return List.copyOf(splits.get(datasetKey).values());
    }
}
