package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GPU scheduling without GPUs: Spark's local-cluster mode (a real standalone worker with executor
 * JVMs) and a discovery script that announces two GPUs. Two runs scheduled at once must each get
 * their own address, and record it. (local[N] mode cannot do this: GPU tasks hang there.)
 *
 * <p>The executor JVMs are launched the standalone way, which needs SPARK_HOME with a jars/
 * folder and SPARK_SCALA_VERSION; the surefire configuration sets both, the test makes the folder.
 */
class GpuSchedulingTest {
    @TempDir
    Path tmp;

    @Test
    void eachConcurrentRunGetsItsOwnGpu() throws Exception {
        String sparkHome = System.getenv("SPARK_HOME");
        assertNotNull(sparkHome, "surefire sets SPARK_HOME for this test");
        Files.createDirectories(Path.of(sparkHome, "jars"));
        Path script = tmp.resolve("gpus.sh");
        Files.writeString(script, "#!/usr/bin/env bash\necho '{\"name\": \"gpu\", \"addresses\": [\"0\", \"1\"]}'\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));

        LocalSpark.stop();
        SparkSession spark = SparkSession.builder().master("local-cluster[1,2,1024]").appName("gpu-test")
                .config("spark.worker.resource.gpu.amount", "2")
                .config("spark.worker.resource.gpu.discoveryScript", script.toString())
                .config("spark.executor.resource.gpu.amount", "2")
                .config("spark.task.resource.gpu.amount", "1")
                .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        try {
            Config sb = Settings.load(null, SweepJobTest.tiny(tmp.resolve("out"), "grid.tasks=[task1]",
                    "grid.seeds=[1]", "grid.learning-rates=[1e-3]"));
            SweepJob job = new SweepJob(spark, sb, new FakeExecutor(tmp.resolve("log"), Set.of(), 3000));
            SweepJob.Summary s = job.run(new SweepPlan(sb));
            assertEquals(2, s.succeeded());
            List<Row> rows = new Aggregator(spark).runs(job.store()).select("device").collectAsList();
            Set<String> devices = new HashSet<>();
            rows.forEach(r -> devices.add(r.getString(0)));
            assertEquals(Set.of("gpu:0", "gpu:1"), devices);
        } finally {
            spark.stop();
        }
    }
}
