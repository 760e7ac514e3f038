package org.selectivbench.settings;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The type of a setting: how its HOCON value is read (strictly: 8.5 is not an integer, a list is not
 * a string) and how a value is written back as plain data for rendering.
 *
 * @param <T> the Java type of the value
 */
public abstract class Kind<T> {
    private final String name;

    Kind(String name) {
        this.name = name;
    }

    /** The type as the key table shows it, e.g. "integer" or "list of numbers". */
    public String name() {
        return name;
    }

    /** Reads a value; throws {@link BadValue} with what was expected. */
    public abstract T read(ConfigValue v);

    /** The value as plain data (numbers, strings, booleans, lists, maps) for HOCON and JSON. */
    public Object plain(T value) {
        return value;
    }

    /** Thrown by {@link #read}: the message says what the value should have been. */
    public static final class BadValue extends RuntimeException {
        public BadValue(String expected) {
            super(expected);
        }
    }

    public static final Kind<Integer> INT = new Kind<>("integer") {
        @Override
        public Integer read(ConfigValue v) {
            long l = integral(v, "an integer");
            if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
                throw new BadValue("an integer within 32 bits");
            }
            return (int) l;
        }
    };

    public static final Kind<Long> LONG = new Kind<>("integer") {
        @Override
        public Long read(ConfigValue v) {
            return integral(v, "an integer");
        }
    };

    public static final Kind<Double> DOUBLE = new Kind<>("number") {
        @Override
        public Double read(ConfigValue v) {
            return number(v, "a number").doubleValue();
        }
    };

    public static final Kind<Boolean> BOOLEAN = new Kind<>("boolean") {
        @Override
        public Boolean read(ConfigValue v) {
            if (v.valueType() == ConfigValueType.BOOLEAN) {
                return (Boolean) v.unwrapped();
            }
            if (v.valueType() == ConfigValueType.STRING) {
                String s = ((String) v.unwrapped()).toLowerCase(Locale.ROOT);
                if (s.equals("true") || s.equals("false")) {
                    return Boolean.parseBoolean(s);
                }
            }
            throw new BadValue("true or false");
        }
    };

    public static final Kind<String> STRING = new Kind<>("string") {
        @Override
        public String read(ConfigValue v) {
            if (v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST
                    || v.valueType() == ConfigValueType.NULL) {
                throw new BadValue("a string");
            }
            return String.valueOf(v.unwrapped());
        }
    };

    /** A block of further keys, checked by whoever reads it (e.g. a grammar override). */
    public static final Kind<Config> OBJECT = new Kind<>("object") {
        @Override
        public Config read(ConfigValue v) {
            if (v.valueType() != ConfigValueType.OBJECT) {
                throw new BadValue("an object {key = value, ...}");
            }
            return ((ConfigObject) v).toConfig();
        }

        @Override
        public Object plain(Config value) {
            return value.root().unwrapped();
        }
    };

    /** A number for every name, or an object of numbers by name: {@code 4096} or {@code {default = 16384, gla = 8192}}. */
    public static final Kind<Map<String, Long>> LONG_BY_NAME = new Kind<>("integer, or integers by name") {
        @Override
        public Map<String, Long> read(ConfigValue v) {
            if (v.valueType() != ConfigValueType.OBJECT) {
                return Map.of("default", integral(v, "an integer or an object of integers by name"));
            }
            Map<String, Long> m = new LinkedHashMap<>();
            for (Map.Entry<String, ConfigValue> e : ((ConfigObject) v).entrySet()) {
                try {
                    m.put(e.getKey(), integral(e.getValue(), "an integer"));
                } catch (BadValue b) {
                    throw new BadValue("an integer for '" + e.getKey() + "'");
                }
            }
            return m;
        }
    };

    /** A number, or {@code auto} (read as NaN): a setting whose default is worked out from the data. */
    public static final Kind<Double> DOUBLE_OR_AUTO = new Kind<>("number or auto") {
        @Override
        public Double read(ConfigValue v) {
            if (v.valueType() == ConfigValueType.STRING && "auto".equals(v.unwrapped())) {
                return Double.NaN;
            }
            return number(v, "a number or auto").doubleValue();
        }

        @Override
        public Object plain(Double value) {
            return value.isNaN() ? "auto" : value;
        }
    };

    /** A list whose elements are each of {@code element}. */
    public static <E> Kind<List<E>> listOf(Kind<E> element) {
        String plural = element.name().equals("object") ? "objects" : element.name() + "s";
        return new Kind<>("list of " + plural) {
            @Override
            public List<E> read(ConfigValue v) {
                if (v.valueType() != ConfigValueType.LIST) {
                    throw new BadValue("a list [..] of " + plural);
                }
                List<E> out = new ArrayList<>();
                int i = 0;
                for (ConfigValue e : (ConfigList) v) {
                    try {
                        out.add(element.read(e));
                    } catch (BadValue b) {
                        throw new BadValue("a list of " + plural + " (element " + i + " is not " + b.getMessage() + ")");
                    }
                    i++;
                }
                return List.copyOf(out);
            }

            @Override
            public Object plain(List<E> value) {
                return value.stream().map(element::plain).toList();
            }
        };
    }

    private static Number number(ConfigValue v, String expected) {
        if (v.valueType() == ConfigValueType.NUMBER) {
            return (Number) v.unwrapped();
        }
        if (v.valueType() == ConfigValueType.STRING) {
            try {
                return Double.valueOf(((String) v.unwrapped()).trim());
            } catch (NumberFormatException e) {
                throw new BadValue(expected);
            }
        }
        throw new BadValue(expected);
    }

    /** Integers only: 8.5 is refused rather than cut to 8. */
    private static long integral(ConfigValue v, String expected) {
        Number n = number(v, expected);
        if (n instanceof Integer || n instanceof Long) {
            return n.longValue();
        }
        double d = n.doubleValue();
        if (d != Math.rint(d) || Math.abs(d) > 9.0e15) {
            throw new BadValue(expected);
        }
        return (long) d;
    }
}
