package org.selectivbench.spark;

import java.io.Serializable;
import java.util.List;
import org.selectivbench.data.DatasetSpec;

/**
 * One training run (or, for task 4, one evaluation of a trained run) of a sweep: its grid
 * coordinates, the dataset it reads and the resolved model and training settings.
 *
 * @param runId       stable id, a hash of everything that affects the result
 * @param task        task name (task1..task4)
 * @param setting     the task setting's name ("paper" unless the grid names others)
 * @param seed        fixes the grammar, the data and the model init
 * @param model       model name
 * @param width       model width d
 * @param layers      mixer layers
 * @param lr          peak learning rate
 * @param warmup      warmup updates
 * @param dataset     the dataset the run trains and evaluates on
 * @param testSplit   the test split whose accuracy the run reports
 * @param trainsRun   for an evaluation-only run (task 4): the id of the training run whose
 *                    checkpoint it evaluates; empty for a training run
 * @param modelConf   the resolved {@code selectivbench.model} block, as JSON
 * @param trainConf   the resolved {@code selectivbench.train} block, as JSON
 */
public record RunSpec(String runId, String task, String setting, long seed, String model, int width, int layers,
                      double lr, int warmup, DatasetSpec dataset, String testSplit, String trainsRun,
                      String modelConf, String trainConf) implements Serializable {

    public boolean evaluationOnly() {
        return !trainsRun.isEmpty();
    }

    /** The grid coordinates in the order tables show them. */
    public List<Object> coordinates() {
        return List.of(task, setting, dataset.grammar().label(), seed, model, width, layers, lr, warmup);
    }
}
