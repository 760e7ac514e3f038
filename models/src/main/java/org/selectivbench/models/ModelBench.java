package org.selectivbench.models;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.selectivbench.data.EncodedBatch;

/**
 * Times one training step (forward, backward, clip, Adam) and one evaluation step (softmax
 * outputs, dropout off) per model at a fixed shape, on a random batch; also reports parameter and
 * op counts. Defaults: batch 64, 400 steps, width 64, 2 layers, vocab 41, 1,601 classes.
 */
public final class ModelBench {
    private ModelBench() {
    }

    public record Shape(int batch, int steps, int width, int layers, int vocab, int classes, int reps) {
        public static Shape defaults() {
            return new Shape(64, 400, 64, 2, 41, 1601, 3);
        }
    }

    /** Figures of one model; op counts are of the forward graph and of its gradient graph. */
    public record Figures(String model, long parameters, double trainStepMs, double evalStepMs, int forwardOps,
                          int gradientOps, String error) {
        String line() {
            return error != null ? String.format(Locale.ROOT, "%-22s %s", model, error)
                    : String.format(Locale.ROOT, "%-22s %10.1f ms/train-step %10.1f ms/eval-step  params %9d"
                    + "  ops fwd %4d grad %4d", model, trainStepMs, evalStepMs, parameters, forwardOps, gradientOps);
        }
    }

    /** Benchmarks each model (from {@code base}, name replaced) and writes the lines to {@code out}. */
    public static List<Figures> run(List<String> models, ModelConfig base, Shape s, Path out) throws IOException {
        List<Figures> all = new ArrayList<>();
        EncodedBatch batch = randomBatch(s);
        TrainConfig tc = new TrainConfig(s.batch(), 1e-3, 10, 0, 1.0, 0, s.batch(), 1, 0);
        for (String name : models) {
            Figures f;
            try {
                f = one(base.withName(name), s, batch, tc);
            } catch (UnsupportedOperationException e) {
                f = new Figures(name, 0, Double.NaN, Double.NaN, 0, 0, e.getMessage());
            } catch (RuntimeException | OutOfMemoryError e) { // native memory cap, op failure: the others still run
                f = new Figures(name, 0, Double.NaN, Double.NaN, 0, 0, "failed: " + e);
                System.gc();
            }
            System.out.println(f.line());
            all.add(f);
            write(all, base, s, out); // after every model, so a killed bench keeps what it measured
        }
        return all;
    }

    private static void write(List<Figures> all, ModelConfig base, Shape s, Path out) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "# shape: batch %d, steps %d, width %d, layers %d, vocab %d, classes %d,"
                + " median of %d reps%n", s.batch(), s.steps(), s.width(), s.layers(), s.vocab(), s.classes(), s.reps()));
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
        SequenceModel model = new SequenceModel(c, s.vocab(), s.classes(), 1, DataType.FLOAT);
        Optim optim = new Optim(tc);
        double[] train = new double[s.reps() + 1];
        for (int r = 0; r < train.length; r++) { // the first run builds the gradient graph: not counted
            long t0 = System.nanoTime();
            SequenceModel.StepResult res = model.lossAndGradients(batch, true);
            Optim.clip(res.gradients(), 1.0);
            optim.step(model.params().arrays(), res.gradients(), 1e-3);
            train[r] = (System.nanoTime() - t0) / 1e6;
        }
        double[] eval = new double[s.reps() + 1];
        for (int r = 0; r < eval.length; r++) {
            long t0 = System.nanoTime();
            model.probabilities(batch);
            eval[r] = (System.nanoTime() - t0) / 1e6;
        }
        SameDiff sd = model.graph(model.paddedSteps(s.steps())).sd();
        SameDiff grad = sd.getFunction("grad");
        Figures f = new Figures(c.name(), model.parameterCount(), median(train), median(eval), sd.ops().length,
                grad == null ? 0 : grad.ops().length, null);
        model.releaseArrays(); // the next model should not wait for the GC to free this one's caches
        return f;
    }

    private static double median(double[] runs) {
        double[] r = Arrays.copyOfRange(runs, 1, runs.length);
        Arrays.sort(r);
        return r[r.length / 2];
    }

    static EncodedBatch randomBatch(Shape s) {
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
