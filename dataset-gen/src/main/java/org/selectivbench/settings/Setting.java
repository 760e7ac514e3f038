package org.selectivbench.settings;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.List;

/**
 * One HOCON key, declared once, in the spirit of Spark ML's {@code Param(parent, name, doc, isValid)}:
 * its name within its block, type, default, bounds and documentation. Reading, the error for a bad
 * value, rendering (records, checkpoints) and the key table all come from here.
 *
 * @param <T> the Java type of its value
 */
public final class Setting<T> {
    private final String key;
    private final Kind<T> kind;
    private final T defaultValue;
    private final boolean hasDefault;
    private final Check<? super T> check;
    private final String doc;
    private final List<String> owns;

    private Setting(String key, Kind<T> kind, T defaultValue, boolean hasDefault, Check<? super T> check, String doc,
                    List<String> owns) {
        this.key = key;
        this.kind = kind;
        this.defaultValue = defaultValue;
        this.hasDefault = hasDefault;
        this.check = check;
        this.doc = doc;
        this.owns = List.copyOf(owns);
        if (hasDefault) {
            String p = check.problem(defaultValue);
            if (p != null) {
                throw new IllegalStateException("the declared default of " + key + " " + p);
            }
        }
    }

    /** A setting with a default. */
    public static <T> Setting<T> of(String key, Kind<T> kind, T defaultValue, Check<? super T> check, String doc) {
        return new Setting<>(key, kind, defaultValue, true, check, doc, List.of());
    }

    /** A setting every block must give, such as a task's gap settings, which differ per task. */
    public static <T> Setting<T> required(String key, Kind<T> kind, Check<? super T> check, String doc) {
        return new Setting<>(key, kind, null, false, check, doc, List.of());
    }

    /**
     * The same setting, marking {@code keys} (full paths under {@code selectivbench}, such as
     * {@code model.width}) as decided by this one: where this one applies, setting those is an error
     * that names this one.
     */
    public Setting<T> owns(String... keys) {
        return new Setting<>(key, kind, defaultValue, hasDefault, check, doc, List.of(keys));
    }

    public String key() {
        return key;
    }

    public Kind<T> kind() {
        return kind;
    }

    public boolean hasDefault() {
        return hasDefault;
    }

    public T defaultValue() {
        return defaultValue;
    }

    public Check<? super T> check() {
        return check;
    }

    public String doc() {
        return doc;
    }

    public List<String> owns() {
        return owns;
    }

    /**
     * Reads this key of {@code block} (the default when absent) and checks its bounds. {@code where}
     * is the block's path for messages, e.g. {@code model} or {@code tasks.task2}.
     */
    public T read(Config block, String where) {
        ConfigValue v = block.root().get(key);
        if (v == null || v.valueType() == ConfigValueType.NULL) {
            if (!hasDefault) {
                throw new IllegalArgumentException(where + "." + key + " is missing: " + doc);
            }
            return defaultValue;
        }
        T value;
        try {
            value = kind.read(v);
        } catch (Kind.BadValue e) {
            throw new IllegalArgumentException(where + "." + key + " = " + v.render(ConfigRenderOptions.concise())
                    + ": expected " + e.getMessage());
        }
        return check(value, where);
    }

    /** Returns {@code value} when it is within bounds; else fails naming the key, the value and the bounds. */
    public T check(T value, String where) {
        String p = check.problem(value);
        if (p != null) {
            throw new IllegalArgumentException(where + "." + key + " = " + show(kind.plain(value)) + ": " + p);
        }
        return value;
    }

    static String show(Object plain) {
        return String.valueOf(plain);
    }

    @Override
    public String toString() {
        return key;
    }
}
