package org.selectivbench.settings;

import java.util.LinkedHashMap;
import java.util.Map;

/** The values a {@link Block} read, by setting. */
public final class Values {
    private final Map<Setting<?>, Object> values = new LinkedHashMap<>();

    <T> void put(Setting<T> s, T value) {
        values.put(s, value);
    }

    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> s) {
        if (!values.containsKey(s)) {
            throw new IllegalArgumentException("setting " + s.key() + " was not read");
        }
        return (T) values.get(s);
    }
}
