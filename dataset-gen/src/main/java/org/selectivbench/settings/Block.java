package org.selectivbench.settings;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A HOCON block's declared settings, such as {@code selectivbench.model}: the keys it allows, and
 * reading, checking and rendering all of them at once.
 */
public final class Block {
    private final String path;
    private final String doc;
    private final List<Setting<?>> settings;

    /**
     * @param path the block's path under {@code selectivbench} as the key table shows it, e.g.
     *             {@code model}, or {@code tasks.NAME} for a block repeated under any name
     */
    public Block(String path, String doc, List<Setting<?>> settings) {
        this.path = path;
        this.doc = doc;
        this.settings = List.copyOf(settings);
        Set<String> seen = new LinkedHashSet<>();
        for (Setting<?> s : settings) {
            if (!seen.add(s.key())) {
                throw new IllegalStateException(path + "." + s.key() + " is declared twice");
            }
        }
    }

    public String path() {
        return path;
    }

    public String doc() {
        return doc;
    }

    public List<Setting<?>> settings() {
        return settings;
    }

    public Set<String> keys() {
        Set<String> keys = new LinkedHashSet<>();
        settings.forEach(s -> keys.add(s.key()));
        return keys;
    }

    public Setting<?> setting(String key) {
        for (Setting<?> s : settings) {
            if (s.key().equals(key)) {
                return s;
            }
        }
        throw new IllegalArgumentException("no setting " + path + "." + key);
    }

    /** Fails on a key that is not declared, naming it, the closest declared key, and all of them. */
    public void checkKeys(Config c, String where) {
        unknownKeys(c.root().keySet(), keys(), where);
    }

    /** The error for keys outside {@code allowed}, shared with blocks that hold other blocks. */
    public static void unknownKeys(Set<String> given, Set<String> allowed, String where) {
        Set<String> unknown = new TreeSet<>(given);
        unknown.removeAll(allowed);
        if (unknown.isEmpty()) {
            return;
        }
        StringBuilder hints = new StringBuilder();
        for (String u : unknown) {
            String near = nearest(u, allowed);
            if (near != null) {
                hints.append(hints.length() == 0 ? "; did you mean " : ", ").append(where).append('.').append(near)
                        .append(" for ").append(u);
            }
        }
        throw new IllegalArgumentException("unknown key(s) in " + where + ": " + unknown + hints + " (allowed: "
                + new TreeSet<>(allowed) + ")");
    }

    /** Reads and checks every declared key of {@code c}; an undeclared key is an error. */
    public Values read(Config c, String where) {
        checkKeys(c, where);
        Values v = new Values();
        for (Setting<?> s : settings) {
            readInto(v, s, c, where);
        }
        return v;
    }

    private static <T> void readInto(Values v, Setting<T> s, Config c, String where) {
        v.put(s, s.read(c, where));
    }

    /** The declared defaults as plain data, by key (settings without a default are left out). */
    public Map<String, Object> defaults() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Setting<?> s : settings) {
            if (s.hasDefault()) {
                m.put(s.key(), plainDefault(s));
            }
        }
        return m;
    }

    private static <T> Object plainDefault(Setting<T> s) {
        return s.kind().plain(s.defaultValue());
    }

    /** Plain values by key (declaration order) as one line of HOCON/JSON. */
    public static String render(Map<String, Object> plain) {
        return ConfigFactory.parseMap(plain).root().render(ConfigRenderOptions.concise());
    }

    /** Plain values of {@code v} by key, in declaration order. */
    public Map<String, Object> plain(Values v) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Setting<?> s : settings) {
            m.put(s.key(), plainOf(s, v));
        }
        return m;
    }

    private static <T> Object plainOf(Setting<T> s, Values v) {
        return s.kind().plain(v.get(s));
    }

    /** Settings of this block that own keys elsewhere (see {@link Setting#owns}). */
    public List<Setting<?>> owners() {
        List<Setting<?>> out = new ArrayList<>();
        for (Setting<?> s : settings) {
            if (!s.owns().isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    /** A declared key within two edits of {@code key}, if any. */
    static String nearest(String key, Set<String> allowed) {
        String best = null;
        int bestDistance = 3;
        for (String a : allowed) {
            int d = distance(key, a);
            if (d < bestDistance) {
                best = a;
                bestDistance = d;
            }
        }
        return best;
    }

    /** Levenshtein distance with adjacent swaps counted as one edit (widht for width). */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
