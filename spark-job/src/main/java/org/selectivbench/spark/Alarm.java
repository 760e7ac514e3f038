package org.selectivbench.spark;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.math3.distribution.TDistribution;

/**
 * The nightly alarm: is tonight's sweep worse than the previous sweep of its config?
 *
 * <p>Per cell (model, task, setting, grammar, width, layers, test split) the two sweeps are paired by
 * seed: each seed's accuracy (its best run over learning rate and warmup) tonight minus the same
 * seed's before. Differences within the rerun tolerance count as none; on the CPU, where training is
 * bit-identical, that tolerance is 0 and a rerun matches exactly. A cell whose differences are all
 * none is unchanged. Otherwise a one-sided paired t-test over its seeds asks whether the mean
 * difference is below zero; the p-values of all tested cells are corrected for testing many at once
 * (Holm, or Benjamini-Hochberg), and a cell regressed when its corrected p-value is below alpha and
 * its mean accuracy dropped by at least the minimum effect. A cell with one paired seed cannot be
 * tested (no spread to judge a difference by): it is reported as untested, never as a regression.
 * A cell that had results before and has none now (all its runs failed) is lost, and alarms too.
 */
final class Alarm {
    private Alarm() {
    }

    /** The report block's settings. */
    record Params(double alpha, String correction, double minEffect, double tolerance) {
        static Params of(Config sb) {
            Config r = sb.getConfig("report");
            return new Params(Keys.ALPHA.read(r, "report"), Keys.CORRECTION.read(r, "report"),
                    Keys.MIN_EFFECT.read(r, "report"), Keys.TOLERANCE.read(r, "report"));
        }
    }

    /** The verdict on one cell. */
    record CellResult(List<Object> cell, int seeds, int previousSeeds, int pairedSeeds, double meanAccuracy,
                      double previousAccuracy, double change, double pValue, double pAdjusted, String status) {
        boolean flagged() {
            return status.equals(REGRESSION) || status.equals(LOST);
        }
    }

    static final String UNCHANGED = "unchanged";
    static final String CHANGED = "changed";
    static final String UNTESTED = "untested";
    static final String REGRESSION = "regression";
    static final String LOST = "lost";
    static final String NEW = "new";

    /**
     * Compares two sweeps' per-seed accuracies, each by cell then seed; cells in neither order are
     * listed in their first appearance.
     */
    static List<CellResult> compare(Map<List<Object>, Map<Long, Double>> now, Map<List<Object>, Map<Long, Double>> before,
                                    Params p, double tolerance) {
        Set<List<Object>> cells = new LinkedHashSet<>(now.keySet());
        cells.addAll(before.keySet());
        List<CellResult> out = new ArrayList<>();
        List<Integer> tested = new ArrayList<>();
        List<double[]> stats = new ArrayList<>(); // {mean difference, p} per cell
        for (List<Object> cell : cells) {
            Map<Long, Double> a = now.getOrDefault(cell, Map.of());
            Map<Long, Double> b = before.getOrDefault(cell, Map.of());
            double meanNow = mean(a.values());
            double meanBefore = mean(b.values());
            List<Double> diffs = new ArrayList<>();
            for (Map.Entry<Long, Double> e : a.entrySet()) {
                Double prev = b.get(e.getKey());
                if (prev != null) {
                    double d = e.getValue() - prev;
                    diffs.add(Math.abs(d) <= tolerance ? 0.0 : d);
                }
            }
            double change = diffs.isEmpty() ? meanNow - meanBefore : mean(diffs);
            String status;
            double pValue = Double.NaN;
            if (a.isEmpty()) {
                status = LOST;
            } else if (b.isEmpty()) {
                status = NEW;
            } else if (diffs.stream().allMatch(d -> d == 0.0)) {
                status = diffs.isEmpty() ? UNTESTED : UNCHANGED;
                pValue = diffs.isEmpty() ? Double.NaN : 1.0;
            } else if (diffs.size() < 2) {
                status = UNTESTED;
            } else {
                status = CHANGED;
                pValue = pairedLowerTail(diffs.stream().mapToDouble(Double::doubleValue).toArray());
                tested.add(out.size());
            }
            out.add(new CellResult(cell, a.size(), b.size(), diffs.size(), meanNow, meanBefore, change, pValue,
                    Double.NaN, status));
            stats.add(new double[] {change, pValue});
        }
        double[] raw = tested.stream().mapToDouble(i -> stats.get(i)[1]).toArray();
        double[] adjusted = p.correction().equals("bh") ? benjaminiHochberg(raw) : holm(raw);
        for (int k = 0; k < tested.size(); k++) {
            int i = tested.get(k);
            CellResult c = out.get(i);
            boolean regressed = adjusted[k] < p.alpha() && -c.change() >= p.minEffect();
            out.set(i, new CellResult(c.cell(), c.seeds(), c.previousSeeds(), c.pairedSeeds(), c.meanAccuracy(),
                    c.previousAccuracy(), c.change(), c.pValue(), adjusted[k], regressed ? REGRESSION : CHANGED));
        }
        return out;
    }

    /**
     * One-sided paired t-test, H1: the mean difference is below 0. Differences that all agree (no
     * spread) give 0 or 1: every seed moved by the same amount.
     */
    static double pairedLowerTail(double[] d) {
        int n = d.length;
        double mean = Arrays.stream(d).average().orElse(0);
        double ss = 0;
        for (double x : d) {
            ss += (x - mean) * (x - mean);
        }
        double sd = Math.sqrt(ss / (n - 1));
        if (sd == 0) {
            return mean < 0 ? 0.0 : 1.0;
        }
        double t = mean / (sd / Math.sqrt(n));
        return new TDistribution(null, n - 1).cumulativeProbability(t);
    }

    /** Holm-Bonferroni adjusted p-values (family-wise error rate), in the input's order. */
    static double[] holm(double[] p) {
        int m = p.length;
        Integer[] order = order(p);
        double[] adj = new double[m];
        double running = 0;
        for (int k = 0; k < m; k++) {
            running = Math.max(running, Math.min(1.0, (m - k) * p[order[k]]));
            adj[order[k]] = running;
        }
        return adj;
    }

    /** Benjamini-Hochberg adjusted p-values (false discovery rate), in the input's order. */
    static double[] benjaminiHochberg(double[] p) {
        int m = p.length;
        Integer[] order = order(p);
        double[] adj = new double[m];
        double running = 1.0;
        for (int k = m - 1; k >= 0; k--) {
            running = Math.min(running, Math.min(1.0, p[order[k]] * m / (k + 1)));
            adj[order[k]] = running;
        }
        return adj;
    }

    private static Integer[] order(double[] p) {
        Integer[] idx = new Integer[p.length];
        for (int i = 0; i < p.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, Comparator.comparingDouble(i -> p[i]));
        return idx;
    }

    private static double mean(java.util.Collection<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** Groups rows of (cell..., seed, accuracy) by cell, then seed. */
    static Map<List<Object>, Map<Long, Double>> bySeed(List<List<Object>> cells, List<Long> seeds, List<Double> acc) {
        Map<List<Object>, Map<Long, Double>> m = new LinkedHashMap<>();
        for (int i = 0; i < cells.size(); i++) {
            m.computeIfAbsent(cells.get(i), k -> new LinkedHashMap<>()).put(seeds.get(i), acc.get(i));
        }
        return m;
    }
}
