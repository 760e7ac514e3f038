package org.selectivbench.models.config;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Map;
import org.selectivbench.settings.Binding;
import org.selectivbench.settings.Block;
import org.selectivbench.settings.Check;
import org.selectivbench.settings.Kind;
import org.selectivbench.settings.Setting;

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
 * @param dropoutSchedule always, or until-first-eval (the released code's behaviour)
 * @param kernels       auto, java or nd4j: the form of the sequence ops
 */
public record TrainConfig(int batchSize, double lr, int warmup, double weightDecay, double clip, int evalEvery,
                          int evalBatchSize, long seed, long maxUpdates, int microBatch, Map<String, Long> evalRows,
                          String dropoutSchedule, String kernels) implements java.io.Serializable {

    /** Dropout on for the whole run (SPEC 7), or, as the released training loop, only until the first evaluation. */
    public static final List<String> DROPOUT_SCHEDULES = List.of("always", "until-first-eval");
    public static final List<String> KERNELS = List.of("auto", "java", "nd4j");

    /** train.eval-rows: keys are model names or "default", values at least 0. */
    private static final Check<Map<String, Long>> EVAL_ROWS_CHECK = new Check<>() {
        @Override
        public String problem(Map<String, Long> rows) {
            for (Map.Entry<String, Long> e : rows.entrySet()) {
                if (!e.getKey().equals("default") && !ModelConfig.MODELS.contains(e.getKey())) {
                    return "eval-rows." + e.getKey() + " is not a model name (known: " + ModelConfig.MODELS
                            + ") nor \"default\"";
                }
                if (e.getValue() < 0) {
                    return "eval-rows." + e.getKey() + " must be >= 0 (0 = a whole evaluation batch at once)";
                }
            }
            return null;
        }

        @Override
        public String text() {
            return "each >= 0, by model name or default";
        }
    };

    private static final Setting<Map<String, Long>> EVAL_ROWS = Setting.of("eval-rows", Kind.LONG_BY_NAME,
            Map.of("default", 16384L, "gla", 8192L, "gated_delta_product", 4096L, "mamba", 2048L, "gru", 2048L),
            EVAL_ROWS_CHECK, "most rows (examples x steps) per evaluation graph run, by model name or default"
                    + " (0 = no bound)");

    /** The {@code train} block: the training protocol, declared once. */
    public static final Block SETTINGS = new Block("train", "Training (SPEC section 7)", List.of(
            Setting.of("batch-size", Kind.INT, 64, Check.between(1, 1_000_000), "examples per update"),
            Setting.of("lr", Kind.DOUBLE, 1e-3, Check.interval(0, false, 10, true), "peak learning rate"),
            Setting.of("warmup", Kind.INT, 1000, Check.between(0, 1_000_000_000),
                    "linear warmup updates, then cosine to 0 at the last update"),
            Setting.of("weight-decay", Kind.DOUBLE, 0.0, Check.between(0, 10), "decoupled (AdamW) weight decay"),
            Setting.of("clip", Kind.DOUBLE, 1.0, Check.between(0, 1e6), "global gradient-norm clip (0 = off)"),
            Setting.of("eval-every", Kind.INT, 78, Check.between(0, 1_000_000_000),
                    "evaluate every this many updates (0 = only at the end)"),
            Setting.of("eval-batch-size", Kind.INT, 16, Check.between(1, 1_000_000), "examples per evaluation batch"),
            Setting.of("seed", Kind.LONG, 1L, Check.any(), "seed of the model init and dropout"),
            Setting.of("max-updates", Kind.LONG, 0L, Check.between(0, 1e12),
                    "stop after this many updates (0 = one pass over the training data)"),
            Setting.of("micro-batch-size", Kind.INT, 0, Check.between(0, 1_000_000),
                    "compute each update's gradient in pieces of at most this many examples (0 = whole batch)"),
            EVAL_ROWS,
            Setting.of("dropout-schedule", Kind.STRING, "always", Check.oneOf(DROPOUT_SCHEDULES),
                    "always: dropout for the whole run (SPEC 7); until-first-eval: off from the first evaluation on,"
                            + " as the released code's loop left it (update 78 of 3,125 in the paper)"),
            Setting.of("kernels", Kind.STRING, "auto", Check.oneOf(KERNELS),
                    "form of the sequence ops: java (step-by-step CPU kernels), nd4j (chunked array operations, the"
                            + " GPU path), auto (java on the CPU backend, nd4j elsewhere)")));

    static final Binding<TrainConfig> BINDING = Binding.of(TrainConfig.class, SETTINGS,
            Map.of("micro-batch-size", "microBatch"), List.of(), List.of());

    public TrainConfig {
        evalRows = Map.copyOf(evalRows);
        BINDING.validate("train", batchSize, lr, warmup, weightDecay, clip, evalEvery, evalBatchSize, seed, maxUpdates,
                microBatch, evalRows, dropoutSchedule, kernels);
    }

    /** The bound on rows per evaluation graph run for {@code model} (0 = none). */
    public long evalRows(String model) {
        return evalRows.getOrDefault(model, evalRows.getOrDefault("default", 0L));
    }

    public static TrainConfig fromConfig(Config c) {
        return BINDING.read(c, "train");
    }

    /** train.eval-rows: a number for every model, or an object of numbers by name and "default". */
    public static Map<String, Long> evalRows(Config c) {
        return EVAL_ROWS.read(c, "train");
    }
}
