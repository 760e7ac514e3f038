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
            "V11-A10-D4/task1/test-gap1", new Findings.Reference(0.05, 0.50, 0.99),
            "V11-A10-D4/task2/test-gap10", new Findings.Reference(0.05, 0.50, 0.99),
            "V11-A10-D4/task4/test-gap5", new Findings.Reference(0.05, 0.50, 0.99),
            "V11-A10-D4/task4/test-gap50", new Findings.Reference(0.05, 0.50, 0.99));

    private static void add(List<Findings.SeedResult> rs, String model, String task, String split, int gap,
                            double... bySeed) {
        for (int s = 0; s < bySeed.length; s++) {
            rs.add(new Findings.SeedResult(model, task, "V11-A10-D4", 32, 2, split, gap, s + 1, bySeed[s]));
        }
    }

    @Test
    void computesTheFindingsFromTheResults() {
        List<Findings.SeedResult> rs = new ArrayList<>();
        add(rs, "transformer", "task1", "test-gap1", 1, 0.95, 0.97);
        add(rs, "gated_delta_net", "task1", "test-gap1", 1, 0.80, 0.82);
        add(rs, "delta_net", "task1", "test-gap1", 1, 0.49, 0.51); // not above the baseline
        add(rs, "transformer", "task2", "test-gap10", 10, 0.70, 0.90); // leads, not clearly
        add(rs, "gated_delta_net", "task2", "test-gap10", 10, 0.68, 0.69);
        add(rs, "delta_net", "task2", "test-gap10", 10, 0.40, 0.42);
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
        add(rs, "gla", "task2", "test-gap10", 10, 0.9);
        add(rs, "linear_attention", "task2", "test-gap10", 10, 0.3);
        String all = String.join("\n", Findings.of(rs, REFS));
        assertTrue(all.contains("gla over linear_attention +0.600, one seed"), all);
    }

    @Test
    void groupsByGrammarAndWidth() {
        List<Findings.SeedResult> rs = new ArrayList<>();
        rs.add(new Findings.SeedResult("gla", "task1", "V21-A20-D20", 32, 2, "test-gap1", 1, 1, 0.8));
        rs.add(new Findings.SeedResult("gla", "task1", "V21-A20-D20", 64, 2, "test-gap1", 1, 1, 0.9));
        List<String> f = Findings.of(rs, REFS);
        assertEquals("V21-A20-D20, width 32, 2 layers:", f.get(0));
        assertTrue(f.contains("V21-A20-D20, width 64, 2 layers:"), f.toString());
    }

    /** Task 1 against grammar size (ordered by A x D, not by name) and against width, paired by seed. */
    @Test
    void task1AgainstGrammarSizeAndWidth() {
        List<Findings.SeedResult> rs = new ArrayList<>();
        double[][] gla = {{0.95, 0.97}, {0.90, 0.92}, {0.60, 0.62}}; // by grammar, at width 32
        double[][] gdn = {{0.96, 0.98}, {0.95, 0.96}, {0.90, 0.92}};
        String[] grammars = {"V5-A4-D4", "V7-A6-D6", "V11-A10-D10"}; // "V11" sorts first by name
        for (int g = 0; g < 3; g++) {
            for (int seed = 0; seed < 2; seed++) {
                rs.add(new Findings.SeedResult("gla", "task1", grammars[g], 32, 2, "test-gap1", 1, seed + 1, gla[g][seed]));
                rs.add(new Findings.SeedResult("gated_delta_net", "task1", grammars[g], 32, 2, "test-gap1", 1, seed + 1,
                        gdn[g][seed]));
            }
        }
        rs.add(new Findings.SeedResult("gla", "task1", "V11-A10-D10", 16, 2, "test-gap1", 1, 1, 0.40));
        rs.add(new Findings.SeedResult("gla", "task1", "V11-A10-D10", 16, 2, "test-gap1", 1, 2, 0.50));
        String all = String.join("\n", Findings.of(rs, REFS));
        assertTrue(all.contains("task 1 against grammar size at width 32, from V5-A4-D4 to V11-A10-D10, least loss"
                + " first: gated_delta_net 0.970 -> 0.910 (-0.060 ± 0.000, clear over 2 seeds), gla 0.960 -> 0.610"
                + " (-0.350 ± 0.000, clear over 2 seeds)"), all);
        assertTrue(all.contains("task 1 against width on V11-A10-D10, from 16 to 32, least loss first: gla 0.450 ->"
                + " 0.610 (+0.160 ± 0.057, clear over 2 seeds)"), all);
    }

    /** Each grammar's findings use that grammar's references. */
    @Test
    void referencesAreThoseOfTheGroupsGrammar() {
        List<Findings.SeedResult> rs = new ArrayList<>();
        rs.add(new Findings.SeedResult("gla", "task1", "V5-A4-D4", 32, 2, "test-gap1", 1, 1, 0.9));
        rs.add(new Findings.SeedResult("gla", "task1", "V9-A8-D8", 32, 2, "test-gap1", 1, 1, 0.9));
        String all = String.join("\n", Findings.of(rs, Map.of(
                "V5-A4-D4/task1/test-gap1", new Findings.Reference(0.06, 0.65, 0.94),
                "V9-A8-D8/task1/test-gap1", new Findings.Reference(0.03, 0.40, 0.99))));
        assertTrue(all.contains("V5-A4-D4, width 32, 2 layers:\n  task 1 (memorization): 1 of 1 models beat the"
                + " symbol-only baseline (0.650)"), all);
        assertTrue(all.contains("V9-A8-D8, width 32, 2 layers:\n  task 1 (memorization): 1 of 1 models beat the"
                + " symbol-only baseline (0.400)"), all);
    }
}
