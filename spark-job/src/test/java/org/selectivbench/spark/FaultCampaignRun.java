package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault-injection campaign, a command rather than part of the test suite (its name is not a
 * test class's): every fault of {@link FaultCampaign}, repeated, with the figures printed and written
 * to target/fault-campaign.txt. Run from the repository root:
 *
 * <pre>
 * mvn -B -pl spark-job -am test -Dtest=FaultCampaignRun -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dfaults.rounds=3 -Dfaults.seed=1
 * </pre>
 *
 * Each round kills the driver twice (SIGKILL or SIGINT at random points), kills three executors,
 * fails writes at random (8% of creates, renames and mkdirs), damages four Parquet files and starts
 * two sweeps on one root. It fails unless runs lost, duplicated and mislabelled are all 0.
 */
class FaultCampaignRun {
    @TempDir
    Path tmp;

    @Test
    void campaign() throws Exception {
        int rounds = Integer.getInteger("faults.rounds", 3);
        long seed = Long.getLong("faults.seed", 1);
        FaultCampaign c = new FaultCampaign(tmp, seed);
        long started = System.nanoTime();
        for (int i = 0; i < rounds; i++) {
            c.driverKills(2);
            c.executorKills(3);
            c.failingWrites(0.08);
            c.corruptedFiles(4);
            c.twoSweeps();
        }
        String text = c.figures.text() + String.format("%nseed %d, %d round(s) of each fault kind, %.0f s%n", seed,
                rounds, (System.nanoTime() - started) / 1e9);
        System.out.println(text);
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/fault-campaign.txt"), text);
        assertEquals(0, c.figures.lost + c.figures.duplicated + c.figures.mislabelled, text);
        assertEquals(0, c.figures.problems.size(), text);
    }
}
