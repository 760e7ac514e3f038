package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The nightly alarm: paired seeds, rerun tolerance, minimum effect, multiple-testing correction, exit and notification. */
class AlarmTest {
    @TempDir
    Path tmp;

    static final Alarm.Params HOLM = new Alarm.Params(0.05, "holm", 0.02, 0.0);

    private static Map<List<Object>, Map<Long, Double>> cells(double[][] accuracies) {
        Map<List<Object>, Map<Long, Double>> m = new LinkedHashMap<>();
        for (int c = 0; c < accuracies.length; c++) {
            Map<Long, Double> seeds = new LinkedHashMap<>();
            for (int s = 0; s < accuracies[c].length; s++) {
                seeds.put((long) s + 1, accuracies[c][s]);
            }
            m.put(List.of("cell" + c), seeds);
        }
        return m;
    }

    @Test
    void correctionsMatchTheirDefinitions() {
        double[] p = {0.01, 0.04, 0.03, 0.005};
        // Holm: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1, running max: 0.02, 0.03, 0.06, 0.06
        assertArrayEquals(new double[] {0.03, 0.06, 0.06, 0.02}, Alarm.holm(p), 1e-12);
        // BH: sorted times 4/1, 4/2, 4/3, 4/4 = 0.02, 0.02, 0.04, 0.04, running min from the top
        assertArrayEquals(new double[] {0.02, 0.04, 0.04, 0.02}, Alarm.benjaminiHochberg(p), 1e-12);
        // a paired t-test on differences -0.10, -0.12, -0.08: t = -0.1 / (0.02 / sqrt 3) = -8.66, 2 df
        assertEquals(0.00653, Alarm.pairedLowerTail(new double[] {-0.10, -0.12, -0.08}), 1e-4);
        assertEquals(1.0, Alarm.pairedLowerTail(new double[] {0.1, 0.1}));
    }

    @Test
    void pairsBySeedWithinToleranceAndMinimumEffect() {
        double[][] before = {{0.80, 0.70, 0.90}, {0.80, 0.70, 0.90}, {0.80, 0.70, 0.90}, {0.5}, {0.6, 0.6}};
        double[][] now = {
                {0.80, 0.70, 0.90},       // exact match: unchanged
                {0.70, 0.61, 0.79},       // every seed down about 0.1: a regression
                {0.795, 0.70, 0.894},     // down by less than the minimum effect: changed, not a regression
                {0.1},                    // one seed: cannot be tested
                {}};                      // no results now: lost
        Map<List<Object>, Map<Long, Double>> nowCells = cells(now);
        nowCells.put(List.of("cell4"), Map.of());
        List<Alarm.CellResult> r = Alarm.compare(nowCells, cells(before), HOLM, 0.0);
        assertEquals(List.of(Alarm.UNCHANGED, Alarm.REGRESSION, Alarm.CHANGED, Alarm.UNTESTED, Alarm.LOST),
                r.stream().map(Alarm.CellResult::status).toList());
        assertEquals(-0.1, r.get(1).change(), 1e-9);
        assertEquals(3, r.get(1).pairedSeeds());
        assertTrue(r.get(1).pAdjusted() < 0.05 && r.get(1).pAdjusted() >= r.get(1).pValue());
        // a tolerance taken from reruns absorbs differences of that size
        List<Alarm.CellResult> tolerant = Alarm.compare(cells(now), cells(before), HOLM, 0.01);
        assertEquals(Alarm.UNCHANGED, tolerant.get(2).status());
    }

    /** Many cells moving a little by chance: the correction keeps them quiet; one real drop still alarms. */
    @Test
    void testingManyCellsIsCorrected() {
        java.util.Random rnd = new java.util.Random(3);
        int cells = 49;
        double[][] before = new double[cells][];
        double[][] now = new double[cells][];
        for (int c = 0; c < cells; c++) {
            before[c] = new double[] {0.7, 0.7, 0.7};
            now[c] = new double[3];
            for (int s = 0; s < 3; s++) {
                now[c][s] = 0.7 - 0.03 + rnd.nextGaussian() * 0.05; // a small drop, lost in seed noise
            }
        }
        now[7] = new double[] {0.50, 0.51, 0.49};
        List<Alarm.CellResult> holm = Alarm.compare(cells(now), cells(before), HOLM, 0.0);
        long uncorrected = holm.stream().filter(c -> c.pValue() < 0.05 && -c.change() >= 0.02).count();
        assertTrue(uncorrected > 1, "without a correction some chance drops would alarm: " + uncorrected);
        assertEquals(List.of(7), regressed(holm));
        List<Alarm.CellResult> bh = Alarm.compare(cells(now), cells(before), new Alarm.Params(0.05, "bh", 0.02, 0),
                0.0);
        assertTrue(regressed(bh).contains(7));
        assertTrue(regressed(bh).size() <= uncorrected);
    }

    private static List<Integer> regressed(List<Alarm.CellResult> r) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < r.size(); i++) {
            if (r.get(i).flagged()) {
                out.add(i);
            }
        }
        return out;
    }

    /**
     * Two nights of a tiny sweep: a model that got worse on every seed gives exit 4 and runs the
     * notification command with the report; a night with no earlier sweep gives exit 5 when a
     * baseline is required; the same results again (a CPU rerun) are unchanged.
     */
    @Test
    void nightsEndWithTheirOwnExitStatusAndNotify() throws Exception {
        Path out = tmp.resolve("out");
        Path note = tmp.resolve("notified.txt");
        String notify = "report.notify=\"(echo status=$SELECTIVBENCH_STATUS exit=$SELECTIVBENCH_EXIT; cat) > " + note
                + "\"";
        List<String> common = List.of("grid.tasks=[task1]", "grid.learning-rates=[1e-3]", "grid.seeds=[1, 2, 3]",
                "report.require-baseline=true", "report.tolerance=0", notify);
        SweepCommand.Verdict first = night(out, "2026-01-01-n", common, 0, Set.of());
        assertEquals(SelectivBench.NO_BASELINE_EXIT, first.exitStatus());
        assertTrue(Files.readString(note).startsWith("status=no-baseline exit=5\nalarm: sweep 2026-01-01-n ended"),
                Files.readString(note));
        Files.delete(note);

        SweepCommand.Verdict same = night(out, "2026-01-02-n", common, 0, Set.of());
        assertEquals(0, same.exitStatus(), same.text());
        assertEquals(0, same.regressions());
        assertFalse(Files.exists(note), "no notification when all is well");

        SweepCommand.Verdict worse = night(out, "2026-01-03-n", common, -0.1, Set.of());
        assertEquals(SelectivBench.REGRESSION_EXIT, worse.exitStatus(), worse.text());
        assertEquals(2, worse.regressions(), "both models dropped on every seed");
        String mail = Files.readString(note);
        assertTrue(mail.startsWith("status=regression exit=4"), mail);
        assertTrue(mail.contains("regression") && mail.contains("against sweep 2026-01-02-n"), mail);
    }

    /** The same code rerun: its differences are the rerun tolerance, so they alarm nothing. */
    @Test
    void toleranceAutoComesFromRerunsAtOneCodeVersion() throws Exception {
        Path out = tmp.resolve("auto");
        List<String> common = List.of("grid.tasks=[task1]", "grid.learning-rates=[1e-3]", "grid.seeds=[1, 2, 3]");
        night(out, "2026-02-01-a", common, 0, Set.of());
        SweepCommand.Verdict rerun = night(out, "2026-02-02-a", common, -0.05, Set.of());
        assertEquals(0, rerun.exitStatus(), rerun.text());
        assertTrue(rerun.text().contains("tolerance 0.05"), rerun.text());
    }

    private SweepCommand.Verdict night(Path out, String id, List<String> extra, double offset, Set<String> failing)
            throws Exception {
        List<String> settings = new ArrayList<>(extra);
        settings.add("sweep.id=" + id);
        Config sb = Settings.load(null, SweepJobTest.tiny(out, settings.toArray(new String[0])));
        SweepJob job = new SweepJob(LocalSpark.get(), sb, new FakeExecutor(tmp.resolve(id + ".log"), failing, 0,
                offset));
        SweepCommand.Verdict v = SweepCommand.summarize(LocalSpark.get(), sb, job, job.run(new SweepPlan(sb)));
        v.report(sb, job.store());
        return v;
    }
}
