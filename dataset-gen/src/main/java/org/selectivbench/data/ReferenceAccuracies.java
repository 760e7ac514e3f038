package org.selectivbench.data;

/**
 * The reference points reported beside every accuracy (SPEC section 4).
 *
 * <ul>
 *   <li>chance: 1 / number of classes;</li>
 *   <li>symbol-only: predict, for each visible symbol, its most frequent hidden state. The
 *       frequencies are counted on the evaluated set itself, so this is the best any predictor that
 *       sees only the current symbol can score there;</li>
 *   <li>oracle: a Bayes-optimal tracker of the automaton that sees the element sequence. It knows
 *       the grammar, starts each string from the start states that emit the first symbol (weighted by
 *       the uniform start and edge probabilities) and follows the deterministic transitions; it errs
 *       only where two start states share a letter.</li>
 * </ul>
 */
public record ReferenceAccuracies(double chance, double symbolOnly, double oracle, long elements) {

    public static ReferenceAccuracies of(Grammar g, Iterable<TaskExample> examples) {
        int vocab = g.vocab();
        int n = g.numStates();
        long[] counts = new long[n];
        long elements = 0;
        long oracleCorrect = 0;
        int[] start = g.startStates();
        double[] belief = new double[n];
        double[] nextBelief = new double[n];
        for (TaskExample ex : examples) {
            int[] sym = ex.symbols();
            int[] cls = ex.classes();
            boolean atStringStart = true;
            for (int e = 0; e < sym.length; e++) {
                counts[cls[e]]++;
                elements++;
                java.util.Arrays.fill(nextBelief, 0.0);
                if (atStringStart) {
                    for (int s : start) {
                        if (g.symbolOf(s) == sym[e]) {
                            nextBelief[s] += 1.0 / start.length;
                        }
                    }
                } else {
                    for (int s = 0; s < n; s++) {
                        if (belief[s] > 0) {
                            int t = g.next(s, sym[e]);
                            if (t >= 0) {
                                nextBelief[t] += belief[s] / g.outEdges(s).length;
                            }
                        }
                    }
                }
                double[] swap = belief;
                belief = nextBelief;
                nextBelief = swap;
                if (WindowedAccuracy.argmax(belief) == cls[e] && belief[cls[e]] > 0) {
                    oracleCorrect++;
                }
                normalize(belief);
                atStringStart = sym[e] == Grammar.END;
            }
        }
        // Symbol-only: for each symbol, the count of its most frequent state.
        long[] best = new long[vocab];
        for (int s = 0; s < n; s++) {
            int a = g.symbolOf(s);
            best[a] = Math.max(best[a], counts[s]);
        }
        long symbolOnly = 0;
        for (long b : best) {
            symbolOnly += b;
        }
        return new ReferenceAccuracies(1.0 / n, elements == 0 ? Double.NaN : (double) symbolOnly / elements,
                elements == 0 ? Double.NaN : (double) oracleCorrect / elements, elements);
    }

    private static void normalize(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        if (s > 0) {
            for (int i = 0; i < v.length; i++) {
                v[i] /= s;
            }
        }
    }
}
