package org.selectivbench.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The conditioned sampler must draw strings with the law of "walk, discard if too long, redraw".
 * The reference enumerates every string of at most maxLength symbols with its walk probability
 * (uniform start, uniform out-edges), renormalized: no shared code with the sampler.
 */
class StringSamplerTest {

    @Test
    void matchesRejectionSamplingExactly() {
        // A small grammar and a short maximum, so that many walks would be rejected and all strings enumerate.
        Grammar g = Grammar.generate(new GrammarSpec(5, 2, 2, 2, 0.6, 1000, 11));
        int max = 5;
        Map<String, Double> exact = new HashMap<>();
        for (int s : g.startStates()) {
            enumerate(g, new ArrayList<>(List.of(s)), 1.0 / g.startStates().length, max, exact);
        }
        double mass = exact.values().stream().mapToDouble(Double::doubleValue).sum();
        assertTrue(mass > 0 && mass < 1, "some walks are longer than the maximum: " + mass);

        StringSampler sampler = new StringSampler(g, max);
        Rng rng = new Rng(5);
        int draws = 400_000;
        Map<String, Integer> seen = new HashMap<>();
        int[] buf = new int[max];
        for (int i = 0; i < draws; i++) {
            int len = sampler.draw(rng, buf);
            seen.merge(Arrays.toString(Arrays.copyOf(buf, len)), 1, Integer::sum);
        }
        for (String k : seen.keySet()) {
            assertTrue(exact.containsKey(k), "sampled an impossible string " + k);
        }
        for (Map.Entry<String, Double> e : exact.entrySet()) {
            double p = e.getValue() / mass;
            double observed = seen.getOrDefault(e.getKey(), 0) / (double) draws;
            double sigma = Math.sqrt(p * (1 - p) / draws);
            assertEquals(p, observed, 5 * sigma + 1e-9, "string " + e.getKey());
        }
    }

    private static void enumerate(Grammar g, List<Integer> path, double p, int max, Map<String, Double> out) {
        int last = path.get(path.size() - 1);
        if (last == Grammar.END) {
            out.put(path.toString(), p);
            return;
        }
        if (path.size() == max) {
            return; // would exceed the maximum: rejected
        }
        int[] edges = g.outEdges(last);
        for (int t : edges) {
            path.add(t);
            enumerate(g, path, p / edges.length, max, out);
            path.remove(path.size() - 1);
        }
    }

    @Test
    void noStringShortEnoughIsAClearError() {
        Grammar g = Grammar.generate(Fixtures.grammar(41, 40, 40, 1));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new StringSampler(g, 1));
        assertTrue(e.getMessage().contains("data.max-string-length = 1"), e.getMessage());
    }
}
