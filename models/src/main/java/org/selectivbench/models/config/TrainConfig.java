package org.selectivbench.models.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValueType;
import java.util.Map;
import java.util.Set;
import org.selectivbench.data.ConfigCheck;

/**
 * The training protocol (SPEC section 7), read from {@code selectivbench.train}.
 *
 * @param batchSize     examples per update
 * @param lr            peak learning rate
 * @param warmup        linear warmup updates, then cosine to 0 at the last update
 * @param weightDecay   decoupled (AdamW-style) weight decay; the paper uses 0
 * @param clip          global gradient-norm clip (0 = off)
 * @param evalEvery     evaluate every this many updates (0 = only at the end)
 * @param evalBatchSize examples per evaluation batch (bounds the [B,T,classes] probabilities in memory)
 * @param seed          seed of the model init and dropout
 * @param maxUpdates    stop after this many updates (0 = one pass over the data)
 * @param microBatch    compute each update's gradient in pieces of at most this many examples (0 = the
 *                      whole batch at once): the same update, with the memory of a piece
 * @param evalRows      the most rows (examples times steps) one evaluation graph run takes, by model name,
 *                      "default" for the others (absent or 0 = a whole evaluation batch at once): a batch is
 *                      evaluated in pieces of examples and, for the models that carry their recurrent
 *                      state, long sequences in segments (see SequenceModel#probabilities(EncodedBatch,
 *                      long)); the same outputs, bounded memory. In HOCON a number (every model) or an
 *                      object {default = .., mamba = ..}
 */
public record TrainConfig(int batchSize, double lr, int warmup, double weightDecay, double clip, int evalEvery,
                          int evalBatchSize, long seed, long maxUpdates, int microBatch, Map<String, Long> evalRows) implements java.io.Serializable {

    static final Set<String> KEYS = Set.of("batch-size", "lr", "warmup", "weight-decay", "clip", "eval-every",
            "eval-batch-size", "seed", "max-updates", "micro-batch-size", "eval-rows");

    public TrainConfig {
        check(batchSize >= 1, "batch-size", batchSize, "must be >= 1");
        check(lr > 0, "lr", lr, "must be > 0");
        check(warmup >= 0, "warmup", warmup, "must be >= 0");
        check(weightDecay >= 0, "weight-decay", weightDecay, "must be >= 0");
        check(clip >= 0, "clip", clip, "must be >= 0 (0 = off)");
        check(evalEvery >= 0, "eval-every", evalEvery, "must be >= 0");
        check(evalBatchSize >= 1, "eval-batch-size", evalBatchSize, "must be >= 1");
        check(maxUpdates >= 0, "max-updates", maxUpdates, "must be >= 0");
        check(microBatch >= 0, "micro-batch-size", microBatch, "must be >= 0 (0 = the whole batch at once)");
        evalRows = Map.copyOf(evalRows);
        for (Map.Entry<String, Long> e : evalRows.entrySet()) {
            check(e.getKey().equals("default") || ModelConfig.MODELS.contains(e.getKey()), "eval-rows." + e.getKey(),
                    e.getValue(), "not a model name (known: " + ModelConfig.MODELS + ") nor \"default\"");
            check(e.getValue() >= 0, "eval-rows." + e.getKey(), e.getValue(),
                    "must be >= 0 (0 = a whole evaluation batch at once)");
        }
    }

    /** The bound on rows per evaluation graph run for {@code model} (0 = none). */
    public long evalRows(String model) {
        return evalRows.getOrDefault(model, evalRows.getOrDefault("default", 0L));
    }

    public static TrainConfig fromConfig(Config c) {
        ConfigCheck.onlyKeys(c, KEYS, "train");
        return new TrainConfig(c.getInt("batch-size"), c.getDouble("lr"), c.getInt("warmup"),
                c.getDouble("weight-decay"), c.getDouble("clip"), c.getInt("eval-every"), c.getInt("eval-batch-size"),
                c.getLong("seed"), c.getLong("max-updates"), c.getInt("micro-batch-size"),
                evalRows(c));
    }

    /** train.eval-rows: a number for every model, or an object of numbers by model name and "default". */
    public static Map<String, Long> evalRows(Config c) {
        if (c.getValue("eval-rows").valueType() != ConfigValueType.OBJECT) {
            return Map.of("default", c.getLong("eval-rows"));
        }
        Config rows = c.getConfig("eval-rows");
        Map<String, Long> m = new java.util.LinkedHashMap<>();
        for (String k : rows.root().keySet()) {
            m.put(k, rows.getLong(ConfigUtil.joinPath(k)));
        }
        return m;
    }

    private static void check(boolean ok, String key, Object value, String why) {
        if (!ok) {
            throw new IllegalArgumentException("train." + key + " = " + value + ": " + why);
        }
    }
}
