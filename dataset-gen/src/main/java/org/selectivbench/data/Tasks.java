package org.selectivbench.data;

import com.typesafe.config.Config;
import java.util.TreeSet;

/** Looks up task settings by name in the {@code selectivbench.tasks} block. */
public final class Tasks {
    private Tasks() {
    }

    /**
     * The task named {@code name}, with a setting's overrides (e.g. {@code gap-max = 5.0}) applied
     * on top of its defaults.
     */
    public static TaskSpec get(Config selectivbench, String name, Config overrides) {
        Config tasks = selectivbench.getConfig("tasks");
        if (!tasks.hasPath(name)) {
            throw new IllegalArgumentException("unknown task '" + name + "' (known: "
                    + new TreeSet<>(tasks.root().keySet()) + ")");
        }
        return TaskSpec.fromConfig(name, overrides.withFallback(tasks.getConfig(name)));
    }
}
