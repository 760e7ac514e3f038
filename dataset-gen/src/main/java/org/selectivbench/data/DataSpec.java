package org.selectivbench.data;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Map;
import org.selectivbench.settings.Binding;
import org.selectivbench.settings.Block;
import org.selectivbench.settings.Check;
import org.selectivbench.settings.Kind;
import org.selectivbench.settings.Setting;

/**
 * Sizes of a dataset (SPEC section 2).
 *
 * @param elements        elements per example (paper: 200)
 * @param maxStringLength longer walks are discarded and redrawn (paper: 200)
 * @param trainExamples   training examples (paper: 200,000)
 * @param testExamples    test examples per test split (paper: 1,000)
 */
public record DataSpec(int elements, int maxStringLength, long trainExamples, long testExamples)
        implements java.io.Serializable {

    /** One Spark task writes one part file of this many examples; a generation setting, not part of the data. */
    public static final Setting<Long> EXAMPLES_PER_FILE = Setting.of("examples-per-file", Kind.LONG, 25_000L,
            Check.between(1, 100_000_000), "generation task size: one Spark task writes one part file");

    /** The {@code data} block. */
    public static final Block SETTINGS = new Block("data", "Examples (SPEC section 2)", List.of(
            Setting.of("elements", Kind.INT, 200, Check.between(1, 1_000_000), "elements per example"),
            Setting.of("max-string-length", Kind.INT, 200, Check.between(1, 1_000_000),
                    "strings are drawn conditioned on being at most this long"),
            // 0 would record an untrained model as a finished run
            Setting.of("train-examples", Kind.LONG, 200_000L, Check.between(1, 10_000_000_000L),
                    "training examples"),
            Setting.of("test-examples", Kind.LONG, 1000L, Check.between(1, 1_000_000_000),
                    "test examples per test split"),
            EXAMPLES_PER_FILE));

    static final Binding<DataSpec> BINDING = Binding.of(DataSpec.class, SETTINGS, Map.of(), List.of(),
            List.of(EXAMPLES_PER_FILE.key()));

    public DataSpec {
        BINDING.validate("data", elements, maxStringLength, trainExamples, testExamples);
    }

    /** Reads a {@code data} block ({@code examples-per-file} is a generation setting, read by the job). */
    public static DataSpec fromConfig(Config c) {
        return BINDING.read(c, "data");
    }

    public long examples(Split split) {
        return split == Split.TRAIN ? trainExamples : testExamples;
    }
}
