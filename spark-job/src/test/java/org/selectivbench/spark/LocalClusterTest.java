package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sweeps on a real (one-machine) cluster: Spark's local-cluster mode, a standalone worker with
 * executor JVMs, and a discovery script that announces two GPUs.
 *
 * <p>GPU scheduling without GPUs: two runs scheduled at once must each get their own address, and
 * record it (local[N] mode cannot do this: GPU tasks hang there); only the runs' stages ask for
 * GPUs; the executor shows CUDA its GPUs before anything could start it. A lost executor: a run
 * whose JVM dies is recorded as failed with the reason, and the other runs finish.
 *
 * <p>The executor JVMs are launched the standalone way, which needs SPARK_HOME with a jars/
 * folder and SPARK_SCALA_VERSION; the surefire configuration sets both, the test makes the folder.
 */
class LocalClusterTest {
    @TempDir
    Path tmp;

    private SparkSession cluster(String... conf) throws Exception {
        String sparkHome = System.getenv("SPARK_HOME");
        assertNotNull(sparkHome, "surefire sets SPARK_HOME for this test");
        Files.createDirectories(Path.of(sparkHome, "jars"));
        Path script = tmp.resolve("gpus.sh");
        Files.writeString(script, "#!/usr/bin/env bash\necho '{\"name\": \"gpu\", \"addresses\": [\"0\", \"1\"]}'\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));

        LocalSpark.stop();
        // As Spark.session prepares a sweep's application: the GPU selection plugin, no task GPUs.
        SparkSession.Builder b = SparkSession.builder().master("local-cluster[1,2,1024]").appName("cluster-test")
                .config("spark.worker.resource.gpu.amount", "2")
                .config("spark.worker.resource.gpu.discoveryScript", script.toString())
                .config("spark.executor.resource.gpu.amount", "2")
                .config("spark.plugins", GpuSelection.class.getName())
                .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .config("spark.ui.enabled", "false");
        for (int i = 0; i < conf.length; i += 2) {
            b.config(conf[i], conf[i + 1]);
        }
        return b.getOrCreate();
    }

    @Test
    void eachConcurrentRunGetsItsOwnGpuAndOnlyRunsHoldGpus() throws Exception {
        SparkSession spark = cluster();
        Map<String, Set<Integer>> profilesByGroup = new ConcurrentHashMap<>();
        spark.sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onStageSubmitted(SparkListenerStageSubmitted e) {
                String group = e.properties() == null ? "none" : e.properties().getProperty("spark.jobGroup.id", "none");
                profilesByGroup.computeIfAbsent(group, g -> ConcurrentHashMap.newKeySet())
                        .add(e.stageInfo().resourceProfileId());
            }
        });
        try {
            Path log = tmp.resolve("log");
            Config sb = Settings.load(null, SweepJobTest.tiny(tmp.resolve("out"), "grid.tasks=[task1]",
                    "grid.seeds=[1]", "grid.learning-rates=[1e-3]"));
            SweepJob job = new SweepJob(spark, sb, new FakeExecutor(log, Set.of(), 3000));
            SweepJob.Summary s = job.run(new SweepPlan(sb));
            assertEquals(2, s.succeeded());
            List<Row> rows = new Aggregator(spark).runs(job.store()).select("device").collectAsList();
            Set<String> devices = new HashSet<>();
            rows.forEach(r -> devices.add(r.getString(0)));
            assertEquals(Set.of("gpu:0", "gpu:1"), devices);

            // The executor holds both GPUs: CUDA sees both, in PCI order, and each run's address maps
            // to CUDA's number for it.
            for (String line : FakeExecutor.details(log)) {
                assertTrue(line.contains(" CUDA_VISIBLE_DEVICES=0,1 CUDA_DEVICE_ORDER=PCI_BUS_ID "), line);
                String address = line.split(" ")[1].substring("gpu:".length());
                assertTrue(line.endsWith(" cuda-index=" + address), line);
            }

            // Generation runs under the default profile (no GPU); the runs under one asking for a GPU.
            var profiles = spark.sparkContext().resourceProfileManager();
            Set<Integer> generate = profilesByGroup.get("generate");
            Set<Integer> train = profilesByGroup.get("sweep-train");
            assertNotNull(generate, profilesByGroup.toString());
            assertNotNull(train, profilesByGroup.toString());
            for (int id : generate) {
                assertFalse(profiles.resourceProfileFromId(id).taskResourcesJMap().containsKey("gpu"),
                        "generation holds no GPU: " + profiles.resourceProfileFromId(id));
            }
            for (int id : train) {
                ResourceProfile p = profiles.resourceProfileFromId(id);
                assertEquals(1.0, p.taskResourcesJMap().get("gpu").amount(), p.toString());
                assertEquals(1.0, p.taskResourcesJMap().get("cpus").amount(), "sweep.cores-per-run: " + p);
            }
        } finally {
            spark.stop();
        }
    }

    @Test
    void aLostExecutorFailsOnlyItsRun() throws Exception {
        // One run at a time per executor: a dying executor takes down every task running in it, and
        // those are recorded as failed too (a rerun retries them); here only the culprit runs there.
        SparkSession spark = cluster("spark.task.maxFailures", "2");
        try {
            Config sb = Settings.load(null, SweepJobTest.tiny(tmp.resolve("lost"), "grid.tasks=[task1]",
                    "grid.seeds=[1]", "grid.learning-rates=[1e-3]", "sweep.cores-per-run=2",
                    "grid.models=[mamba2, " + FakeExecutor.KILLS_ITS_EXECUTOR + ", gla]"));
            SweepJob job = new SweepJob(spark, sb, new FakeExecutor(tmp.resolve("log2"), Set.of(), 500));
            SweepJob.Summary s = job.run(new SweepPlan(sb));
            assertEquals(2, s.succeeded());
            assertEquals(1, s.failed());
            Row lost = new Aggregator(spark).runs(job.store()).where("status = 'failed'").first();
            assertEquals(FakeExecutor.KILLS_ITS_EXECUTOR, lost.getAs("model"));
            String reason = lost.getAs("failure");
            assertTrue(reason.contains("Spark task failed") && reason.contains("137"), reason);
        } finally {
            spark.stop();
        }
    }
}
