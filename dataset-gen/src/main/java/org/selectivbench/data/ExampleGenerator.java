package org.selectivbench.data;

import java.util.Arrays;

/**
 * Builds examples (SPEC sections 2 and 3). Each example uses its own generators seeded from
 * (seed, split, index), so any example can be rebuilt alone, in any order, on any machine. Separate
 * streams for the walk, the gaps, the distractors and the noise keep the element sequence and gap
 * placement identical across test durations.
 */
public final class ExampleGenerator {
    private static final long WALK = 1, GAPS = 2, DISTRACTORS = 3, NOISE = 4;

    private final Grammar grammar;
    private final TaskSpec task;
    private final DataSpec data;
    /** Symbols that cannot follow each state, for ungrammatical gaps. */
    private final int[][] forbidden;
    private final StringSampler strings;

    public ExampleGenerator(Grammar grammar, TaskSpec task, DataSpec data) {
        this.grammar = grammar;
        this.task = task;
        this.data = data;
        this.forbidden = forbiddenSymbols(grammar, task.afterEnd());
        this.strings = new StringSampler(grammar, data.maxStringLength());
    }

    /**
     * Symbols that cannot follow each state. '#' has no out-edge in the automaton, so under
     * {@code any-symbol} every symbol counts (the release's law); the stream does continue with a new
     * string, so under {@code never-grammatical} only the symbols no start state emits do.
     */
    static int[][] forbiddenSymbols(Grammar g, TaskSpec.AfterEnd afterEnd) {
        int vocab = g.vocab();
        int[][] out = new int[g.numStates()][];
        boolean[] startSymbol = new boolean[vocab];
        for (int s : g.startStates()) {
            startSymbol[g.symbolOf(s)] = true;
        }
        for (int s = 0; s < g.numStates(); s++) {
            int[] row = new int[vocab];
            int n = 0;
            for (int a = 0; a < vocab; a++) {
                boolean allowed = s != Grammar.END ? g.next(s, a) >= 0
                        : afterEnd == TaskSpec.AfterEnd.NEVER_GRAMMATICAL && startSymbol[a];
                if (!allowed) {
                    row[n++] = a;
                }
            }
            out[s] = Arrays.copyOf(row, n);
        }
        return out;
    }

    /**
     * The example at {@code index} of a split.
     *
     * @param testDelay the fixed gap duration of a test split; ignored for training (random durations)
     */
    public TaskExample example(Split split, long index, double testDelay) {
        long seed = grammar.spec().seed();
        int elements = data.elements();
        int[] states = walk(new Rng(Rng.derive(seed, split.code, index, WALK)), elements);
        int[] symbols = new int[elements];
        for (int e = 0; e < elements; e++) {
            symbols[e] = grammar.symbolOf(states[e]);
        }
        int[] gaps = new int[elements];
        Rng gapRng = new Rng(Rng.derive(seed, split.code, index, GAPS));
        int fixedSteps = task.gapSteps(testDelay);
        for (int e = task.gapStart(); e < elements; e++) {
            // Both draws happen for every element so that placements do not depend on durations.
            boolean present = gapRng.nextDouble() < task.gapProb();
            double u = gapRng.nextDouble();
            if (present) {
                gaps[e] = split == Split.TRAIN ? task.gapSteps(task.trainDelay(u)) : fixedSteps;
            }
        }
        int[] distractors = new int[0];
        if (task.gap() == TaskSpec.GapKind.UNGRAMMATICAL) {
            distractors = distractors(states, gaps, new Rng(Rng.derive(seed, split.code, index, DISTRACTORS)));
        }
        return new TaskExample(index, symbols, states, gaps, distractors,
                Rng.derive(seed, split.code, index, NOISE));
    }

    /** Concatenated strings (start state .. '#'), cut to exactly {@code elements}. */
    private int[] walk(Rng rng, int elements) {
        int[] out = new int[elements];
        int[] string = new int[strings.maxLength()];
        int filled = 0;
        while (filled < elements) {
            int len = strings.draw(rng, string);
            int take = Math.min(len, elements - filled);
            System.arraycopy(string, 0, out, filled, take);
            filled += take;
        }
        return out;
    }

    /** Distractor symbols for every ungrammatical gap step; an element whose state every symbol may follow gets no gap. */
    private int[] distractors(int[] states, int[] gaps, Rng rng) {
        int total = 0;
        for (int e = 0; e < gaps.length; e++) {
            if (gaps[e] > 0 && forbidden[states[e]].length == 0) {
                gaps[e] = 0;
            }
            total += gaps[e];
        }
        int[] out = new int[total];
        int k = 0;
        for (int e = 0; e < gaps.length; e++) {
            int[] f = forbidden[states[e]];
            for (int j = 0; j < gaps[e]; j++) {
                out[k++] = f[rng.nextInt(f.length)];
            }
        }
        return out;
    }

    public Grammar grammar() {
        return grammar;
    }

    public TaskSpec task() {
        return task;
    }

    public DataSpec data() {
        return data;
    }
}
