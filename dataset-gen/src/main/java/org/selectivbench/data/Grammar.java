package org.selectivbench.data;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A random deterministic automaton over visible symbols (SPEC section 1).
 *
 * <p>Ids: symbol {@code #} = 0, letters {@code A..Z a..z} = 1, 2, ...; hidden states are numbered by
 * class id: {@code #} = 0, then letters in symbol-id order, an ambiguous letter taking {@code depth}
 * consecutive ids. The state id is the class a model must predict.
 */
public final class Grammar {
    public static final int END = 0;
    private static final String LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private final GrammarSpec spec;
    private final int[] stateSymbol;
    private final String[] stateName;
    /** next[state * vocab + symbol] = target state, or -1 when the symbol cannot follow. */
    private final int[] next;
    /** Out-edge targets of each state, in symbol order; the walk picks one uniformly. */
    private final int[][] outEdges;
    private final int[] startStates;
    private final int tries;

    private Grammar(GrammarSpec spec, int[] stateSymbol, String[] stateName, int[] next, int[] startStates,
                    int tries) {
        this.spec = spec;
        this.stateSymbol = stateSymbol;
        this.stateName = stateName;
        this.next = next;
        // Sorted, so that a grammar read back from storage walks exactly like the one drawn.
        this.startStates = startStates.clone();
        Arrays.sort(this.startStates);
        this.tries = tries;
        int vocab = spec.vocab();
        this.outEdges = new int[stateSymbol.length][];
        for (int s = 0; s < stateSymbol.length; s++) {
            int[] row = new int[vocab];
            int n = 0;
            for (int a = 0; a < vocab; a++) {
                int t = next[s * vocab + a];
                if (t >= 0) {
                    row[n++] = t;
                }
            }
            outEdges[s] = Arrays.copyOf(row, n);
        }
    }

    /** Rebuilds a grammar from stored tables (see {@link GrammarParquet}). */
    static Grammar of(GrammarSpec spec, int[] stateSymbol, String[] stateName, int[] next, int[] startStates) {
        return new Grammar(spec, stateSymbol, stateName, next, startStates, 0);
    }

    /** Draws grammars from the spec's seed until one passes the validity check. */
    public static Grammar generate(GrammarSpec spec) {
        int vocab = spec.vocab();
        Rng rng = new Rng(Rng.derive(spec.seed(), 0x6772616D6D6172L)); // "grammar"
        for (int attempt = 1; attempt <= spec.maxTries(); attempt++) {
            Grammar g = draw(spec, vocab, rng, attempt);
            if (g != null) {
                return g;
            }
        }
        throw new IllegalStateException("no valid grammar for " + spec + " after grammar.max-tries = "
                + spec.maxTries() + " draws (every state must reach '#' and '#' must not be a start state);"
                + " raise grammar.density or grammar.max-tries, or lower grammar.depth");
    }

    private static Grammar draw(GrammarSpec spec, int vocab, Rng rng, int attempt) {
        int letters = vocab - 1;
        // Which letters are ambiguous: a partial Fisher-Yates shuffle of the letters.
        int[] order = new int[letters];
        for (int i = 0; i < letters; i++) {
            order[i] = i + 1;
        }
        for (int i = 0; i < spec.ambiguities(); i++) {
            int j = i + rng.nextInt(letters - i);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        boolean[] ambiguous = new boolean[vocab];
        for (int i = 0; i < spec.ambiguities(); i++) {
            ambiguous[order[i]] = true;
        }
        // States by class id: '#' first, then each letter's states in symbol order.
        int numStates = spec.numStates();
        int[] stateSymbol = new int[numStates];
        String[] stateName = new String[numStates];
        int[] firstState = new int[vocab];
        int[] statesOfSymbol = new int[vocab];
        stateName[0] = "#";
        firstState[0] = 0;
        statesOfSymbol[0] = 1;
        int id = 1;
        for (int a = 1; a < vocab; a++) {
            char letter = LETTERS.charAt(a - 1);
            firstState[a] = id;
            int k = ambiguous[a] ? spec.depth() : 1;
            statesOfSymbol[a] = k;
            for (int j = 0; j < k; j++) {
                stateSymbol[id] = a;
                stateName[id] = ambiguous[a] ? letter + Integer.toString(j) : String.valueOf(letter);
                id++;
            }
        }
        // Edges: for every (source, symbol) pick one emitting state; keep it with probability |cand| * density.
        int[] next = new int[numStates * vocab];
        Arrays.fill(next, -1);
        double density = spec.edgeDensity();
        for (int s = 0; s < numStates; s++) {
            for (int a = 0; a < vocab; a++) {
                int cand = statesOfSymbol[a];
                int target = firstState[a] + rng.nextInt(cand);
                if (rng.nextDouble() < cand * density) {
                    next[s * vocab + a] = target;
                }
            }
        }
        // Nothing leaves '#': a string ends there.
        Arrays.fill(next, 0, vocab, -1);
        // Start states: distinct, drawn from all states (a grammar starting at '#' is rejected below).
        int[] start = new int[spec.startStates()];
        int[] pool = new int[numStates];
        for (int i = 0; i < numStates; i++) {
            pool[i] = i;
        }
        for (int i = 0; i < start.length; i++) {
            int j = i + rng.nextInt(numStates - i);
            int t = pool[i];
            pool[i] = pool[j];
            pool[j] = t;
            start[i] = pool[i];
        }
        for (int s : start) {
            if (s == END) {
                return null;
            }
        }
        if (!allReachEnd(next, numStates, vocab)) {
            return null;
        }
        return new Grammar(spec, stateSymbol, stateName, next, start, attempt);
    }

    /** Reverse breadth-first search from '#': true when every state has a path to it. */
    private static boolean allReachEnd(int[] next, int numStates, int vocab) {
        List<List<Integer>> incoming = new ArrayList<>(numStates);
        for (int i = 0; i < numStates; i++) {
            incoming.add(new ArrayList<>());
        }
        for (int s = 0; s < numStates; s++) {
            for (int a = 0; a < vocab; a++) {
                int t = next[s * vocab + a];
                if (t >= 0) {
                    incoming.get(t).add(s);
                }
            }
        }
        boolean[] seen = new boolean[numStates];
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        seen[END] = true;
        queue.add(END);
        int count = 1;
        while (!queue.isEmpty()) {
            for (int s : incoming.get(queue.poll())) {
                if (!seen[s]) {
                    seen[s] = true;
                    count++;
                    queue.add(s);
                }
            }
        }
        return count == numStates;
    }

    public GrammarSpec spec() {
        return spec;
    }

    public int numStates() {
        return stateSymbol.length;
    }

    /** Number of classes a model predicts: one per hidden state. */
    public int numClasses() {
        return stateSymbol.length;
    }

    public int vocab() {
        return spec.vocab();
    }

    public int symbolOf(int state) {
        return stateSymbol[state];
    }

    public String stateName(int state) {
        return stateName[state];
    }

    /** Target of (state, symbol), or -1 when the symbol cannot follow the state. */
    public int next(int state, int symbol) {
        return next[state * spec.vocab() + symbol];
    }

    public int[] outEdges(int state) {
        return outEdges[state];
    }

    public int[] startStates() {
        return startStates.clone();
    }

    /** How many draws the validity check needed (0 when the grammar was loaded, not drawn). */
    public int tries() {
        return tries;
    }

    public double meanOutDegree() {
        long edges = 0;
        for (int[] e : outEdges) {
            edges += e.length;
        }
        return (double) edges / numStates();
    }

    public static char letter(int symbol) {
        return symbol == END ? '#' : LETTERS.charAt(symbol - 1);
    }

    int[] nextTable() {
        return next;
    }
}
