package org.selectivbench.data;

import com.typesafe.config.Config;
import java.util.Set;

/**
 * The parameters of a random grammar (SPEC section 1).
 *
 * @param vocab       visible symbols including the end marker '#'; at most 53 (52 letters + '#')
 * @param ambiguities how many letters are ambiguous (emitted by several hidden states)
 * @param depth       hidden states per ambiguous letter
 * @param startStates how many distinct start states are drawn
 * @param density     edge density numerator: an edge is kept with probability |cand| * density / depth
 * @param maxTries    how many grammars to draw before giving up on the validity check
 * @param seed        the run seed; it fixes the grammar
 */
public record GrammarSpec(int vocab, int ambiguities, int depth, int startStates, double density, int maxTries,
                          long seed) implements java.io.Serializable {

    public static final int MAX_VOCAB = 53;
    static final Set<String> KEYS = Set.of("vocab", "ambiguities", "depth", "start-states", "density", "max-tries");

    public GrammarSpec {
        require(vocab >= 2 && vocab <= MAX_VOCAB, "vocab", vocab,
                "must be between 2 (one letter and '#') and " + MAX_VOCAB + " (52 letters and '#')");
        require(ambiguities >= 0 && ambiguities <= vocab - 1, "ambiguities", ambiguities,
                "must be between 0 and vocab - 1 = " + (vocab - 1) + " (there are only " + (vocab - 1) + " letters)");
        require(depth >= 1, "depth", depth, "must be at least 1");
        require(density > 0 && density <= 1, "density", density, "must be in (0, 1]");
        require(maxTries >= 1, "max-tries", maxTries, "must be at least 1");
        int states = (vocab - 1 - ambiguities) + ambiguities * depth + 1;
        require(startStates >= 1 && startStates < states, "start-states", startStates,
                "must be between 1 and the number of non-end states (" + (states - 1) + ")");
    }

    /** Reads the keys of a {@code grammar} block; unknown keys are an error. */
    public static GrammarSpec fromConfig(Config c, long seed) {
        ConfigCheck.onlyKeys(c, KEYS, "grammar");
        return new GrammarSpec(c.getInt("vocab"), c.getInt("ambiguities"), c.getInt("depth"),
                c.getInt("start-states"), c.getDouble("density"), c.getInt("max-tries"), seed);
    }

    public int numStates() {
        return (vocab - 1 - ambiguities) + ambiguities * depth + 1;
    }

    /** Probability scale of an edge: |cand| * edgeDensity. */
    public double edgeDensity() {
        return density / depth;
    }

    /** A short readable name, e.g. {@code V41-A40-D40}. */
    public String label() {
        return "V" + vocab + "-A" + ambiguities + "-D" + depth;
    }

    static void require(boolean ok, String key, Object value, String why) {
        if (!ok) {
            throw new IllegalArgumentException("grammar." + key + " = " + value + ": " + why);
        }
    }
}
