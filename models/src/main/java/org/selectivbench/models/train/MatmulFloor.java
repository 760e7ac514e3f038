package org.selectivbench.models.train;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.selectivbench.models.modules.Nd;
import org.selectivbench.models.ops.Arena;
import org.selectivbench.models.ops.GemmFloat;

/**
 * The floor a step's matmuls set: the same matmuls (shapes, transposes, accumulation) replayed back to
 * back on random float arrays, with the run's threads. A step does these and everything else besides,
 * so its time cannot go below this; the gap is what the rest of the step (sequence ops, norms,
 * activations, copies) costs.
 */
final class MatmulFloor {
    private MatmulFloor() {
    }

    /** Median ms of {@code reps} replays of {@code gemms} after {@code warmup} untimed ones. */
    static double replayMs(List<Nd.Gemm> gemms, int warmup, int reps) {
        Map<String, INDArray> arrays = new HashMap<>(); // one set per shape: the values do not matter
        Map<String, float[]> floats = new HashMap<>();
        INDArray[][] operands = new INDArray[gemms.size()][];
        float[][][] javaOperands = new float[gemms.size()][][];
        for (int i = 0; i < gemms.size(); i++) {
            Nd.Gemm g = gemms.get(i);
            long[] as = g.ta() ? new long[] {g.k(), g.m()} : new long[] {g.m(), g.k()};
            long[] bs = g.tb() ? new long[] {g.n(), g.k()} : new long[] {g.k(), g.n()};
            long[] cs = {g.m(), g.n()};
            if (g.java()) {
                javaOperands[i] = new float[][] {floats(floats, "a", as), floats(floats, "b", bs), floats(floats, "c", cs)};
            } else {
                operands[i] = new INDArray[] {array(arrays, "a", as), array(arrays, "b", bs), array(arrays, "c", cs)};
            }
        }
        double[] ms = new double[Math.max(1, reps)];
        Arena arena = new Arena(); // new outputs from an arena, as in a step: fresh arrays cost their zeroing
        for (int r = -warmup; r < ms.length; r++) {
            long t0 = System.nanoTime();
            try (Arena.Pass pass = arena.open()) {
                replay(gemms, operands, javaOperands);
            }
            if (r >= 0) {
                ms[r] = (System.nanoTime() - t0) / 1e6;
            }
        }
        Arrays.sort(ms);
        return ms[ms.length / 2];
    }

    /** Every matmul once, on the calling thread's open arena. */
    private static void replay(List<Nd.Gemm> gemms, INDArray[][] operands, float[][][] javaOperands) {
        for (int i = 0; i < gemms.size(); i++) {
            Nd.Gemm g = gemms.get(i);
            if (g.java()) {
                replayJava(g, javaOperands[i]);
            } else {
                Nd4j.gemm(operands[i][0], operands[i][1], operands[i][2], g.ta(), g.tb(), 1.0,
                        g.accumulate() ? 1.0 : 0.0);
            }
        }
    }

    /** A matmul of the float path's loops, in the form its layer ran it (new outputs where it made them). */
    private static void replayJava(Nd.Gemm g, float[][] o) {
        int m = (int) g.m(), n = (int) g.n(), k = (int) g.k();
        if (g.ta()) {
            GemmFloat.tnAdd(o[0], o[1], o[2], k, m, n);
        } else if (g.tb()) {
            GemmFloat.nt(o[0], o[1], g.accumulate() ? o[2] : null, m, k, n);
        } else {
            GemmFloat.nn(o[0], o[1], null, m, k, n);
        }
    }

    static double gflop(List<Nd.Gemm> gemms) {
        return gemms.stream().mapToDouble(Nd.Gemm::flops).sum() / 1e9;
    }

    private static float[] floats(Map<String, float[]> arrays, String role, long[] shape) {
        return arrays.computeIfAbsent(role + Arrays.toString(shape), key -> {
            java.util.Random r = new java.util.Random(key.hashCode());
            float[] v = new float[Math.toIntExact(shape[0] * shape[1])];
            for (int i = 0; i < v.length; i++) {
                v[i] = r.nextFloat() - 0.5f;
            }
            return v;
        });
    }

    private static INDArray array(Map<String, INDArray> arrays, String role, long[] shape) {
        return arrays.computeIfAbsent(role + Arrays.toString(shape), k -> Nd4j.rand(DataType.FLOAT, shape).subi(0.5));
    }
}
