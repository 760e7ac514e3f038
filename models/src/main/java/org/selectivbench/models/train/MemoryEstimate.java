package org.selectivbench.models.train;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.selectivbench.models.FusedModel;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import org.selectivbench.models.layers.Mixers;
import org.selectivbench.models.ops.Kernels;

/**
 * A training run's native memory (ND4J arrays), estimated from its shapes in plain Java, so that a
 * sweep can refuse a grid point that cannot fit before any work starts, on a driver without ND4J.
 *
 * <p>Parameters are counted exactly ({@link FusedModel#parameters}); each takes values, gradients, the
 * two Adam moments and Adam's temporaries. A step's workspace is a sum of {@link Term}s (sizes such as
 * rows times width, or the Transformer's batch times T squared) weighed by floats per unit, per model,
 * per form of the sequence ops (java, nd4j) and per phase (a training step, an evaluation run). The
 * weights are measured: {@link MemoryCalibration} fits them to the workspace of real steps at random
 * shapes and scales them up until they bound every one (docs/models.md gives the fit). JVM heap (the
 * dataset, the probabilities of an evaluation batch) is not counted.
 */
public final class MemoryEstimate {
    private MemoryEstimate() {
    }

    /** Floats per parameter: values, gradients, Adam's m and v, Adam's temporaries, the packing's copy. */
    static final int FLOATS_PER_PARAMETER = 11;
    static final String RESOURCE = "memory-terms.tsv";

    /** The sizes a step's workspace is made of. {@code rows} are examples times steps. */
    public enum Term {
        // an allowance whatever the shape (MemoryCalibration.ALLOWANCE, not fitted)
        FIXED(s -> 1),
        INPUT(s -> s.rows() * s.vocab()),
        LOGITS(s -> s.rows() * s.classes()),
        WRAPPER(s -> s.rows() * s.width()),
        MLP(s -> s.rows() * s.mlpWidth() * s.layers()),
        PARAMETERS(s -> s.parameters()),
        LAYER(s -> s.rows() * s.width() * s.layers()),
        INNER(s -> s.rows() * s.innerWidth() * s.subSteps() * s.layers()),
        STATE_INPUTS(s -> s.rows() * s.dState() * s.layers()),
        STATES(s -> s.rows() * s.innerWidth() * s.dState() * s.layers()),
        ATTENTION(s -> (double) s.batch() * s.heads() * s.steps() * s.steps() * s.layers()),
        SQUARE(s -> s.rows() * s.width() * s.width() * s.layers()),
        // the chunked forms' sizes: rows padded to whole chunks
        CHUNK_INNER(s -> s.paddedRows() * s.innerWidth() * s.subSteps() * s.layers()),
        CHUNK_STATE_INPUTS(s -> s.paddedRows() * s.dState() * s.layers()),
        CHUNK_SCORES(s -> s.paddedRows() * s.heads() * s.chunk() * s.subSteps() * s.layers()),
        CHUNK_STATES(s -> s.paddedRows() * s.width() * s.innerWidth() / s.heads() / s.chunk() * s.subSteps()
                * s.layers()),
        CHUNK_STATES_N(s -> s.paddedRows() * s.innerWidth() * s.dState() / s.chunk() * s.layers()),
        CHUNK_KERNEL(s -> s.paddedRows() * s.innerWidth() * s.chunk() * s.layers()),
        CHUNK_MODES(s -> s.paddedRows() * s.width() * s.dState() * s.chunk() * s.layers());

        private final ToDoubleFunction<Sizes> size;

        Term(ToDoubleFunction<Sizes> size) {
            this.size = size;
        }

        public double size(Sizes s) {
            return size.applyAsDouble(s);
        }
    }

    private static final java.util.Set<String> EXPANDING = java.util.Set.of("mamba", "mamba2", "gla", "delta_net",
            "gated_delta_net", "gated_delta_product");
    private static final java.util.Set<String> WITH_STATE_SIZE = java.util.Set.of("mamba", "mamba2", "s4d");

    /** One step's sizes: a model at {@code batch} examples of {@code steps} steps. */
    public record Sizes(ModelConfig model, int batch, int steps, int vocab, int classes) {
        double rows() {
            return (double) batch * steps;
        }

        double paddedRows() {
            return (double) batch * Math.ceil((double) steps / model.chunkSize()) * model.chunkSize();
        }

        double width() {
            return model.width();
        }

        /** The inner (Mamba, Mamba2) or value (GLA, delta family) width: expand times d; d for the others. */
        double innerWidth() {
            return (EXPANDING.contains(model.name()) ? model.expand() : 1) * (double) model.width();
        }

        /** Householder sub-steps: only Gated DeltaProduct has more than one. */
        double subSteps() {
            return model.name().equals("gated_delta_product") ? model.householderSteps() : 1;
        }

        /** The state size of the models that have one (Mamba, Mamba2, S4D's modes); 0 for the others. */
        double dState() {
            return WITH_STATE_SIZE.contains(model.name()) ? model.dState() : 0;
        }

        double heads() {
            return model.heads();
        }

        double chunk() {
            return model.chunkSize();
        }

        double layers() {
            return model.layers();
        }

        double mlpWidth() {
            return (double) model.mlpExpansion() * model.width();
        }

        double parameters() {
            return FusedModel.parameters(model, vocab, classes);
        }
    }

    /** What a step of each phase holds. */
    public enum Phase { TRAIN, EVAL }

    /**
     * Bytes of a run.
     *
     * @param parameters      the model's parameter count
     * @param parameterBytes  parameters, gradients and optimizer state
     * @param trainingBytes   the workspace of a training step (one micro-batch)
     * @param evaluationBytes the workspace of one evaluation run (train.eval-rows, eval-batch-size)
     */
    public record Estimate(long parameters, long parameterBytes, long trainingBytes, long evaluationBytes) {
        /** Training and evaluation share one workspace, which grows to the larger. */
        public long totalBytes() {
            return parameterBytes + Math.max(trainingBytes, evaluationBytes);
        }

        public String describe() {
            return String.format(Locale.ROOT, "%s (parameters %s, %sevaluation %s)", bytes(totalBytes()),
                    bytes(parameterBytes), trainingBytes > 0 ? "training step " + bytes(trainingBytes) + ", " : "",
                    bytes(evaluationBytes));
        }
    }

    /**
     * The estimate of a run that trains on sequences of up to {@code trainSteps} steps and evaluates on
     * sequences of up to {@code evalSteps}, with the sequence ops in {@code form} (JAVA or ND4J).
     */
    public static Estimate of(ModelConfig m, TrainConfig t, Kernels form, int vocab, int classes, int trainSteps,
                              int evalSteps) {
        long params = FusedModel.parameters(m, vocab, classes);
        int piece = t.microBatch() > 0 ? Math.min(t.microBatch(), t.batchSize()) : t.batchSize();
        double train = workspaceFloats(form, Phase.TRAIN, new Sizes(m, piece, trainSteps, vocab, classes));
        FusedModel.Plan run = FusedModel.Plan.of(Mixers.carriesState(m), t.evalBatchSize(), evalSteps,
                t.evalRows(m.name()));
        double eval = workspaceFloats(form, Phase.EVAL, new Sizes(m, run.piece(), run.segment(), vocab, classes));
        return new Estimate(params, 4L * FLOATS_PER_PARAMETER * params, (long) Math.ceil(4 * train),
                (long) Math.ceil(4 * eval));
    }

    /** Floats of one step's workspace. */
    public static double workspaceFloats(Kernels form, Phase phase, Sizes s) {
        Map<Term, Double> w = weights(form, phase, s.model().name());
        double sum = 0;
        for (Map.Entry<Term, Double> e : w.entrySet()) {
            sum += e.getValue() * e.getKey().size(s);
        }
        return sum;
    }

    private static Map<String, Map<Term, Double>> table;

    /** The weights of one model, form and phase, from {@value #RESOURCE}. */
    static synchronized Map<Term, Double> weights(Kernels form, Phase phase, String model) {
        if (table == null) {
            table = load();
        }
        Map<Term, Double> w = table.get(key(form, phase, model));
        if (w == null) {
            throw new IllegalStateException(RESOURCE + " has no weights for model " + model + ", form " + form
                    + ", phase " + phase + ": rerun the memory calibration (docs/models.md)");
        }
        return w;
    }

    static String key(Kernels form, Phase phase, String model) {
        return form.name().toLowerCase(Locale.ROOT) + "\t" + phase.name().toLowerCase(Locale.ROOT) + "\t" + model;
    }

    private static Map<String, Map<Term, Double>> load() {
        Map<String, Map<Term, Double>> out = new HashMap<>();
        try (InputStream in = MemoryEstimate.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + RESOURCE + " is missing from the models jar");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank() || line.startsWith("#") || line.startsWith("form\t")) {
                    continue;
                }
                String[] f = line.split("\t");
                out.computeIfAbsent(f[0] + "\t" + f[1] + "\t" + f[2], k -> new EnumMap<>(Term.class))
                        .put(Term.valueOf(f[3]), Double.parseDouble(f[4]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    public static String bytes(long b) {
        if (b >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GiB", b / (double) (1L << 30));
        }
        return String.format(Locale.ROOT, "%.1f MiB", b / (double) (1L << 20));
    }
}
