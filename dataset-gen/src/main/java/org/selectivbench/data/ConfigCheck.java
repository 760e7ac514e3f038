package org.selectivbench.data;

import com.typesafe.config.Config;
import java.util.Set;
import org.selectivbench.settings.Block;

/** Strictness for HOCON blocks: a misspelt key must fail loudly, not silently keep a default. */
public final class ConfigCheck {
    private ConfigCheck() {
    }

    /** Prefer {@link Block#checkKeys}, which takes the keys from the block's declared settings. */
    public static void onlyKeys(Config c, Set<String> allowed, String where) {
        Block.unknownKeys(c.root().keySet(), allowed, where);
    }
}
