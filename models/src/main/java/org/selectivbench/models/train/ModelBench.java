package org.selectivbench.models.train;

import org.selectivbench.models.*;
import org.selectivbench.models.config.*;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.selectivbench.data.EncodedBatch;

/**
 * Times one training step (forward, backward, clip, Adam) and one evaluation step (softmax
 * outputs, dropout off) per model at a fixed shape, on a random batch; also reports parameter and
 * op counts. Defaults: batch 64, 400 steps, width 64, 2 layers, vocab 41, 1,601 classes. A model
 * that runs out of memory is timed again with the batch in micro-batches of half the size (down to
 * {@link #MIN_MICRO_BATCH}), training and evaluation alike, and its line says so: the same update
 * and outputs, less memory.
 */
public final class ModelBench {
    private ModelBench() {
    }

    static final int MIN_MICRO_BATCH = 8;

    /**
     * @param microBatch examples per piece of a training step's gradient and of an evaluation (0 = the
     *                   whole batch)
     * @param evalOnly   time evaluation steps only (task 4's long test sequences train nothing)
     * @param evalRows   the most rows one evaluation graph run takes, by model (train.eval-rows; none = no bound)
     */
    public record Shape(int batch, int steps, int width, int layers, int vocab, int classes, int reps,
                        int microBatch, boolean evalOnly, Map<String, Long> evalRows) {
        public static Shape defaults() {
            return new Shape(64, 400, 64, 2, 41, 1601, 3, 0, false, Map.of());
        }

        Shape withMicroBatch(int m) {
            return new Shape(batch, steps, width, layers, vocab, classes, reps, m, evalOnly, evalRows);
        }
    }

    /**
     * Figures of one model; op counts are of the forward graph and of its gradient graph; peak
     * resident memory of the whole process while the model ran (sampled, JVM heap included).
     */
    public record Figures(String model, long parameters, double trainStepMs, double evalStepMs, int forwardOps,
                          int gradientOps, int microBatch, double peakResidentGb, String error) {
        static Figures failed(String model, String error) {
            return new Figures(model, 0, Double.NaN, Double.NaN, 0, 0, 0, Double.NaN, error);
        }

        String line() {
            return error != null ? String.format(Locale.ROOT, "%-22s %s", model, error)
                    : String.format(Locale.ROOT, "%-22s %10.1f ms/train-step %10.1f ms/eval-step  params %9d"
                    + "  ops fwd %4d grad %4d  peak %.1f GB%s", model, trainStepMs, evalStepMs, parameters, forwardOps,
                    gradientOps, peakResidentGb, microBatch > 0 ? "  micro-batch " + microBatch : "");
        }
    }

    /** Samples the process's resident memory every 20 ms and keeps the maximum. */
    private static final class PeakResident implements AutoCloseable {
        private final Thread sampler;
        private volatile boolean done;
        private volatile long peak = Pointer.physicalBytes();

        PeakResident() {
            sampler = new Thread(() -> {
                while (!done) {
                    peak = Math.max(peak, Pointer.physicalBytes());
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "peak-resident");
            sampler.setDaemon(true);
            sampler.start();
        }

        double gb() {
            return Math.max(peak, Pointer.physicalBytes()) / 1e9;
        }

        @Override
        public void close() {
            done = true;
            sampler.interrupt();
        }
    }

    /** Benchmarks each model (from {@code base}, name replaced) and writes the lines to {@code out}. */
    public static List<Figures> run(List<String> models, ModelConfig base, Shape s, Path out) throws IOException {
        List<Figures> all = new ArrayList<>();
        EncodedBatch batch = randomBatch(s);
        TrainConfig tc = new TrainConfig(s.batch(), 1e-3, 10, 0, 1.0, 0, s.batch(), 1, 0, 0, s.evalRows());
        for (String name : models) {
            Figures f = null;
            Shape shape = s;
            while (f == null) {
                try {
                    f = one(base.withName(name), shape, batch, tc);
                } catch (UnsupportedOperationException e) {
                    f = Figures.failed(name, e.getMessage());
                } catch (RuntimeException | OutOfMemoryError e) { // memory cap, op failure: the others still run
                    System.gc();
                    int piece = (shape.microBatch() > 0 ? shape.microBatch() : s.batch()) / 2;
                    if (!s.evalOnly() && outOfMemory(e) && piece >= MIN_MICRO_BATCH) {
                        System.out.printf(Locale.ROOT, "%-22s out of memory (%s); again in micro-batches of %d%n",
                                name, e.getMessage(), piece);
                        shape = shape.withMicroBatch(piece);
                    } else {
                        f = Figures.failed(name, "failed: " + e);
                    }
                }
            }
            System.out.println(f.line());
            all.add(f);
            write(all, base, s, out); // after every model, so a killed bench keeps what it measured
        }
        return all;
    }

    private static boolean outOfMemory(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (t instanceof OutOfMemoryError || m.contains("memory") || m.contains("allocate")) {
                return true;
            }
        }
        return false;
    }

    private static void write(List<Figures> all, ModelConfig base, Shape s, Path out) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "# shape: batch %d, steps %d, width %d, layers %d, vocab %d, classes %d,"
                + " median of %d reps%s; evaluation in graph runs of at most %s rows%n", s.batch(), s.steps(), s.width(),
                s.layers(), s.vocab(), s.classes(), s.reps(), s.evalOnly() ? ", evaluation only" : "", s.evalRows()));
        sb.append(String.format(Locale.ROOT, "# model: d-state %d, expand %d, conv %d, householder-steps %d, chunk-size %d,"
                + " dropout %.2f; backend %s, %d threads%n", base.dState(), base.expand(), base.convSize(),
                base.householderSteps(), base.chunkSize(), base.dropout(),
                org.nd4j.linalg.factory.Nd4j.getBackend().getClass().getSimpleName(),
                org.nd4j.linalg.factory.Nd4j.getEnvironment().maxMasterThreads()));
        for (Figures f : all) {
            sb.append(f.line()).append('\n');
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(out, sb.toString());
    }

    private static Figures one(ModelConfig cfg, Shape s, EncodedBatch batch, TrainConfig tc) {
        ModelConfig c = new ModelConfig(cfg.name(), s.layers(), s.width(), 0, cfg.dState(), cfg.expand(),
                cfg.convSize(), cfg.householderSteps(), cfg.allowNegativeEigenvalues(), cfg.forgetFloor(),
                cfg.mlpExpansion(), cfg.dropout(), cfg.chunkSize());
        try (PeakResident peak = new PeakResident()) {
            return one(c, s, batch, tc, peak);
        }
    }

    private static Figures one(ModelConfig c, Shape s, EncodedBatch batch, TrainConfig tc, PeakResident peak) {
        SequenceModel model = new SequenceModel(c, s.vocab(), s.classes(), 1, DataType.FLOAT);
        try {
            return one(model, c, s, batch, tc, peak);
        } finally {
            model.releaseArrays(); // also after a failure: the next model or retry should not wait for the GC
        }
    }

    private static Figures one(SequenceModel model, ModelConfig c, Shape s, EncodedBatch batch, TrainConfig tc,
                               PeakResident peak) {
        Optim optim = new Optim(tc);
        double[] train = new double[s.evalOnly() ? 0 : s.reps() + 1];
        for (int r = 0; r < train.length; r++) { // the first run builds the gradient graph: not counted
            long t0 = System.nanoTime();
            SequenceModel.StepResult res = model.lossAndGradients(batch, true, s.microBatch());
            Optim.clip(res.gradients(), 1.0);
            optim.step(model.params().arrays(), res.gradients(), 1e-3);
            train[r] = (System.nanoTime() - t0) / 1e6;
        }
        double[] eval = new double[s.reps() + 1];
        // evaluation in the training step's pieces too: a Mamba evaluation of the whole batch at the
        // bench shape (its transitions and inputs held between the scan's two passes) passed the cap
        for (int r = 0; r < eval.length; r++) {
            long t0 = System.nanoTime();
            for (EncodedBatch part : SequenceModel.pieces(batch, s.microBatch())) {
                model.probabilities(part, tc.evalRows(c.name()));
            }
            eval[r] = (System.nanoTime() - t0) / 1e6;
        }
        // the ops of the graph the step ran: an evaluation-only bench may have run segment graphs, which
        // have no gradient function (building the whole-length training graph just to count its ops took
        // minutes for the GRU, whose graph grows with the length)
        SequenceModel.Graph ran;
        if (s.evalOnly()) {
            int piece = s.microBatch() > 0 ? Math.min(s.batch(), s.microBatch()) : s.batch();
            BoundedEvaluation.Plan plan = model.evalPlan(piece, s.steps(), tc.evalRows(c.name()));
            ran = model.graph(plan.steps(), plan.segment());
        } else {
            ran = model.graph(model.paddedSteps(s.steps()));
        }
        SameDiff sd = ran.sd();
        SameDiff grad = sd.getFunction("grad");
        return new Figures(c.name(), model.parameterCount(), median(train), median(eval), sd.ops().length,
                grad == null ? 0 : grad.ops().length, s.microBatch(), peak.gb(), null);
    }

    private static double median(double[] runs) {
        if (runs.length < 2) {
            return Double.NaN;
        }
        double[] r = Arrays.copyOfRange(runs, 1, runs.length);
        Arrays.sort(r);
        return r[r.length / 2];
    }

    public static EncodedBatch randomBatch(Shape s) {
        Random r = new Random(7);
        int n = s.batch() * s.steps();
        float[] in = new float[n * s.vocab()];
        int[] targets = new int[n];
        float[] mask = new float[n];
        for (int i = 0; i < n; i++) {
            in[i * s.vocab() + r.nextInt(s.vocab())] = 1f;
            targets[i] = r.nextInt(s.classes());
            mask[i] = 1f;
        }
        int[][] starts = new int[s.batch()][];
        int[][] cls = new int[s.batch()][];
        int[] lengths = new int[s.batch()];
        for (int b = 0; b < s.batch(); b++) {
            lengths[b] = s.steps();
            starts[b] = new int[s.steps()];
            cls[b] = new int[s.steps()];
            for (int t = 0; t < s.steps(); t++) {
                starts[b][t] = t;
                cls[b][t] = targets[b * s.steps() + t];
            }
        }
        return new EncodedBatch(s.batch(), s.steps(), s.vocab(), in, targets, mask, starts, lengths, cls);
    }
}
