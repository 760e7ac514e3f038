package org.selectivbench.data;

/**
 * Draws grammar strings (a uniform start state, then uniform out-edges until '#') conditioned on
 * their length being at most {@code maxLength} symbols, exactly as "discard and redraw longer walks"
 * does, without the redraws. At the paper's setting '#' is rare (about one step in 1,600), so most
 * unconditioned walks run past 200 and rejection wastes about 90% of its steps.
 *
 * <p>With {@code fit[r][s]} the probability that a walk standing at s, with r symbols left including
 * s, emits '#' within them, the conditioned walk picks its start with weight {@code fit[max][s]} and
 * each next state t with weight {@code fit[r - 1][t]} (the uniform edge probabilities cancel). This is
 * the Doob h-transform of the walk; the law of the strings is the same as with rejection.
 */
final class StringSampler {
    private final Grammar grammar;
    private final int maxLength;
    /** fit[r][s] for r = 0..maxLength. */
    private final double[][] fit;
    private final int[] start;

    StringSampler(Grammar grammar, int maxLength) {
        this.grammar = grammar;
        this.maxLength = maxLength;
        int n = grammar.numStates();
        this.fit = new double[maxLength + 1][n];
        for (int r = 1; r <= maxLength; r++) {
            double[] prev = fit[r - 1];
            double[] cur = fit[r];
            cur[Grammar.END] = 1.0;
            for (int s = 1; s < n; s++) {
                int[] out = grammar.outEdges(s);
                double sum = 0;
                for (int t : out) {
                    sum += prev[t];
                }
                cur[s] = out.length == 0 ? 0 : sum / out.length;
            }
        }
        this.start = grammar.startStates();
        double any = 0;
        for (int s : start) {
            any += fit[maxLength][s];
        }
        if (any == 0) {
            throw new IllegalStateException("grammar " + grammar.spec().label() + " seed " + grammar.spec().seed()
                    + " has no string of at most data.max-string-length = " + maxLength
                    + " symbols; raise data.max-string-length");
        }
    }

    /** Writes one string (start state .. '#') into buf and returns its length. */
    int draw(Rng rng, int[] buf) {
        int state = pick(rng, start, fit[maxLength]);
        int len = 0;
        buf[len++] = state;
        while (state != Grammar.END) {
            state = pick(rng, grammar.outEdges(state), fit[maxLength - len]);
            buf[len++] = state;
        }
        return len;
    }

    private static int pick(Rng rng, int[] candidates, double[] weight) {
        double total = 0;
        for (int c : candidates) {
            total += weight[c];
        }
        double u = rng.nextDouble() * total;
        int last = -1;
        for (int c : candidates) {
            if (weight[c] > 0) {
                last = c;
                u -= weight[c];
                if (u < 0) {
                    return c;
                }
            }
        }
        return last; // rounding left u a hair above zero
    }

    int maxLength() {
        return maxLength;
    }
}
