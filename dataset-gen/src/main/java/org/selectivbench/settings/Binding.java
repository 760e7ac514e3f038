package org.selectivbench.settings;

import com.typesafe.config.Config;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Binds a settings record (ModelConfig, TrainConfig, GrammarSpec, ...) to its block's declared
 * settings: component {@code dState} holds key {@code d-state}. The record's components stay its
 * public API; its reading, bounds and rendering come from the declarations, so a knob is written
 * once as a setting and once as a component, and a new component without a declared setting (or a
 * setting without a component or an explicit "not here") fails when the class loads.
 *
 * @param <R> the record
 */
public final class Binding<R extends Record> {
    private final Class<R> type;
    private final Block block;
    private final RecordComponent[] components;
    /** The setting of each component, or null for a component the caller supplies (a seed, a name). */
    private final Setting<?>[] settingOf;
    private final List<String> extras;
    private final Constructor<R> constructor;

    private Binding(Class<R> type, Block block, Map<String, String> componentOfKey, List<String> extras,
                    List<String> unbound) {
        this.type = type;
        this.block = block;
        this.components = type.getRecordComponents();
        this.extras = List.copyOf(extras);
        this.settingOf = new Setting<?>[components.length];
        Map<String, Setting<?>> byComponent = new LinkedHashMap<>();
        for (Setting<?> s : block.settings()) {
            if (!unbound.contains(s.key())) {
                byComponent.put(componentOfKey.getOrDefault(s.key(), camel(s.key())), s);
            }
        }
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            String name = components[i].getName();
            types[i] = components[i].getType();
            Setting<?> s = byComponent.remove(name);
            if (s == null && !extras.contains(name)) {
                throw new IllegalStateException(type.getSimpleName() + "." + name + " has no declared setting in "
                        + block.path() + " (declare one, or name it as supplied by the caller)");
            }
            settingOf[i] = s;
        }
        if (!byComponent.isEmpty()) {
            throw new IllegalStateException(block.path() + " declares " + byComponent.values() + " but "
                    + type.getSimpleName() + " has no component for them (add one, or name them as unbound)");
        }
        try {
            this.constructor = type.getDeclaredConstructor(types);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(type + " has no canonical constructor", e);
        }
    }

    /**
     * @param componentOfKey components whose name is not the key in camel case ({@code micro-batch-size}
     *                       held by {@code microBatch})
     * @param extras         components the caller supplies to {@link #read}, in their record order
     * @param unbound        keys of the block that the record does not hold (read elsewhere)
     */
    public static <R extends Record> Binding<R> of(Class<R> type, Block block, Map<String, String> componentOfKey,
                                                   List<String> extras, List<String> unbound) {
        return new Binding<>(type, block, componentOfKey, extras, unbound);
    }

    public Block block() {
        return block;
    }

    /**
     * Reads {@code c} (undeclared keys, types and bounds are checked, naming {@code where}) and builds
     * the record; {@code extraValues} fill the caller-supplied components, in record order.
     */
    public R read(Config c, String where, Object... extraValues) {
        Values v = block.read(c, where);
        Object[] args = new Object[components.length];
        int extra = 0;
        for (int i = 0; i < components.length; i++) {
            args[i] = settingOf[i] == null ? extraValues[extra++] : toComponent(v.get(settingOf[i]),
                    components[i].getType());
        }
        if (extra != extraValues.length) {
            throw new IllegalArgumentException(type.getSimpleName() + " takes " + extras + " besides its settings");
        }
        try {
            return constructor.newInstance(args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Checks each component against its setting's bounds; for the record's compact constructor, with
     * the components in record order: {@code BINDING.validate("model", name, layers, ...)}.
     */
    public void validate(String where, Object... componentValues) {
        if (componentValues.length != components.length) {
            throw new IllegalStateException(type.getSimpleName() + " has " + components.length + " components");
        }
        for (int i = 0; i < components.length; i++) {
            if (settingOf[i] != null) {
                checkOne(settingOf[i], fromComponent(componentValues[i]), where);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> void checkOne(Setting<T> s, Object value, String where) {
        s.check((T) value, where);
    }

    /** The record's settings as plain data by key, in declaration order (caller-supplied components left out). */
    public Map<String, Object> plain(R r) {
        Map<String, Object> byKey = new LinkedHashMap<>();
        for (Setting<?> s : block.settings()) {
            for (int i = 0; i < components.length; i++) {
                if (settingOf[i] == s) {
                    byKey.put(s.key(), plainOf(s, fromComponent(get(r, i))));
                }
            }
        }
        return byKey;
    }

    /** The record's settings as one line of HOCON, which {@link #read} reads back to an equal record. */
    public String render(R r) {
        return Block.render(plain(r));
    }

    @SuppressWarnings("unchecked")
    private static <T> Object plainOf(Setting<T> s, Object value) {
        return s.kind().plain((T) value);
    }

    private Object get(R r, int i) {
        try {
            return components[i].getAccessor().invoke(r);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Settings hold enums by their names the way HOCON writes them: lower case, '-' for '_' (any-symbol). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object toComponent(Object value, Class<?> type) {
        if (type.isEnum() && value instanceof String s) {
            return Enum.valueOf((Class) type, s.toUpperCase(Locale.ROOT).replace('-', '_'));
        }
        return value;
    }

    private static Object fromComponent(Object value) {
        return value instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT).replace('_', '-') : value;
    }

    /** {@code d-state} to {@code dState}. */
    static String camel(String key) {
        StringBuilder out = new StringBuilder();
        boolean up = false;
        for (char ch : key.toCharArray()) {
            if (ch == '-') {
                up = true;
            } else {
                out.append(up ? Character.toUpperCase(ch) : ch);
                up = false;
            }
        }
        return out.toString();
    }

    /** The components the caller supplies, for messages. */
    public List<String> extras() {
        return new ArrayList<>(extras);
    }
}
