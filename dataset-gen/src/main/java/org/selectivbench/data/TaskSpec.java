package org.selectivbench.data;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.selectivbench.settings.Binding;
import org.selectivbench.settings.Block;
import org.selectivbench.settings.Check;
import org.selectivbench.settings.Kind;
import org.selectivbench.settings.Setting;

/**
 * One SelectivBench task setting (SPEC sections 3 and 5): where gaps go, how long they are, what
 * fills them, and the noise on every step. Times are in the units of {@code timestep} (paper: 0.1).
 *
 * @param name       the task's name in config, e.g. {@code task2}
 * @param gap        what fills a gap: silence (zero vectors) or ungrammatical symbols
 * @param afterEnd   which symbols may fill an ungrammatical gap after '#' (ignored for zero gaps)
 * @param gapStart   elements before this index get no gap
 * @param gapProb    probability that an element at or after gapStart gets a gap
 * @param gapMin     shortest training gap duration
 * @param gapMax     longest training gap duration; the default test duration
 * @param timestep   duration of one step
 * @param noise      Uniform[0, noise) is added to every entry of every step (0 = none)
 * @param testDelays the fixed gap durations of the test sets (empty = just gapMax)
 * @param trainsWith the task whose trained models this task evaluates (task 4: task2), or empty
 */
public record TaskSpec(String name, GapKind gap, AfterEnd afterEnd, int gapStart, double gapProb, double gapMin,
                       double gapMax, double timestep, double noise, List<Double> testDelays, String trainsWith)
        implements java.io.Serializable {

    public enum GapKind { ZERO, UNGRAMMATICAL }

    /**
     * The distractor law after '#' (key {@code distractors-after-end}). The automaton has no edge
     * leaving '#', but the stream goes on with a new string, so the two readings of "cannot follow"
     * differ there only.
     */
    public enum AfterEnd {
        /** Every symbol, start letters and '#' included: the released generator's law. */
        ANY_SYMBOL,
        /** Only the symbols no start state emits, so that a distractor is never grammatical. */
        NEVER_GRAMMATICAL;

        /** The value as written in config, e.g. {@code any-symbol}. */
        public String configName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * The state size of Mamba and Mamba2 on this task; a model setting kept beside the task, which a
     * sweep uses for {@code model.d-state}.
     */
    public static final Setting<Integer> D_STATE = Setting.required("d-state", Kind.INT, Check.between(1, 4096),
            "Mamba/Mamba2 state size on this task (a sweep's model.d-state)").owns("model.d-state");

    /** A block of {@code tasks}, e.g. {@code tasks.task2}; a grid setting overrides some of its keys. */
    public static final Block SETTINGS = new Block("tasks.NAME", "A task (SPEC sections 3 and 5); durations are in"
            + " units of timestep", List.of(
            Setting.required("gap", Kind.STRING, Check.oneOf(List.of("zero", "ungrammatical")),
                    "what fills a gap: silence (zero vectors) or ungrammatical symbols"),
            Setting.required("distractors-after-end", Kind.STRING,
                    Check.oneOf(List.of("any-symbol", "never-grammatical")),
                    "which symbols may fill an ungrammatical gap after '#': any-symbol (the released generator's"
                            + " law) or never-grammatical (docs/datasets.md); zero gaps ignore it"),
            Setting.required("gap-start", Kind.INT, Check.between(0, 1_000_000), "elements before this index get no gap"),
            Setting.required("gap-prob", Kind.DOUBLE, Check.between(0, 1),
                    "probability that an element at or after gap-start gets a gap"),
            Setting.required("gap-min", Kind.DOUBLE, Check.between(0, 100_000), "shortest training gap duration"),
            Setting.required("gap-max", Kind.DOUBLE, Check.between(0, 100_000),
                    "longest training gap duration (at least gap-min); the default test duration"),
            Setting.required("timestep", Kind.DOUBLE, Check.interval(0, false, 1000, true), "duration of one step"),
            Setting.required("noise", Kind.DOUBLE, Check.between(0, 1000),
                    "Uniform[0, noise) is added to every entry of every step (0 = none)"),
            Setting.of("test-delays", Kind.listOf(Kind.DOUBLE), List.of(), Check.each(Check.between(0, 100_000)),
                    "fixed gap durations of the test splits (empty: gap-max)"),
            Setting.of("trains-with", Kind.STRING, "", Check.matches("[A-Za-z0-9_-]*", "a task name or empty"),
                    "the task whose trained models this one evaluates (task 4: task2); empty: it trains its own"),
            D_STATE));

    static final Binding<TaskSpec> BINDING = Binding.of(TaskSpec.class, SETTINGS,
            Map.of("distractors-after-end", "afterEnd"), List.of("name"),
            List.of(D_STATE.key()));

    public TaskSpec {
        testDelays = List.copyOf(testDelays.isEmpty() ? List.of(gapMax) : testDelays);
        trainsWith = trainsWith == null ? "" : trainsWith;
        BINDING.validate("tasks." + name, name, gap, afterEnd, gapStart, gapProb, gapMin, gapMax, timestep, noise,
                testDelays,
                trainsWith);
        check(gapMax >= gapMin, name, "gap-max", gapMax, "must be >= gap-min (" + gapMin + ")");
    }

    /** Reads a task block; {@code d-state} is a model setting kept beside the task, checked here and read by the sweep. */
    public static TaskSpec fromConfig(String name, Config c) {
        return BINDING.read(c, "tasks." + name, name);
    }

    /**
     * Steps a gap of the given duration lasts: zero gaps last ceil(delay / timestep) steps,
     * ungrammatical gaps round(delay / timestep) (as the released code does). The small epsilon
     * keeps 0.3 / 0.1 = 2.9999999999999996 at 3 steps.
     */
    public int gapSteps(double delay) {
        double ratio = delay / timestep;
        return gap == GapKind.ZERO ? (int) Math.ceil(ratio - 1e-9) : (int) Math.round(ratio);
    }

    /** Duration of a training gap: Uniform(gapMin, gapMax) rounded to one decimal. */
    double trainDelay(double u) {
        return Math.round((gapMin + u * (gapMax - gapMin)) * 10.0) / 10.0;
    }

    /**
     * The law of an example's length in steps: entry k is the probability that an example of
     * {@code elements} elements lasts k steps. Each element from gapStart on gets a gap with probability
     * gapProb, of {@link #trainDelay}(U(0, 1)) for training or {@code testDelay} for a test split; the
     * total is their convolution. Ungrammatical gaps that the generator drops count as present.
     */
    public double[] stepsLaw(int elements, Split split, double testDelay) {
        double[] gap; // the law of one element's gap steps, absent gaps included
        if (split == Split.TRAIN) {
            int grid = 10_000;
            int[] count = new int[gapSteps(gapMax) + 1];
            for (int i = 0; i < grid; i++) {
                count[gapSteps(trainDelay((i + 0.5) / grid))]++;
            }
            gap = new double[count.length];
            for (int k = 0; k < count.length; k++) {
                gap[k] = gapProb * count[k] / grid;
            }
        } else {
            gap = new double[gapSteps(testDelay) + 1];
            gap[gap.length - 1] += gapProb;
        }
        gap[0] += 1 - gapProb;
        double[] law = {1};
        for (int e = gapStart; e < elements; e++) {
            double[] next = new double[law.length + gap.length - 1];
            for (int g = 0; g < gap.length; g++) {
                if (gap[g] > 0) {
                    for (int k = 0; k < law.length; k++) {
                        next[k + g] += law[k] * gap[g];
                    }
                }
            }
            law = next;
        }
        double[] steps = new double[elements + law.length];
        System.arraycopy(law, 0, steps, elements, law.length);
        return steps;
    }

    /**
     * Steps that one example in 100,000 exceeds ({@link #stepsLaw}): what a batch pads to, for memory
     * estimates.
     */
    public int stepsBound(int elements, Split split, double testDelay) {
        double[] law = stepsLaw(elements, split, testDelay);
        double below = 0;
        for (int k = 0; k < law.length; k++) {
            below += law[k];
            if (below >= 1 - 1e-5) {
                return k;
            }
        }
        return law.length - 1;
    }

    /** The name of the test split with the given fixed duration, e.g. {@code test-gap10}. */
    public String testSplitName(double delay) {
        return "test-gap" + gapSteps(delay);
    }

    private static void check(boolean ok, String task, String key, Object value, String why) {
        if (!ok) {
            throw new IllegalArgumentException("tasks." + task + "." + key + " = " + value + ": " + why);
        }
    }
}
