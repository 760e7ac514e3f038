package org.selectivbench.models.ops;

/**
 * Which form the sequence ops run in: the step-by-step Java kernels (the CPU path) or their ND4J forms
 * (chunked, batched array operations: the path for GPUs, which the CPU backend runs too). Auto picks the
 * Java kernels on the CPU backend and the ND4J forms elsewhere. Both are tested against the same plain
 * references; they agree to rounding, so a run records which one it used.
 */
public enum Kernels {
    AUTO, JAVA, ND4J;

    private static volatile Kernels chosen = AUTO;

    /** The form in use (AUTO resolved). */
    public static Kernels current() {
        Kernels k = chosen;
        return k != AUTO ? k : Host.cpu() ? JAVA : ND4J;
    }

    public static void use(Kernels k) {
        chosen = k;
    }

    /** Parses a setting value (auto, java, nd4j), naming the key on a bad one. */
    public static Kernels parse(String key, String value) {
        try {
            return valueOf(value.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + " = " + value + ": must be auto, java or nd4j");
        }
    }
}
