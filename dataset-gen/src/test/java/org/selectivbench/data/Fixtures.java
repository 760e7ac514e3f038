package org.selectivbench.data;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/** Shared test settings, read from the real reference.conf so tests exercise the shipped presets. */
final class Fixtures {
    static final Config ROOT = ConfigFactory.load().getConfig("selectivbench");

    private Fixtures() {
    }

    static GrammarSpec grammar(int vocab, int ambiguities, int depth, long seed) {
        return new GrammarSpec(vocab, ambiguities, depth, 4, 0.4, 1000, seed);
    }

    static TaskSpec task(String name) {
        return Tasks.get(ROOT, name, ConfigFactory.empty());
    }

    static DataSpec data(long train, long test) {
        return new DataSpec(200, 200, train, test);
    }
}
