package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.spark.SparkConf;
import org.apache.spark.resource.ResourceProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the application asks of a cluster, without one: resources of a run, the GPU selection,
 * warnings about executor settings, which GPUs the CUDA build runs on, and the user's log levels.
 */
class ClusterResourcesTest {
    @TempDir
    Path tmp;

    private static Config sb(String... overrides) {
        return Settings.load(null, List.of(overrides));
    }

    private static SparkConf conf(String master, String... pairs) {
        SparkConf c = new SparkConf(false).set("spark.master", master);
        for (int i = 0; i < pairs.length; i += 2) {
            c.set(pairs[i], pairs[i + 1]);
        }
        return c;
    }

    @Test
    void runsAloneAskForCoresAndAGpu() {
        assertTrue(ClusterResources.run(conf("local[4]"), sb()).isEmpty(), "local mode has no stage-level scheduling");
        ResourceProfile gpu = ClusterResources.run(conf("spark://m:7077", "spark.executor.cores", "4",
                "spark.executor.resource.gpu.amount", "1"), sb("sweep.cores-per-run=4")).orElseThrow();
        assertEquals(4.0, gpu.taskResourcesJMap().get("cpus").amount());
        assertEquals(1.0, gpu.taskResourcesJMap().get("gpu").amount());
        assertTrue(gpu.executorResourcesJMap().isEmpty(), "runs go to the executors there are");
        ResourceProfile cpu = ClusterResources.run(conf("yarn", "spark.executor.cores", "8"), sb("sweep.cores-per-run=2"))
                .orElseThrow();
        assertFalse(cpu.taskResourcesJMap().containsKey("gpu"), "no GPUs on the executors: none asked for");
        SettingsTest.assertError("sweep.cores-per-run = 8 is more than spark.executor.cores = 4", () ->
                ClusterResources.run(conf("spark://m:7077", "spark.executor.cores", "4"), sb("sweep.cores-per-run=8")));
        SettingsTest.assertError("sweep.cores-per-run = 2 is more than spark.executor.cores = 1", () ->
                ClusterResources.run(conf("k8s://https://api:6443"), sb("sweep.cores-per-run=2")));
    }

    @Test
    void executorsGetTheKernelsTrapLimit() {
        SparkConf bare = conf("spark://m:7077");
        ClusterResources.prepare(bare, sb());
        assertEquals("-XX:PerMethodTrapLimit=100000 -XX:PerMethodRecompilationCutoff=100000",
                bare.get("spark.executor.extraJavaOptions"));
        SparkConf some = conf("yarn", "spark.executor.extraJavaOptions", "-Dx=y -XX:MaxHeapFreeRatio=100");
        ClusterResources.prepare(some, sb());
        assertEquals("-Dx=y -XX:MaxHeapFreeRatio=100 -XX:PerMethodTrapLimit=100000 -XX:PerMethodRecompilationCutoff=100000",
                some.get("spark.executor.extraJavaOptions"), "added to the user's options");
        SparkConf own = conf("k8s://https://api:6443", "spark.executor.extraJavaOptions", "-XX:PerMethodTrapLimit=5000");
        ClusterResources.prepare(own, sb());
        assertEquals("-XX:PerMethodTrapLimit=5000 -XX:PerMethodRecompilationCutoff=100000",
                own.get("spark.executor.extraJavaOptions"), "the user's own stays");
        SparkConf local = conf("local[*]");
        ClusterResources.prepare(local, sb());
        assertFalse(local.contains("spark.executor.extraJavaOptions"), "local runs are this JVM, started with it");
    }

    @Test
    void executorsWithGpusGetTheSelectionPlugin() {
        SparkConf gpus = conf("spark://m:7077", "spark.executor.resource.gpu.amount", "1", "spark.plugins", "com.x.Other");
        ClusterResources.prepare(gpus, sb());
        assertEquals("com.x.Other," + GpuSelection.class.getName(), gpus.get("spark.plugins"));
        assertEquals("PCI_BUS_ID", gpus.get("spark.executorEnv.CUDA_DEVICE_ORDER"));
        assertFalse(gpus.contains("spark.task.cpus"), "generation keeps one core per task");
        SparkConf cpus = conf("spark://m:7077");
        ClusterResources.prepare(cpus, sb());
        assertFalse(cpus.contains("spark.plugins"));
        SparkConf local = conf("local[*]");
        ClusterResources.prepare(local, sb("sweep.cores-per-run=2"));
        assertEquals("2", local.get("spark.task.cpus"));
    }

    @Test
    void missingExecutorMemorySettingsAreNamed() {
        List<String> none = ClusterResources.warnings(conf("yarn"));
        for (String key : List.of("org.bytedeco.javacpp.maxbytes", "org.bytedeco.javacpp.maxphysicalbytes",
                "spark.executorEnv.MALLOC_ARENA_MAX", "spark.executorEnv.MALLOC_MMAP_THRESHOLD_",
                "spark.executor.memoryOverhead")) {
            assertTrue(none.stream().anyMatch(w -> w.contains(key)), key + " in " + none);
        }
        List<String> all = ClusterResources.warnings(conf("yarn",
                "spark.executor.extraJavaOptions", "-Dorg.bytedeco.javacpp.maxbytes=12g -Dorg.bytedeco.javacpp.maxphysicalbytes=30g",
                "spark.executorEnv.MALLOC_ARENA_MAX", "2", "spark.executorEnv.MALLOC_MMAP_THRESHOLD_", "1048576",
                "spark.executor.memoryOverhead", "16g"));
        assertEquals(List.of(), all);
        assertTrue(ClusterResources.warnings(conf("spark://m:7077", "spark.task.resource.gpu.amount", "1")).stream()
                .anyMatch(w -> w.contains("every task holds a GPU")));
        assertEquals(List.of(), ClusterResources.warnings(conf("local[*]")), "a laptop run needs none of them");
    }

    @Test
    void gpusTheCudaBuildRunsOn() {
        // SASS for these, and newer minors of the same major (Ada's sm_89 runs sm_86 code).
        for (int[] cc : new int[][] {{3, 7}, {5, 0}, {5, 3}, {6, 1}, {7, 0}, {7, 2}, {7, 5}, {8, 0}, {8, 6}, {8, 9}}) {
            assertNull(Nd4jDevice.unsupported("gpu", cc[0], cc[1]), cc[0] + "." + cc[1]);
        }
        // No PTX: nothing newer than its newest major, nor older than Kepler's sm_37.
        for (int[] cc : new int[][] {{3, 5}, {9, 0}, {10, 0}, {12, 0}}) {
            String why = Nd4jDevice.unsupported("NVIDIA H100", cc[0], cc[1]);
            assertNotNull(why, cc[0] + "." + cc[1]);
            assertTrue(why.contains("compute capability " + cc[0] + "." + cc[1]) && why.contains("CPU executors"), why);
        }
        assertEquals("cpu", Nd4jDevice.bind("gpu:0"), "the CPU backend reports the CPU, whatever Spark assigned");
    }

    @Test
    void selectionSetsTheEnvironmentNativeCodeReads() {
        assertEquals("GPU-8f3c,3", GpuSelection.environment(List.of("GPU-8f3c", "3")).get("CUDA_VISIBLE_DEVICES"));
        GpuSelection.select(List.of("GPU-8f3c", "3")); // an address need not be a number
        assertEquals("GPU-8f3c,3", GpuSelection.nativeEnv("CUDA_VISIBLE_DEVICES"));
        assertEquals("PCI_BUS_ID", GpuSelection.nativeEnv("CUDA_DEVICE_ORDER"));
        assertEquals(1, GpuSelection.cudaIndex("3"));
        assertEquals(-1, GpuSelection.cudaIndex("7"));
        GpuSelection.select(List.of());
    }

    @Test
    void anUnsupportedGpuStopsTheSweepWithItsReason() {
        Config c = Settings.load(null, SweepJobTest.tiny(tmp.resolve("out"), "grid.tasks=[task1]", "grid.seeds=[1]",
                "grid.learning-rates=[1e-3]", "grid.models=[" + FakeExecutor.UNSUPPORTED_GPU + "]"));
        SweepJob job = new SweepJob(LocalSpark.get(), c, new FakeExecutor(tmp.resolve("log"), Set.of(), 0));
        SettingsTest.assertError("GPU NVIDIA H100 has compute capability 9.0 (sm_90)", () -> {
            try {
                job.run(new SweepPlan(c));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    @Test
    void theUsersLogLevelsStand() {
        Level before = LogManager.getRootLogger().getLevel();
        try {
            Configurator.setRootLevel(Level.INFO);
            Spark.session(sb()); // the shared test session: getOrCreate returns it
            assertEquals(Level.INFO, LogManager.getRootLogger().getLevel());
        } finally {
            Configurator.setRootLevel(before);
        }
    }
}
