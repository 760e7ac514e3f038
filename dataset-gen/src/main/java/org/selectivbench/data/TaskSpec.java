package org.selectivbench.data;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Locale;
import java.util.Set;

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

    static final Set<String> KEYS = Set.of("gap", "distractors-after-end", "gap-start", "gap-prob", "gap-min",
            "gap-max", "timestep", "noise", "test-delays", "trains-with", "d-state");

    public TaskSpec {
        check(afterEnd != null, name, "distractors-after-end", null, "must be set");
        testDelays = List.copyOf(testDelays.isEmpty() ? List.of(gapMax) : testDelays);
        trainsWith = trainsWith == null ? "" : trainsWith;
        check(gapStart >= 0, name, "gap-start", gapStart, "must be >= 0");
        check(gapProb >= 0 && gapProb <= 1, name, "gap-prob", gapProb, "must be a probability in [0, 1]");
        check(timestep > 0, name, "timestep", timestep, "must be > 0");
        check(gapMin >= 0, name, "gap-min", gapMin, "must be >= 0");
        check(gapMax >= gapMin, name, "gap-max", gapMax, "must be >= gap-min (" + gapMin + ")");
        check(noise >= 0, name, "noise", noise, "must be >= 0");
        for (double d : testDelays) {
            check(d >= 0, name, "test-delays", testDelays, "durations must be >= 0");
        }
    }

    /** Reads a task block; {@code d-state} is a model setting kept beside the task and ignored here. */
    public static TaskSpec fromConfig(String name, Config c) {
        ConfigCheck.onlyKeys(c, KEYS, "tasks." + name);
        String gapName = c.getString("gap");
        GapKind kind;
        try {
            kind = GapKind.valueOf(gapName.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tasks." + name + ".gap = " + gapName
                    + ": must be 'zero' or 'ungrammatical'");
        }
        String afterEndName = c.getString("distractors-after-end");
        AfterEnd afterEnd = null;
        for (AfterEnd a : AfterEnd.values()) {
            if (a.configName().equals(afterEndName)) {
                afterEnd = a;
            }
        }
        check(afterEnd != null, name, "distractors-after-end", afterEndName,
                "must be 'any-symbol' (the released generator's law) or 'never-grammatical'");
        return new TaskSpec(name, kind, afterEnd, c.getInt("gap-start"), c.getDouble("gap-prob"),
                c.getDouble("gap-min"), c.getDouble("gap-max"), c.getDouble("timestep"), c.getDouble("noise"),
                c.getDoubleList("test-delays"), c.hasPath("trains-with") ? c.getString("trains-with") : "");
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
