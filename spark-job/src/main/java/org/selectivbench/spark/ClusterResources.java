package org.selectivbench.spark;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.SparkConf;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.resource.ResourceProfileBuilder;
import org.apache.spark.resource.TaskResourceRequests;
import org.selectivbench.models.ops.Simd;

/**
 * What a sweep asks of the cluster: the cores (and GPU) of one run, the executor's GPU selection,
 * the executors' C2 trap limit, and warnings about executor settings a long sweep needs.
 *
 * <p>Only runs hold GPUs: they are submitted with a stage-level task resource profile of
 * {@code sweep.cores-per-run} CPUs and one GPU (when executors have GPUs), while dataset generation
 * and aggregation keep Spark's defaults (one CPU, no GPU). Local mode has no stage-level
 * scheduling; there {@code spark.task.cpus} is the run's cores.
 */
final class ClusterResources {
    private ClusterResources() {
    }

    static boolean local(String master) {
        return master.startsWith("local") && !master.startsWith("local-cluster");
    }

    private static boolean executorGpus(SparkConf conf) {
        return conf.getDouble("spark.executor.resource.gpu.amount", 0) > 0;
    }

    /** Settings the application needs before its executors start. */
    static void prepare(SparkConf conf, Config sb) {
        if (local(conf.get("spark.master"))) {
            conf.setIfMissing("spark.task.cpus", String.valueOf(sb.getInt("sweep.cores-per-run")));
        } else {
            // Without them some executors compile kernels that keep their vectors as objects (Simd's doc).
            for (String option : Simd.OPTIONS) {
                String options = conf.get("spark.executor.extraJavaOptions", "");
                String name = option.substring(0, option.indexOf('='));
                if (!options.contains(name + "=")) {
                    conf.set("spark.executor.extraJavaOptions", (options.isBlank() ? "" : options + " ") + option);
                }
            }
        }
        if (executorGpus(conf)) {
            String plugins = conf.get("spark.plugins", "");
            if (!List.of(plugins.split(",")).contains(GpuSelection.class.getName())) {
                conf.set("spark.plugins", plugins.isBlank() ? GpuSelection.class.getName()
                        : plugins + "," + GpuSelection.class.getName());
            }
            // Also set at launch, for anything CUDA-based that starts before the plugin.
            conf.setIfMissing("spark.executorEnv." + GpuSelection.ORDER, "PCI_BUS_ID");
        }
    }

    /** The resources of one run's task; empty in local mode. Refuses a run no executor could take. */
    static Optional<ResourceProfile> run(SparkConf conf, Config sb) {
        String master = conf.get("spark.master", "local[*]");
        if (local(master)) {
            return Optional.empty();
        }
        int cores = sb.getInt("sweep.cores-per-run");
        if (cores < 1) {
            throw new IllegalArgumentException("sweep.cores-per-run = " + cores + ": must be >= 1");
        }
        // Standalone executors take every core of their worker by default; YARN and Kubernetes one.
        boolean standalone = master.startsWith("spark://") || master.startsWith("local-cluster");
        int executorCores = conf.getInt("spark.executor.cores", standalone ? Integer.MAX_VALUE : 1);
        if (cores > executorCores) {
            throw new IllegalArgumentException("sweep.cores-per-run = " + cores + " is more than spark.executor.cores = "
                    + executorCores + ": no executor could take a run; raise spark.executor.cores or lower"
                    + " sweep.cores-per-run");
        }
        TaskResourceRequests task = new TaskResourceRequests().cpus(cores);
        if (executorGpus(conf)) {
            task.resource("gpu", 1);
        }
        return Optional.of(new ResourceProfileBuilder().require(task).build());
    }

    /** Executor settings a long sweep needs and the application lacks (docs/cluster.md). */
    static List<String> warnings(SparkConf conf) {
        List<String> out = new ArrayList<>();
        String master = conf.get("spark.master", "local[*]");
        if (master.startsWith("local")) {
            long limit = Simd.trapLimit(), cutoff = Simd.recompilationCutoff();
            if (Simd.on() && limit >= 0 && (limit < Simd.TRAP_LIMIT || cutoff < Simd.RECOMPILATION_CUTOFF)) {
                out.add("this JVM runs with -XX:PerMethodTrapLimit=" + limit + " -XX:PerMethodRecompilationCutoff="
                        + cutoff + ": kernels compiled late may keep their vectors as objects, 2-3 times slower; start"
                        + " it with " + String.join(" ", Simd.OPTIONS) + " (bin/selectivbench does)");
            }
            return out;
        }
        String javaOptions = conf.get("spark.executor.extraJavaOptions", "");
        for (String cap : List.of("org.bytedeco.javacpp.maxbytes", "org.bytedeco.javacpp.maxphysicalbytes")) {
            if (!javaOptions.contains("-D" + cap + "=")) {
                out.add("spark.executor.extraJavaOptions has no -D" + cap + "=...: ND4J's native memory on executors"
                        + " is bounded only by the garbage collector's pace and can outgrow the machine");
            }
        }
        for (String env : List.of("MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_")) {
            if (!conf.contains("spark.executorEnv." + env)) {
                out.add("spark.executorEnv." + env + " is not set: glibc keeps freed native arrays resident, so"
                        + " executors grow past JavaCPP's cap");
            }
        }
        if ((master.startsWith("yarn") || master.startsWith("k8s")) && !conf.contains("spark.executor.memoryOverhead")) {
            out.add("spark.executor.memoryOverhead is not set: the container leaves ND4J's native arrays only the"
                    + " default 10% beyond the heap and is killed when they need more");
        }
        if (conf.contains("spark.task.resource.gpu.amount")) {
            out.add("spark.task.resource.gpu.amount is set: every task holds a GPU, dataset generation and"
                    + " aggregation too; leave it out, runs request their GPU themselves");
        }
        return out;
    }
}
