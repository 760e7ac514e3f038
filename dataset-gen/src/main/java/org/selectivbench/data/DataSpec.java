package org.selectivbench.data;

import com.typesafe.config.Config;
import java.util.Set;

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
    static final Set<String> KEYS = Set.of("elements", "max-string-length", "train-examples",
            "test-examples", "examples-per-file");

    public DataSpec {
        check(elements >= 1, "elements", elements, "must be >= 1");
        check(maxStringLength >= 1, "max-string-length", maxStringLength, "must be >= 1");
        check(trainExamples >= 0, "train-examples", trainExamples, "must be >= 0");
        check(testExamples >= 1, "test-examples", testExamples, "must be >= 1");
    }

    /** Reads a {@code data} block ({@code examples-per-file} is a generation setting, read by the job). */
    public static DataSpec fromConfig(Config c) {
        ConfigCheck.onlyKeys(c, KEYS, "data");
        return new DataSpec(c.getInt("elements"), c.getInt("max-string-length"),
                c.getLong("train-examples"), c.getLong("test-examples"));
    }

    public long examples(Split split) {
        return split == Split.TRAIN ? trainExamples : testExamples;
    }

    private static void check(boolean ok, String key, Object value, String why) {
        if (!ok) {
            throw new IllegalArgumentException("data." + key + " = " + value + ": " + why);
        }
    }
}
