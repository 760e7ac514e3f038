package org.selectivbench.data;

import com.typesafe.config.Config;
import java.util.Set;
import java.util.TreeSet;

/** Strictness for HOCON blocks: a misspelt key must fail loudly, not silently keep a default. */
public final class ConfigCheck {
    private ConfigCheck() {
    }

    public static void onlyKeys(Config c, Set<String> allowed, String where) {
        Set<String> unknown = new TreeSet<>();
        for (String key : c.root().keySet()) {
            if (!allowed.contains(key)) {
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown key(s) in " + where + ": " + unknown
                    + " (allowed: " + new TreeSet<>(allowed) + ")");
        }
    }
}
