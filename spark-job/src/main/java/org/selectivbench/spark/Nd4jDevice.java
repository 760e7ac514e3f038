package org.selectivbench.spark;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.nd4j.linalg.api.environment.Nd4jEnvironment;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The device ND4J runs a task's work on, as ND4J reports it, and the checks that the device is the
 * one Spark assigned and one the CUDA build can run on.
 */
final class Nd4jDevice {
    private Nd4jDevice() {
    }

    /** Thrown when this build's CUDA code cannot run on the GPU; the sweep stops at the first one. */
    static final class UnsupportedGpuException extends IllegalStateException {
        UnsupportedGpuException(String message) {
            super(message);
        }
    }

    /**
     * The CUDA build (nd4j-cuda-11.6 1.0.0-M2.1) carries machine code for these compute
     * capabilities and no PTX: a GPU runs it when its major version matches and its minor version
     * is at least one of these (Ada, sm_89, runs sm_86 code); nothing runs on Hopper (sm_90) or later.
     */
    static final List<Integer> SASS = List.of(37, 50, 52, 60, 61, 70, 75, 80, 86);

    /** Null when the GPU can run the CUDA build, else why not. */
    static String unsupported(String name, int major, int minor) {
        boolean ok = SASS.stream().anyMatch(s -> s / 10 == major && s % 10 <= minor);
        return ok ? null : String.format("GPU %s has compute capability %d.%d (sm_%d%d); the CUDA build"
                + " (nd4j-cuda-11.6 1.0.0-M2.1) has code for sm_37, 50, 52, 60, 61, 70, 75, 80 and 86 and no"
                + " PTX, so it cannot run there: use a supported GPU or CPU executors (the default build);"
                + " see docs/cluster.md", name, major, minor, major, minor);
    }

    /**
     * Points ND4J at the task's GPU and returns what ND4J reports it uses: {@code cpu}, or
     * {@code cuda:N NAME (sm_XY)} with N CUDA's number for it within the executor.
     *
     * @param device the task's device: {@code cpu} or {@code gpu:ADDRESS} as Spark assigned it
     */
    static String bind(String device) {
        if (Nd4j.getEnvironment().isCPU()) {
            return "cpu";
        }
        if (device.startsWith("gpu:")) {
            int index = GpuSelection.cudaIndex(device.substring(4));
            if (index < 0) {
                throw new IllegalStateException("Spark gave this task " + device + " but the executor's GPUs were"
                        + " not selected before ND4J started (spark.plugins lacks " + GpuSelection.class.getName()
                        + "; the sweep adds it when spark.executor.resource.gpu.amount is set)");
            }
            Nd4j.getAffinityManager().unsafeSetDevice(index);
        }
        return describe(Nd4j.getAffinityManager().getDeviceForCurrentThread());
    }

    @SuppressWarnings("unchecked")
    private static String describe(int index) {
        Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
        List<Map<String, Object>> devices = (List<Map<String, Object>>) env.get(Nd4jEnvironment.CUDA_DEVICE_INFORMATION_KEY);
        if (devices == null || index >= devices.size()) {
            return "cuda:" + index;
        }
        Map<String, Object> d = devices.get(index);
        String name = String.valueOf(d.get(Nd4jEnvironment.CUDA_DEVICE_NAME_KEY));
        int major = ((Number) d.get(Nd4jEnvironment.CUDA_DEVICE_MAJOR_VERSION_KEY)).intValue();
        int minor = ((Number) d.get(Nd4jEnvironment.CUDA_DEVICE_MINOR_VERSION_KEY)).intValue();
        String why = unsupported(name, major, minor);
        if (why != null) {
            throw new UnsupportedGpuException(why);
        }
        return String.format("cuda:%d %s (sm_%d%d)", index, name, major, minor);
    }
}
