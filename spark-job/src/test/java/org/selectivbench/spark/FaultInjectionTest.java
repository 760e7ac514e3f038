package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each fault of the campaign once, on the tiny sweep: nothing lost, duplicated or mislabelled. The
 * campaign itself, repeated with figures, is FaultCampaignRun (see docs/results.md for the command).
 */
class FaultInjectionTest {
    @TempDir
    Path tmp;

    private static void assertClean(FaultCampaign c, int minFaults) {
        FaultCampaign.Figures f = c.figures;
        System.out.println(f.text());
        assertEquals(0, f.lost, f.text());
        assertEquals(0, f.duplicated, f.text());
        assertEquals(0, f.mislabelled, f.text());
        assertTrue(f.problems.isEmpty(), f.text());
        assertTrue(f.faultsTried() >= minFaults, "faults tried: " + f.text());
    }

    @Test
    void driverKilledAtARandomPoint() throws Exception {
        FaultCampaign c = new FaultCampaign(tmp, 3);
        c.driverKills(1);
        assertClean(c, 0); // the driver may finish before the kill: then nothing was injected
    }

    @Test
    void executorsKilledWhileRunsExecute() throws Exception {
        FaultCampaign c = new FaultCampaign(tmp, 5);
        c.executorKills(2);
        assertClean(c, 1);
    }

    @Test
    void writesFailAtRandom() throws Exception {
        FaultCampaign c = new FaultCampaign(tmp, 7);
        c.failingWrites(0.05);
        assertClean(c, 1);
    }

    @Test
    void damagedParquetFilesAreQuarantinedAndRedone() throws Exception {
        FaultCampaign c = new FaultCampaign(tmp, 9);
        c.corruptedFiles(3);
        assertClean(c, 3);
        // a damaged curve takes its run's row with it: at least one file set aside per damaged one
        assertTrue(c.figures.quarantined >= 3, "every damaged file was found and set aside: " + c.figures.text());
    }

    @Test
    void twoSweepsStartedOnOneRoot() throws Exception {
        FaultCampaign c = new FaultCampaign(tmp, 11);
        c.twoSweeps();
        assertClean(c, 1);
    }
}
