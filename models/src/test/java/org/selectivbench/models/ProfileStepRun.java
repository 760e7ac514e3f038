package org.selectivbench.models;

import org.selectivbench.models.config.*;
import org.selectivbench.models.train.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * Profiles a training step at the bench shape, only when asked: -Dprofile.model=NAME [-Dprofile.reps=N].
 * Prints wall time per section (feed, forward+backward, clip, Adam) and the most expensive ops.
 */
class ProfileStepRun {
    static final class OpTimer extends BaseListener {
        final Map<String, long[]> byOp = new HashMap<>();
        long start;

        @Override
        public boolean isActive(Operation operation) {
            return true;
        }

        @Override
        public void preOpExecution(SameDiff sd, At at, SameDiffOp op, OpContext opContext) {
            start = System.nanoTime();
        }

        @Override
        public void opExecution(SameDiff sd, At at, MultiDataSet batch, SameDiffOp op, OpContext opContext,
                                INDArray[] outputs) {
            long dt = System.nanoTime() - start;
            long elems = 0;
            for (INDArray o : outputs) {
                if (o != null) {
                    elems += o.length();
                }
            }
            StringBuilder shapes = new StringBuilder();
            if (opContext != null) {
                for (INDArray in : opContext.getInputArrays()) {
                    shapes.append(' ').append(in == null ? "null" : java.util.Arrays.toString(in.shape()));
                }
            }
            String key = op.getOp().opName() + " " + op.getName() + shapes;
            long[] acc = byOp.computeIfAbsent(key, k -> new long[3]);
            acc[0] += dt;
            acc[1]++;
            acc[2] = Math.max(acc[2], elems);
        }
    }

    @Test
    void profile() {
        String name = System.getProperty("profile.model");
        assumeTrue(name != null, "set -Dprofile.model=NAME");
        int reps = Integer.getInteger("profile.reps", 2);
        ModelBench.Shape d0 = ModelBench.Shape.defaults();
        ModelBench.Shape s = new ModelBench.Shape(Integer.getInteger("profile.batch", d0.batch()),
                Integer.getInteger("profile.steps", d0.steps()), Integer.getInteger("profile.width", d0.width()),
                d0.layers(), d0.vocab(), Integer.getInteger("profile.classes", d0.classes()), 1,
                Integer.getInteger("profile.micro", 0), false, java.util.Map.of());
        ModelConfig c = new ModelConfig(name, s.layers(), s.width(), 0, Integer.getInteger("profile.dstate", 128), 2, 4,
                4, false, 0, 0, 0.2, Integer.getInteger("profile.chunk", 64));
        SequenceModel model = new SequenceModel(c, s.vocab(), s.classes(), 1, DataType.FLOAT);
        EncodedBatch batch = ModelBench.randomBatch(s);
        Optim optim = new Optim(new TrainConfig(s.batch(), 1e-3, 10, 0, 1.0, 0, s.batch(), 1, 0, 0, java.util.Map.of()));
        Thread main = Thread.currentThread();
        Map<String, Integer> samples = new java.util.concurrent.ConcurrentHashMap<>();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                StackTraceElement[] st = main.getStackTrace();
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < Math.min(12, st.length); i++) {
                    sb.append("\n      ").append(st[i]);
                }
                samples.merge(sb.toString(), 1, Integer::sum);
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        if (Boolean.getBoolean("profile.sample")) {
            sampler.start();
        }
        for (int r = 0; r < reps + 1; r++) {
            SequenceModel.Graph g = model.graph(model.paddedSteps(s.steps()));
            OpTimer timer = null;
            if (r == reps) {
                timer = new OpTimer();
                g.sd().setListeners(timer);
            }
            long t0 = System.nanoTime();
            SequenceModel.StepResult res = model.lossAndGradients(batch, true, s.microBatch());
            long t1 = System.nanoTime();
            Optim.clip(res.gradients(), 1.0);
            long t2 = System.nanoTime();
            optim.step(model.params().arrays(), res.gradients(), 1e-3);
            long t3 = System.nanoTime();
            System.out.printf(Locale.ROOT, "PROFILE %s rep %d: fwd+bwd %.0f ms, clip %.0f ms, adam %.0f ms, total %.0f ms,"
                    + " loss %.4f, rss %s MB, javacpp phys %d MB%n", name, r, (t1 - t0) / 1e6, (t2 - t1) / 1e6,
                    (t3 - t2) / 1e6, (t3 - t0) / 1e6, res.loss(), rss(),
                    org.bytedeco.javacpp.Pointer.physicalBytes() >> 20);
            if (Boolean.getBoolean("profile.gc")) {
                System.gc();
            }
            if (timer != null) {
                g.sd().setListeners();
                List<Map.Entry<String, long[]>> e = new ArrayList<>(timer.byOp.entrySet());
                e.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
                long total = 0;
                for (Map.Entry<String, long[]> x : e) {
                    total += x.getValue()[0];
                }
                System.out.printf(Locale.ROOT, "PROFILE ops %d, op time %.0f ms%n", e.size(), total / 1e6);
                for (int i = 0; i < Math.min(40, e.size()); i++) {
                    long[] v = e.get(i).getValue();
                    System.out.printf(Locale.ROOT, "PROFILE %9.1f ms x%d  %,d elems  %s%n", v[0] / 1e6, v[1], v[2],
                            e.get(i).getKey());
                }
                e.sort((a, b) -> Long.compare(b.getValue()[2], a.getValue()[2]));
                long elems = 0;
                for (Map.Entry<String, long[]> x : e) {
                    elems += x.getValue()[2];
                }
                System.out.printf(Locale.ROOT, "PROFILE total output elems %,d%n", elems);
                for (int i = 0; i < Math.min(Integer.getInteger("profile.sizes", 25), e.size()); i++) {
                    long[] v = e.get(i).getValue();
                    System.out.printf(Locale.ROOT, "PROFILE-SIZE %,d elems %9.1f ms %s%n", v[2], v[0] / 1e6, e.get(i).getKey());
                }
            }
        }
        sampler.interrupt();
        List<Map.Entry<String, Integer>> ss = new ArrayList<>(samples.entrySet());
        ss.sort((a, b) -> b.getValue() - a.getValue());
        for (int i = 0; i < Math.min(12, ss.size()); i++) {
            System.out.println("SAMPLE x" + ss.get(i).getValue() + ss.get(i).getKey());
        }
        long t0 = System.nanoTime();
        model.probabilities(batch);
        System.out.printf(Locale.ROOT, "PROFILE eval %.0f ms%n", (System.nanoTime() - t0) / 1e6);
    }

    static String rss() {
        try {
            for (String l : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (l.startsWith("VmRSS")) {
                    return String.valueOf(Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024);
                }
            }
        } catch (java.io.IOException e) {
            return "?";
        }
        return "?";
    }
}
