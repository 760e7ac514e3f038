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

    /** The {@code grammar} block (and each entry of {@code grid.grammars}, which overrides it). */
    public static final Block SETTINGS = new Block("grammar", "Random grammar (SPEC section 1); the run seed fixes it", List.of(
            Setting.of("vocab", Kind.INT, 41, Check.between(2, MAX_VOCAB),
                    "visible symbols including the end marker '#' (52 letters and '#' at most)"),
            Setting.of("ambiguities", Kind.INT, 40, Check.between(0, MAX_VOCAB - 1),
                    "letters emitted by several hidden states (at most vocab - 1)"),
            Setting.of("depth", Kind.INT, 40, Check.between(1, 10_000), "hidden states per ambiguous letter"),
            Setting.of("start-states", Kind.INT, 4, Check.between(1, 1_000_000),
                    "distinct start states drawn (fewer than the non-end states)"),
            Setting.of("density", Kind.DOUBLE, 0.4, Check.interval(0, false, 1, true),
                    "an edge is kept with probability |candidates| * density / depth"),
            Setting.of("max-tries", Kind.INT, 1000, Check.between(1, 1_000_000),
                    "grammars drawn before giving up on the validity check")));

    static final Binding<GrammarSpec> BINDING = Binding.of(GrammarSpec.class, SETTINGS, Map.of(), List.of("seed"),
            List.of());

    public GrammarSpec {
        BINDING.validate("grammar", vocab, ambiguities, depth, startStates, density, maxTries, seed);
        require(ambiguities <= vocab - 1, "ambiguities", ambiguities,
                "must be between 0 and vocab - 1 = " + (vocab - 1) + " (there are only " + (vocab - 1) + " letters)");
        int states = (vocab - 1 - ambiguities) + ambiguities * depth + 1;
        require(startStates >= 1 && startStates < states, "start-states", startStates,
                "must be between 1 and the number of non-end states (" + (states - 1) + ")");
    }

    /** Reads the keys of a {@code grammar} block; unknown keys are an error. */
    public static GrammarSpec fromConfig(Config c, long seed) {
        return BINDING.read(c, "grammar", seed);
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
