package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The findings printer on results made up to have known answers: which models beat the baseline and by
 * how much, the ranking and whether attention leads clearly, gated against ungated models paired by seed,
 * and task 4's ordering by loss from the shortest to the longest gap, with one seed never called clear.
 */
class FindingsTest {
    private static final Map<String, Findings.Reference> REFS = Map.of(
            "task1/test", new Findings.Reference(0.05, 0.50, 0.99),
            "task2/test", new Findings.Reference(0.05, 0.50, 0.99),
            "task4/test-gap5", new Findings.Reference(0.05, 0.50, 0.99),
            "task4/test-gap50", new Findings.Reference(0.05, 0.50, 0.99));

    private static void add(List<Findings.SeedResult> rs, String model, String task, String split, int gap,
                            double... bySeed) {
        for (int s = 0; s < bySeed.length; s++) {
            rs.add(new Findings.SeedResult(model, task, "V11-A10-D4", 32, 2, split, gap, s + 1, bySeed[s]));
        }
    }

    @Test
    void computesTheFindingsFromTheResults() {
        List<Findings.SeedResult> rs = new ArrayList<>();
        add(rs, "transformer", "task1", "test", -1, 0.95, 0.97);
        add(rs, "gated_delta_net", "task1", "test", -1, 0.80, 0.82);
        add(rs, "delta_net", "task1", "test", -1, 0.49, 0.51); // not above the baseline
        add(rs, "transformer", "task2", "test", -1, 0.70, 0.90); // leads, not clearly
        add(rs, "gated_delta_net", "task2", "test", -1, 0.68, 0.69);
        add(rs, "delta_net", "task2", "test", -1, 0.40, 0.42);
        add(rs, "transformer", "task4", "test-gap5", 5, 0.90, 0.92);
        add(rs, "transformer", "task4", "test-gap50", 50, 0.10, 0.12);
        add(rs, "gated_delta_net", "task4", "test-gap5", 5, 0.70, 0.72);
        add(rs, "gated_delta_net", "task4", "test-gap50", 50, 0.66, 0.69);
        List<String> f = Findings.of(rs, REFS);
        String all = String.join("\n", f);
        assertTrue(all.contains("task 1 (memorization): 2 of 3 models beat the symbol-only baseline (0.500) by 0.310 to"
                + " 0.460; not: delta_net (0.500 ± 0.014)"), all);
        assertTrue(all.contains("task2 ranking: transformer 0.800 ± 0.141, gated_delta_net 0.685 ± 0.007, delta_net"
                + " 0.410 ± 0.014; softmax attention leads, not clearly; at or below symbol-only (0.500): delta_net"), all);
        assertTrue(all.contains("task1 ranking: transformer 0.960 ± 0.014, gated_delta_net 0.810 ± 0.014, delta_net"
                + " 0.500 ± 0.014; softmax attention leads clearly"), all);
        assertTrue(all.contains("gated_delta_net over delta_net +0.275 ± 0.007, clear over 2 seeds"), all);
        assertTrue(all.contains("from 5 to 50 gap steps, least loss first: gated_delta_net 0.710 -> 0.675 (-0.035"),
                all);
        int gdn = all.indexOf("gated_delta_net 0.710 -> 0.675"), tr = all.indexOf("transformer 0.910 -> 0.110");
        assertTrue(gdn > 0 && tr > gdn, all);
        assertTrue(all.contains("closer to chance (0.050) than to symbol-only (0.500): transformer"), all);
    }

    @Test
    void oneSeedIsNeverClear() {
        List<Findings.SeedResult> rs = new ArrayList<>();
        add(rs, "gla", "task2", "test", -1, 0.9);
        add(rs, "linear_attention", "task2", "test", -1, 0.3);
        String all = String.join("\n", Findings.of(rs, REFS));
        assertTrue(all.contains("gla over linear_attention +0.600, one seed"), all);
    }

    @Test
    void groupsByGrammarAndWidth() {
        List<Findings.SeedResult> rs = new ArrayList<>();
        rs.add(new Findings.SeedResult("gla", "task1", "V21-A20-D20", 32, 2, "test", -1, 1, 0.8));
        rs.add(new Findings.SeedResult("gla", "task1", "V21-A20-D20", 64, 2, "test", -1, 1, 0.9));
        List<String> f = Findings.of(rs, REFS);
        assertEquals("V21-A20-D20, width 32, 2 layers:", f.get(0));
        assertTrue(f.contains("V21-A20-D20, width 64, 2 layers:"), f.toString());
    }
}
