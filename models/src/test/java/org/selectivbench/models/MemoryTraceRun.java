package org.selectivbench.models;

import org.selectivbench.models.config.*;
import org.selectivbench.models.train.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.selectivbench.data.EncodedBatch;

/**
 * Traces resident memory op by op through two evaluations (or, with -Dmem.train=true, two training
 * steps' loss and gradients), only when asked: -Dmem.model=NAME [-Dmem.batch=B -Dmem.steps=T
 * -Dmem.width=D -Dmem.layers=L -Dmem.micro=M -Dmem.chunk=C -Dmem.rows=R (evaluation in runs of at most R
 * rows)]. Prints a line whenever resident memory
 * has moved by more than -Dmem.every MB (default 500) since the last line, with the op that ran;
 * -Dmem.gcEvery=K runs the GC every K ops (to tell held arrays from garbage).
 */
class MemoryTraceRun {
    @Test
    void trace() {
        String name = System.getProperty("mem.model");
        assumeTrue(name != null, "set -Dmem.model=NAME");
        int steps = Integer.getInteger("mem.steps", 20200), width = Integer.getInteger("mem.width", 64);
        int layers = Integer.getInteger("mem.layers", 1);
        long every = Long.getLong("mem.every", 500);
        ModelBench.Shape s = new ModelBench.Shape(Integer.getInteger("mem.batch", 1), steps, width, layers, 41, 1601, 1, 0, true, java.util.Map.of());
        ModelConfig c = new ModelConfig(name, layers, width, 0, 128, 2, 4, 4, false, 0, 0, 0.2,
                Integer.getInteger("mem.chunk", 64));
        SequenceModel model = new SequenceModel(c, s.vocab(), s.classes(), 1, DataType.FLOAT);
        EncodedBatch batch = ModelBench.randomBatch(s);
        long rows = Long.getLong("mem.rows", 0); // evaluation in graph runs of at most this many rows
        BoundedEvaluation.Plan plan = model.evalPlan(s.batch(), steps, rows);
        SequenceModel.Graph g = model.graph(plan.steps(), plan.segment());
        long[] last = {0};
        int gcEvery = Integer.getInteger("mem.gcEvery", 0);
        int[] count = {0};
        g.sd().setListeners(new BaseListener() {
            @Override
            public boolean isActive(Operation operation) {
                return true;
            }

            @Override
            public void opExecution(SameDiff sd, At at, MultiDataSet b, SameDiffOp op, OpContext ctx,
                                    INDArray[] outputs) {
                count[0]++;
                if (gcEvery > 0 && count[0] % gcEvery == 0) {
                    System.gc();
                }
                long rss = Long.parseLong(ProfileStepRun.rss());
                if (Math.abs(rss - last[0]) > every) {
                    last[0] = rss;
                    long out = 0;
                    for (INDArray o : outputs) {
                        out += o == null ? 0 : o.length() * 4;
                    }
                    System.out.printf(Locale.ROOT, "MEM op %d rss %d MB javacpp %d MB out %d MB %s %s%n", count[0], rss,
                            org.bytedeco.javacpp.Pointer.totalBytes() >> 20, out >> 20, op.getOp().opName(), op.getName());
                }
            }
        });
        boolean train = Boolean.getBoolean("mem.train");
        for (int r = 0; r < 2; r++) {
            long t0 = System.nanoTime();
            count[0] = 0;
            if (train) {
                model.lossAndGradients(batch, true, Integer.getInteger("mem.micro", 0));
            } else {
                model.probabilities(batch, rows);
            }
            System.out.printf(Locale.ROOT, "MEM run %d: %.0f ms, %d ops, rss %s MB, javacpp %d MB%n", r,
                    (System.nanoTime() - t0) / 1e6, count[0], ProfileStepRun.rss(),
                    org.bytedeco.javacpp.Pointer.totalBytes() >> 20);
        }
    }
}
