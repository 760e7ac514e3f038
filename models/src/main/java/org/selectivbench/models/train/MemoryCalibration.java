package org.selectivbench.models.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.selectivbench.data.EncodedBatch;
import org.selectivbench.models.FusedModel;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.ops.Kernels;
import org.selectivbench.models.train.MemoryEstimate.Phase;
import org.selectivbench.models.train.MemoryEstimate.Sizes;
import org.selectivbench.models.train.MemoryEstimate.Term;

/**
 * Measures the step workspace of every model at random shapes, in both forms of the sequence ops and
 * both phases, and fits {@link MemoryEstimate}'s weights: non-negative least squares on the relative
 * error, then scaled up by {@link #MARGIN} over the largest ratio of measured to fitted, so the estimate
 * bounds every measured step. Writes the weights as the resource {@link MemoryEstimate} reads and prints
 * the fit. A command, run after a change to what a step allocates (docs/models.md).
 */
public final class MemoryCalibration {
    private MemoryCalibration() {
    }

    /**
     * Floats every estimate allows beyond its fitted terms (64 KB), so that the smallest workspaces, a
     * few irregular temporaries, do not set the margin of the others.
     */
    static final double ALLOWANCE = 16 * 1024;

    /** Headroom over the largest measured ratio, for shapes the calibration did not draw. */
    static final double MARGIN = 1.15;

    /** Steps before reading the workspace: the first sizes it, the second reuses it. */
    private static final int STEPS = 2;

    /** A random small shape of {@code model}: everything the terms depend on varies. */
    static Sizes randomSizes(Random r, String model) {
        int[] widths = {16, 32, 48, 64, 96};
        int d = widths[r.nextInt(widths.length)];
        ModelConfig c = new ModelConfig(model, 1 + r.nextInt(2), d, 0, 4 + r.nextInt(29), 1 + r.nextInt(2),
                2 + r.nextInt(3), 1 + r.nextInt(3), false, 0, new int[] {0, 0, 1, 2}[r.nextInt(4)], 0.2,
                new int[] {8, 16, 32, 64}[r.nextInt(4)]);
        return new Sizes(c, 1 + r.nextInt(6), 16 + r.nextInt(200), 5 + r.nextInt(60), 5 + r.nextInt(400));
    }

    /**
     * Bytes of the step workspace of one training step or one evaluation run at {@code s}, in float32.
     * The Java kernels' float32 path keeps its arrays on the Java heap, out of the workspace's sight, so
     * their steps are measured in float64, whose path holds the same arrays in the workspace, and halved.
     */
    static long measure(Kernels form, Phase phase, Sizes s) {
        Kernels before = Kernels.current();
        Kernels.use(form);
        boolean java = form == Kernels.JAVA;
        FusedModel m = new FusedModel(s.model(), s.vocab(), s.classes(), 1, java ? DataType.DOUBLE : DataType.FLOAT);
        try {
            EncodedBatch b = ModelBench.randomBatch(new ModelBench.Shape(s.batch(), s.steps(), s.model().width(),
                    s.model().layers(), s.vocab(), s.classes(), 0, 0, 1, 0, false, Map.of(), List.of("fused")));
            for (int i = 0; i < STEPS; i++) {
                if (phase == Phase.TRAIN) {
                    m.lossAndGradients(b, true, 0);
                } else {
                    m.probabilities(b, 0);
                }
            }
            return java ? m.workspaceBytes() / 2 : m.workspaceBytes();
        } finally {
            m.releaseArrays();
            Kernels.use(before);
        }
    }

    /** The fitted weights of one model, form and phase, and how far the fit's samples were from them. */
    record Fit(double[] weights, double minRatio, double maxRatio) {
    }

    static Fit fit(Kernels form, Phase phase, List<Sizes> samples) {
        Term[] terms = Term.values();
        double[][] a = new double[samples.size()][terms.length];
        double[] y = new double[samples.size()];
        for (int i = 0; i < samples.size(); i++) {
            y[i] = measure(form, phase, samples.get(i)) / 4.0;
            for (int j = 0; j < terms.length; j++) {
                a[i][j] = terms[j].size(samples.get(i)) / y[i]; // relative error
            }
        }
        int fixed = Term.FIXED.ordinal();
        for (double[] row : a) { // not fitted: the allowance below
            row[fixed] = 0;
        }
        double[] ones = new double[y.length];
        java.util.Arrays.fill(ones, 1);
        double[] w = Nnls.solve(a, ones);
        double lo = Double.MAX_VALUE, hi = 0;
        for (int i = 0; i < y.length; i++) {
            double predicted = 0;
            for (int j = 0; j < w.length; j++) {
                predicted += w[j] * a[i][j];
            }
            double ratio = y[i] / (predicted * y[i] + ALLOWANCE);
            lo = Math.min(lo, ratio);
            hi = Math.max(hi, ratio);
        }
        w[fixed] = ALLOWANCE;
        for (int j = 0; j < w.length; j++) {
            w[j] *= hi * MARGIN;
        }
        return new Fit(w, lo, hi);
    }

    /** Where the weights live in a source tree; the models jar carries them as a resource. */
    public static final String SOURCE = "models/src/main/resources/org/selectivbench/models/train/"
            + MemoryEstimate.RESOURCE;

    /** Measures {@code samples} shapes per model, form and phase, fits, prints the fit, writes {@code out}. */
    public static void run(Path out, int samples, long seed) throws IOException {
        org.selectivbench.models.ops.Threads.use(1);
        StringBuilder tsv = new StringBuilder("# floats per unit of each MemoryEstimate.Term; written by"
                + " MemoryCalibration (" + samples + " shapes per model, seed " + seed + ", margin " + MARGIN + ")\n"
                + "form\tphase\tmodel\tterm\tfloats\n");
        System.out.println("form   phase  model                measured/fitted  (then x max x " + MARGIN + ")");
        for (Kernels form : List.of(Kernels.JAVA, Kernels.ND4J)) {
            for (Phase phase : Phase.values()) {
                for (String model : ModelConfig.MODELS) {
                    Random r = new Random(seed + model.hashCode());
                    List<Sizes> drawn = new ArrayList<>();
                    for (int i = 0; i < samples; i++) {
                        drawn.add(randomSizes(r, model));
                    }
                    Fit f = fit(form, phase, drawn);
                    System.out.printf(Locale.ROOT, "%-6s %-6s %-20s %.3f-%.3f%n", form.name().toLowerCase(Locale.ROOT),
                            phase.name().toLowerCase(Locale.ROOT), model, f.minRatio(), f.maxRatio());
                    for (int j = 0; j < f.weights().length; j++) {
                        if (f.weights()[j] > 0) {
                            tsv.append(MemoryEstimate.key(form, phase, model)).append('\t')
                                    .append(Term.values()[j].name()).append('\t')
                                    .append(String.format(Locale.ROOT, "%.6g", f.weights()[j])).append('\n');
                        }
                    }
                }
            }
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, tsv.toString(), StandardCharsets.UTF_8);
        System.out.println("wrote " + out);
    }
}
