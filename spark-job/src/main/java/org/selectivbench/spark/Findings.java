package org.selectivbench.spark;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The findings a sweep's results support, computed from them (never written by hand): for each group of
 * runs that share a grammar, width and depth, the paper's questions asked of the numbers at hand
 * (SPEC 5 and the taxonomy of SPEC 6):
 * <ul>
 *   <li>memorization (task 1): which models beat the symbol-only baseline, and by how much;</li>
 *   <li>the ranking on tasks 1-3, and whether softmax attention leads;</li>
 *   <li>gating and fast forgetting (tasks 2 and 3): each gated model beside its ungated relative, and the
 *       fast-forgetting models against the others;</li>
 *   <li>in-state channel mixing (the delta family) against the diagonal models, for selectivity (tasks 2
 *       and 3) and for generalization (task 4);</li>
 *   <li>gap generalization (task 4): each model's accuracy from the shortest to the longest test gap,
 *       the change paired by seed, and who loses least;</li>
 *   <li>across groups, task 1 against grammar size and against width (the paper's complexity and
 *       model-size sweeps).</li>
 * </ul>
 * A difference is called clear when it exceeds twice its standard error over seeds (paired by seed where
 * the same seeds were run); with one seed nothing is called clear.
 */
final class Findings {
    /** SPEC 6's taxonomy. */
    static final Set<String> FAST_FORGETTING = Set.of("mamba", "mamba2", "gated_delta_net", "gated_delta_product");
    static final Set<String> CHANNEL_MIXING = Set.of("delta_net", "gated_delta_net", "gated_delta_product");
    static final Set<String> DIAGONAL = Set.of("mamba", "mamba2", "gla", "linear_attention", "s4d");
    /** Each gated model beside the ungated model it extends. */
    static final List<String[]> GATED_PAIRS = List.of(new String[] {"gated_delta_net", "delta_net"},
            new String[] {"gla", "linear_attention"}, new String[] {"mamba2", "linear_attention"});

    /** The best run's final accuracy of one seed in one cell. */
    record SeedResult(String model, String task, String grammar, int width, int layers, String testSplit, int gapSteps,
                      long seed, double accuracy) {
    }

    /** The references of a test split, keyed by grammar label, task and split: "V41-A40-D40/task2/test-gap10". */
    record Reference(double chance, double symbolOnly, double oracle) {
    }

    private Findings() {
    }

    /** The findings as lines of text, one group after another. */
    static List<String> of(List<SeedResult> results, Map<String, Reference> refs) {
        Map<String, List<SeedResult>> groups = results.stream().collect(Collectors.groupingBy(
                r -> r.grammar() + ", width " + r.width() + ", " + r.layers() + " layers", TreeMap::new,
                Collectors.toList()));
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, List<SeedResult>> g : groups.entrySet()) {
            if (groups.size() > 1) {
                out.add(g.getKey() + ":");
            }
            new Group(g.getValue(), refs, groups.size() > 1 ? "  " : "").write(out);
        }
        scaling(results, out);
        if (out.isEmpty()) {
            out.add("no successful runs: no findings");
        }
        return out;
    }

    private static final java.util.regex.Pattern GRAMMAR_SIZE = java.util.regex.Pattern.compile("A(\\d+)-D(\\d+)");

    /** Ambiguous hidden states of a grammar label (V41-A40-D40: 40 x 40), to order grammars by size. */
    static int grammarSize(String label) {
        java.util.regex.Matcher m = GRAMMAR_SIZE.matcher(label);
        return m.find() ? Integer.parseInt(m.group(1)) * Integer.parseInt(m.group(2)) : 0;
    }

    /**
     * Task 1 across grammar sizes (at the widest width) and across widths (at the largest grammar), as the
     * paper's complexity and model-size sweeps: each model's accuracy at both ends, the change paired by seed.
     */
    private static void scaling(List<SeedResult> all, List<String> out) {
        List<SeedResult> t1 = all.stream().filter(r -> r.task().equals("task1")).toList();
        TreeSet<Integer> widths = t1.stream().map(SeedResult::width).collect(Collectors.toCollection(TreeSet::new));
        List<String> grammars = t1.stream().map(SeedResult::grammar).distinct()
                .sorted(Comparator.comparingInt(Findings::grammarSize).thenComparing(Comparator.naturalOrder())).toList();
        if (grammars.size() >= 2) {
            int w = widths.last();
            out.add(ends(t1, fmt("task 1 against grammar size at width %d, from %s to %s, least loss first: ", w,
                    grammars.get(0), grammars.get(grammars.size() - 1)),
                    r -> r.width() == w && r.grammar().equals(grammars.get(0)),
                    r -> r.width() == w && r.grammar().equals(grammars.get(grammars.size() - 1))));
        }
        if (widths.size() >= 2) {
            String g = grammars.get(grammars.size() - 1);
            out.add(ends(t1, fmt("task 1 against width on %s, from %d to %d, least loss first: ", g, widths.first(),
                    widths.last()), r -> r.grammar().equals(g) && r.width() == widths.first(),
                    r -> r.grammar().equals(g) && r.width() == widths.last()));
        }
    }

    /** Each model from one end to the other (mean over seeds), and the change paired by seed, ordered. */
    private static String ends(List<SeedResult> rs, String title, Predicate<SeedResult> from, Predicate<SeedResult> to) {
        Map<String, Map<Long, Double>> a = bySeed(rs, from), b = bySeed(rs, to);
        List<Map.Entry<String, Stat>> changes = new ArrayList<>();
        for (String m : new TreeSet<>(a.keySet())) {
            List<Double> d = new ArrayList<>();
            a.get(m).forEach((seed, acc) -> {
                Double other = b.getOrDefault(m, Map.of()).get(seed);
                if (other != null) {
                    d.add(other - acc);
                }
            });
            if (!d.isEmpty()) {
                changes.add(Map.entry(m, Stat.of(d)));
            }
        }
        return title + changes.stream()
                .sorted(Comparator.comparingDouble((Map.Entry<String, Stat> e) -> -e.getValue().mean()))
                .map(e -> fmt("%s %.3f -> %.3f (%+.3f%s)", e.getKey(), mean(a.get(e.getKey())),
                        mean(b.get(e.getKey())), e.getValue().mean(), Group.verdict(e.getValue())))
                .collect(Collectors.joining(", "));
    }

    private static Map<String, Map<Long, Double>> bySeed(List<SeedResult> rs, Predicate<SeedResult> which) {
        Map<String, Map<Long, Double>> m = new TreeMap<>();
        for (SeedResult r : rs) {
            if (which.test(r)) {
                m.computeIfAbsent(r.model(), k -> new TreeMap<>()).put(r.seed(), r.accuracy());
            }
        }
        return m;
    }

    private static double mean(Map<Long, Double> bySeed) {
        return bySeed.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** Mean, standard deviation and count of a sample. */
    record Stat(double mean, double sd, int n) {
        static Stat of(List<Double> xs) {
            double m = xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            double ss = xs.stream().mapToDouble(x -> (x - m) * (x - m)).sum();
            return new Stat(m, xs.size() > 1 ? Math.sqrt(ss / (xs.size() - 1)) : 0, xs.size());
        }

        /** Whether the mean is clearly above 0: more than twice its standard error, with two or more values. */
        boolean clearlyPositive() {
            return n >= 2 && mean > 2 * sd / Math.sqrt(n);
        }

        boolean clearlyNegative() {
            return n >= 2 && -mean > 2 * sd / Math.sqrt(n);
        }

        String show() {
            return n > 1 ? fmt("%.3f ± %.3f", mean, sd) : fmt("%.3f", mean);
        }
    }

    private static final class Group {
        private final List<SeedResult> results;
        private final Map<String, Reference> refs;
        private final String indent;

        Group(List<SeedResult> results, Map<String, Reference> refs, String indent) {
            this.results = results;
            this.refs = refs;
            this.indent = indent;
        }

        void write(List<String> out) {
            memorization(out);
            for (String task : List.of("task1", "task2", "task3")) {
                ranking(task, out);
            }
            gating(out);
            mixing(out);
            gaps(out);
        }

        /** The references of a split of this group's grammar (they differ from grammar to grammar). */
        private Reference ref(String task, String split) {
            return results.isEmpty() ? null : refs.get(results.get(0).grammar() + "/" + task + "/" + split);
        }

        /** The test split a task's runs report: tasks 1-3 report one, named after its gap (test-gap1, ...). */
        private String split(String task) {
            return results.stream().filter(r -> r.task().equals(task))
                    .collect(Collectors.groupingBy(SeedResult::testSplit, TreeMap::new, Collectors.counting()))
                    .entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse("");
        }

        /** Accuracy by seed of a model on a task's split. */
        private Map<Long, Double> seeds(String model, String task, String split) {
            Map<Long, Double> m = new TreeMap<>();
            for (SeedResult r : results) {
                if (r.model().equals(model) && r.task().equals(task) && r.testSplit().equals(split)) {
                    m.put(r.seed(), r.accuracy());
                }
            }
            return m;
        }

        private Stat stat(String model, String task, String split) {
            return Stat.of(List.copyOf(seeds(model, task, split).values()));
        }

        private Set<String> models(String task, String split) {
            return results.stream().filter(r -> r.task().equals(task) && r.testSplit().equals(split))
                    .map(SeedResult::model).collect(Collectors.toCollection(TreeSet::new));
        }

        private void memorization(List<String> out) {
            Set<String> ms = models("task1", split("task1"));
            Reference ref = ref("task1", split("task1"));
            if (ms.isEmpty() || ref == null) {
                return;
            }
            List<String> beat = new ArrayList<>(), not = new ArrayList<>();
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (String m : ms) {
                Stat s = stat(m, "task1", split("task1"));
                Stat margin = new Stat(s.mean() - ref.symbolOnly(), s.sd(), s.n());
                if (margin.clearlyPositive() || s.n() < 2 && margin.mean() > 0) {
                    beat.add(m);
                    lo = Math.min(lo, margin.mean());
                    hi = Math.max(hi, margin.mean());
                } else {
                    not.add(m + " (" + s.show() + ")");
                }
            }
            String line = fmt("task 1 (memorization): %d of %d models beat the symbol-only baseline (%.3f)", beat.size(),
                    ms.size(), ref.symbolOnly());
            if (!beat.isEmpty()) {
                line += fmt(" by %.3f to %.3f", lo, hi);
            }
            if (!not.isEmpty()) {
                line += "; not: " + String.join(", ", not);
            }
            out.add(indent + line + fmt(" (oracle %.3f, chance %.3f)", ref.oracle(), ref.chance()));
        }

        private void ranking(String task, List<String> out) {
            String split = split(task);
            Set<String> ms = models(task, split);
            if (ms.size() < 2) {
                return;
            }
            List<Map.Entry<String, Stat>> ranked = ms.stream()
                    .map(m -> Map.entry(m, stat(m, task, split)))
                    .sorted(Comparator.comparingDouble((Map.Entry<String, Stat> e) -> -e.getValue().mean()))
                    .toList();
            String list = ranked.stream().map(e -> e.getKey() + " " + e.getValue().show())
                    .collect(Collectors.joining(", "));
            String line = fmt("%s ranking: %s", task, list);
            if (ms.contains("transformer")) {
                String top = ranked.get(0).getKey();
                if (top.equals("transformer")) {
                    Stat lead = paired("transformer", ranked.get(1).getKey(), task, split);
                    line += lead != null && lead.clearlyPositive() ? "; softmax attention leads clearly"
                            : "; softmax attention leads, not clearly";
                } else {
                    line += "; softmax attention does not lead";
                }
            }
            Reference ref = ref(task, split);
            if (ref != null) {
                List<String> below = ranked.stream().filter(e -> e.getValue().mean() <= ref.symbolOnly())
                        .map(Map.Entry::getKey).toList();
                if (!below.isEmpty()) {
                    line += fmt("; at or below symbol-only (%.3f): %s", ref.symbolOnly(), String.join(", ", below));
                }
            }
            out.add(indent + line);
        }

        /** a - b paired by the seeds both ran (null without any). */
        private Stat paired(String a, String b, String task, String split) {
            Map<Long, Double> sa = seeds(a, task, split), sb = seeds(b, task, split);
            List<Double> d = new ArrayList<>();
            for (Map.Entry<Long, Double> e : sa.entrySet()) {
                Double other = sb.get(e.getKey());
                if (other != null) {
                    d.add(e.getValue() - other);
                }
            }
            return d.isEmpty() ? null : Stat.of(d);
        }

        private void gating(List<String> out) {
            for (String task : List.of("task2", "task3")) {
                List<String> parts = new ArrayList<>();
                for (String[] pair : GATED_PAIRS) {
                    Stat d = paired(pair[0], pair[1], task, split(task));
                    if (d != null) {
                        parts.add(fmt("%s over %s %+.3f%s", pair[0], pair[1], d.mean(), verdict(d)));
                    }
                }
                Stat ff = groupDifference(task, split(task), FAST_FORGETTING::contains,
                        m -> !FAST_FORGETTING.contains(m) && !m.equals("transformer"));
                if (ff != null) {
                    parts.add(fmt("fast-forgetting models over the other recurrent models %+.3f on average",
                            ff.mean()));
                }
                if (!parts.isEmpty()) {
                    out.add(indent + task + " (gating): " + String.join("; ", parts));
                }
            }
        }

        /** Mean accuracy of one group of models minus another's (each over its models' seed means). */
        private Stat groupDifference(String task, String split, Predicate<String> a, Predicate<String> b) {
            List<Double> ma = new ArrayList<>(), mb = new ArrayList<>();
            for (String m : models(task, split)) {
                double mean = stat(m, task, split).mean();
                if (a.test(m)) {
                    ma.add(mean);
                } else if (b.test(m)) {
                    mb.add(mean);
                }
            }
            if (ma.isEmpty() || mb.isEmpty()) {
                return null;
            }
            return new Stat(Stat.of(ma).mean() - Stat.of(mb).mean(), 0, 1);
        }

        private void mixing(List<String> out) {
            List<String> parts = new ArrayList<>();
            for (String task : List.of("task2", "task3")) {
                Stat d = groupDifference(task, split(task), CHANNEL_MIXING::contains, DIAGONAL::contains);
                if (d != null) {
                    parts.add(fmt("%s %+.3f", task, d.mean()));
                }
            }
            if (!parts.isEmpty()) {
                out.add(indent + "channel mixing (delta family minus diagonal models, mean accuracy): "
                        + String.join(", ", parts));
            }
        }

        private void gaps(List<String> out) {
            TreeSet<Integer> gapSet = results.stream().filter(r -> r.task().equals("task4") && r.gapSteps() > 0)
                    .map(SeedResult::gapSteps).collect(Collectors.toCollection(TreeSet::new));
            if (gapSet.size() < 2) {
                return;
            }
            String first = "test-gap" + gapSet.first(), last = "test-gap" + gapSet.last();
            Map<String, Stat> drops = new LinkedHashMap<>();
            for (String m : models("task4", last)) {
                Map<Long, Double> a = seeds(m, "task4", first), b = seeds(m, "task4", last);
                List<Double> d = new ArrayList<>();
                a.forEach((seed, acc) -> {
                    if (b.containsKey(seed)) {
                        d.add(b.get(seed) - acc);
                    }
                });
                if (!d.isEmpty()) {
                    drops.put(m, Stat.of(d));
                }
            }
            if (drops.isEmpty()) {
                return;
            }
            List<String> ranked = drops.entrySet().stream()
                    .sorted(Comparator.comparingDouble((Map.Entry<String, Stat> e) -> -e.getValue().mean()))
                    .map(e -> fmt("%s %.3f -> %.3f (%+.3f%s)", e.getKey(), stat(e.getKey(), "task4", first).mean(),
                            stat(e.getKey(), "task4", last).mean(), e.getValue().mean(), verdict(e.getValue())))
                    .toList();
            out.add(indent + fmt("task 4 (gap generalization), from %d to %d gap steps, least loss first: %s",
                    gapSet.first(), gapSet.last(), String.join(", ", ranked)));
            Reference ref = ref("task4", last);
            if (ref != null) {
                List<String> nearChance = drops.keySet().stream()
                        .filter(m -> stat(m, "task4", last).mean() < ref.chance() + 0.5 * (ref.symbolOnly() - ref.chance()))
                        .toList();
                if (!nearChance.isEmpty()) {
                    out.add(indent + fmt("task 4 at %d steps, closer to chance (%.3f) than to symbol-only (%.3f): %s",
                            gapSet.last(), ref.chance(), ref.symbolOnly(), String.join(", ", nearChance)));
                }
            }
            Map<String, Double> dropMeans = new LinkedHashMap<>();
            drops.forEach((m, s) -> dropMeans.put(m, s.mean()));
            double mix = dropMeans.entrySet().stream().filter(e -> CHANNEL_MIXING.contains(e.getKey()))
                    .mapToDouble(Map.Entry::getValue).average().orElse(Double.NaN);
            double diag = dropMeans.entrySet().stream().filter(e -> DIAGONAL.contains(e.getKey()))
                    .mapToDouble(Map.Entry::getValue).average().orElse(Double.NaN);
            if (!Double.isNaN(mix) && !Double.isNaN(diag)) {
                out.add(indent + fmt("task 4: the delta family changes by %+.3f on average, the diagonal models by %+.3f",
                        mix, diag));
            }
        }

        private static String verdict(Stat d) {
            if (d.n() < 2) {
                return ", one seed";
            }
            return d.clearlyPositive() || d.clearlyNegative() ? fmt(" ± %.3f, clear over %d seeds", d.sd(), d.n())
                    : fmt(" ± %.3f, not clear over %d seeds", d.sd(), d.n());
        }
    }

    private static String fmt(String f, Object... args) {
        return String.format(Locale.ROOT, f, args);
    }
}
