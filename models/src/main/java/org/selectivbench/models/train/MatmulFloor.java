package org.selectivbench.models.train;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.selectivbench.models.modules.Nd;

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
        INDArray[][] operands = new INDArray[gemms.size()][];
        for (int i = 0; i < gemms.size(); i++) {
            Nd.Gemm g = gemms.get(i);
            long[] as = g.ta() ? new long[] {g.k(), g.m()} : new long[] {g.m(), g.k()};
            long[] bs = g.tb() ? new long[] {g.n(), g.k()} : new long[] {g.k(), g.n()};
            operands[i] = new INDArray[] {array(arrays, "a", as), array(arrays, "b", bs),
                    array(arrays, "c", new long[] {g.m(), g.n()})};
        }
        double[] ms = new double[Math.max(1, reps)];
        for (int r = -warmup; r < ms.length; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < gemms.size(); i++) {
                Nd.Gemm g = gemms.get(i);
                Nd4j.gemm(operands[i][0], operands[i][1], operands[i][2], g.ta(), g.tb(), 1.0, g.accumulate() ? 1.0 : 0.0);
            }
            if (r >= 0) {
                ms[r] = (System.nanoTime() - t0) / 1e6;
            }
        }
        Arrays.sort(ms);
        return ms[ms.length / 2];
    }

    static double gflop(List<Nd.Gemm> gemms) {
        return gemms.stream().mapToDouble(Nd.Gemm::flops).sum() / 1e9;
    }

    private static INDArray array(Map<String, INDArray> arrays, String role, long[] shape) {
        return arrays.computeIfAbsent(role + Arrays.toString(shape), k -> Nd4j.rand(DataType.FLOAT, shape).subi(0.5));
    }
}
