package org.selectivbench.settings;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The bounds of a setting, as in Spark ML's {@code ParamValidators}: a test and the words that
 * describe it, used both in the error for a bad value and in the key table.
 *
 * @param <T> the value type
 */
public interface Check<T> {
    /** What is wrong with {@code value}, or null when it is allowed. */
    String problem(T value);

    /** The allowed values in words, e.g. "1 to 53"; empty when anything goes. */
    String text();

    static <T> Check<T> any() {
        return of(v -> true, "");
    }

    static <T> Check<T> of(Predicate<T> ok, String text) {
        return new Check<>() {
            @Override
            public String problem(T value) {
                return ok.test(value) ? null : "must be " + text;
            }

            @Override
            public String text() {
                return text;
            }
        };
    }

    /** {@code value >= min}. */
    static <N extends Number> Check<N> atLeast(long min) {
        return of(v -> v.doubleValue() >= min, ">= " + min);
    }

    /** {@code min <= value <= max}. */
    static <N extends Number> Check<N> between(double min, double max) {
        return of(v -> v.doubleValue() >= min && v.doubleValue() <= max, num(min) + " to " + num(max));
    }

    /** An interval with open or closed ends, written as in mathematics: {@code (0, 1]}. */
    static <N extends Number> Check<N> interval(double min, boolean minIncluded, double max, boolean maxIncluded) {
        return of(v -> (minIncluded ? v.doubleValue() >= min : v.doubleValue() > min)
                        && (maxIncluded ? v.doubleValue() <= max : v.doubleValue() < max),
                "in " + (minIncluded ? "[" : "(") + num(min) + ", " + num(max) + (maxIncluded ? "]" : ")"));
    }

    static <T> Check<T> oneOf(Collection<T> allowed) {
        return of(allowed::contains, "one of " + allowed.stream().map(String::valueOf).collect(Collectors.joining(", ")));
    }

    static Check<String> matches(String regex, String text) {
        return of(s -> s.matches(regex), text);
    }

    /** A list with at least one element, each passing {@code each}. */
    static <E> Check<List<E>> nonEmptyEach(Check<? super E> each) {
        return new Check<>() {
            @Override
            public String problem(List<E> value) {
                if (value.isEmpty()) {
                    return "must name at least one value";
                }
                for (E e : value) {
                    String p = each.problem(e);
                    if (p != null) {
                        return "element " + e + " " + p;
                    }
                }
                return null;
            }

            @Override
            public String text() {
                return each.text().isEmpty() ? "at least one" : "at least one, each " + each.text();
            }
        };
    }

    /** Every element passes {@code each} (an empty list too). */
    static <E> Check<List<E>> each(Check<? super E> each) {
        return new Check<>() {
            @Override
            public String problem(List<E> value) {
                for (E e : value) {
                    String p = each.problem(e);
                    if (p != null) {
                        return "element " + e + " " + p;
                    }
                }
                return null;
            }

            @Override
            public String text() {
                return each.text().isEmpty() ? "" : "each " + each.text();
            }
        };
    }

    private static String num(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.format(Locale.ROOT, "%,d", (long) d)
                : String.valueOf(d);
    }
}
