package org.selectivbench.spark;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;
import org.apache.spark.resource.ResourceInformation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shows ND4J's CUDA backend only the GPUs Spark gave this executor, before the backend starts.
 *
 * <p>The backend, once loaded, initializes every GPU CUDA lets it see, and CUDA reads
 * {@code CUDA_VISIBLE_DEVICES} and {@code CUDA_DEVICE_ORDER} once, when it starts. A Spark executor
 * learns its GPU addresses only when it is launched, so no launch-time setting can name them; this
 * plugin runs when the executor starts, before any task, and sets both in the process's native
 * environment (Java's own view of the environment is read-only and CUDA does not read it). The
 * addresses are those of the discovery script (nvidia-smi indices, or UUIDs): with the PCI bus
 * order CUDA numbers GPUs as nvidia-smi does, and it takes UUIDs as they are.
 *
 * <p>The sweep registers the plugin ({@code spark.plugins}) when executors have GPUs.
 */
public final class GpuSelection implements SparkPlugin {
    static final String VISIBLE = "CUDA_VISIBLE_DEVICES";
    static final String ORDER = "CUDA_DEVICE_ORDER";
    private static final Logger LOG = LoggerFactory.getLogger(GpuSelection.class);

    /** The executor's GPU addresses in CUDA's order, once selected; empty before. */
    private static volatile List<String> selected = List.of();

    /** libc, for the process environment CUDA reads. */
    interface LibC extends Library {
        int setenv(String name, String value, int overwrite);

        String getenv(String name);
    }

    private static LibC libc() {
        return (LibC) Native.loadLibrary("c", LibC.class);
    }

    @Override
    public DriverPlugin driverPlugin() {
        return null;
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return new ExecutorPlugin() {
            @Override
            public void init(PluginContext ctx, Map<String, String> extraConf) {
                ResourceInformation gpu = ctx.resources().get("gpu");
                if (gpu != null && gpu.addresses().length > 0) {
                    select(List.of(gpu.addresses()));
                }
            }
        };
    }

    /** The environment that shows CUDA exactly these GPUs, numbered 0.. in this order. */
    static Map<String, String> environment(List<String> addresses) {
        return Map.of(VISIBLE, String.join(",", addresses), ORDER, "PCI_BUS_ID");
    }

    /** Sets the environment for {@code addresses} in this process; call before ND4J loads. */
    static synchronized void select(List<String> addresses) {
        LibC c = libc();
        String before = c.getenv(VISIBLE);
        for (Map.Entry<String, String> e : environment(addresses).entrySet()) {
            if (c.setenv(e.getKey(), e.getValue(), 1) != 0) {
                throw new IllegalStateException("setenv " + e.getKey() + " failed");
            }
        }
        selected = List.copyOf(addresses);
        LOG.info("executor GPUs {}: {}={} {}={} set before ND4J starts{}", addresses, VISIBLE, c.getenv(VISIBLE),
                ORDER, c.getenv(ORDER), before == null ? "" : " (was " + VISIBLE + "=" + before + ")");
    }

    /** The variable as native code (CUDA) sees it, or null. */
    static String nativeEnv(String name) {
        return libc().getenv(name);
    }

    /**
     * The CUDA device number of a task's GPU address within this executor, or -1 when the
     * executor's GPUs were never selected (the plugin did not run).
     */
    static int cudaIndex(String address) {
        return selected.indexOf(address);
    }
}
