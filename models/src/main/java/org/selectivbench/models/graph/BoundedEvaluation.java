package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.selectivbench.data.EncodedBatch;

/**
 * An evaluation of a batch in graph runs of at most a given number of rows (examples times padded
 * steps; train.eval-rows): the batch in pieces of examples and, for a mixer that carries its recurrent
 * state ({@link Mixer#carriesState}), long sequences in consecutive segments whose graphs hand the
 * state on (placeholders fed with the previous segment's end states, zeros for the first). The same
 * outputs as one run up to float rounding, with the memory of one run whatever the length: a
 * paper-scale task-4 batch is 16 examples of 20,200 steps. Models that carry no state (the
 * Transformer) run whole sequences, one example at a time at worst.
 */
public final class BoundedEvaluation {
    /**
     * Segments are at most this long, whatever the bound on rows: beyond {@link Scans#PAIRWISE_MAX_CHUNKS}
     * chunks of the shortest chunk a mixer uses (16: GLA, Mamba), the scans find the states entering
     * the chunks by a prefix scan, whose memory grows as n log n. GLA in runs of 4 x 2,048 steps ran
     * out of a 10 GB cap where 16 x 512 (the same rows) fit.
     */
    static final int MAX_SEGMENT_STEPS = Scans.PAIRWISE_MAX_CHUNKS * 16;

    private final GraphModel model;

    BoundedEvaluation(GraphModel model) {
        this.model = model;
    }

    /** Evaluation loss, the sum over the runs (each weighted by the whole batch's real steps). */
    double loss(EncodedBatch b, long rows) {
        double[] sum = {0};
        evaluate(b, rows, b.realSteps(), "loss", (row, step, steps, out) -> sum[0] += out.getDouble(0));
        return sum[0];
    }

    /** Outputs {@code name} ("probs" or "logits"), [batch][steps][classes] row-major. */
    float[] outputs(EncodedBatch b, String name, long rows) {
        int classes = model.classes();
        float[] all = new float[b.batch() * b.steps() * classes];
        evaluate(b, rows, b.realSteps(), name, (row, step, steps, out) -> { // out [examples, graph steps, classes]
            int graphSteps = (int) out.size(1);
            float[] part = out.castTo(DataType.FLOAT).dup('c').data().asFloat();
            for (int r = 0; r < out.size(0); r++) {
                System.arraycopy(part, r * graphSteps * classes, all, ((row + r) * b.steps() + step) * classes,
                        steps * classes);
            }
        });
        return all;
    }

    /** Receives one graph run's output: examples from {@code row}, steps [step, step + steps) of the batch. */
    private interface Part {
        void accept(int row, int step, int steps, INDArray out);
    }

    /**
     * How an evaluation batch runs: in pieces of {@code piece} examples, each in graph runs of {@code steps}
     * steps, consecutive segments of the sequences that hand the recurrent state on when {@code segment}.
     */
    public record Plan(int piece, int steps, boolean segment) {
    }

    /**
     * The plan for a batch of {@code batch} examples of {@code steps} steps, at most {@code rows} rows per
     * run (0 = the whole batch in one run). A model that carries its state also keeps its runs within
     * {@link #MAX_SEGMENT_STEPS} steps when rows are bounded.
     */
    Plan plan(int batch, int steps, long rows) {
        int whole = model.paddedSteps(steps);
        boolean carries = model.carriesState();
        boolean wholeFits = !carries || whole <= MAX_SEGMENT_STEPS;
        if (rows <= 0 || (long) batch * whole <= rows && wholeFits) {
            return new Plan(batch, whole, false);
        }
        if (!carries || rows >= whole && wholeFits) { // whole sequences, as many examples as fit (at least one)
            return new Plan((int) Math.max(1, Math.min(batch, rows / whole)), whole, false);
        }
        ModelConfig config = model.config();
        int unit = Mixers.chunked(config.name()) ? Math.max(GraphModel.LENGTH_BUCKET, config.chunkSize())
                : GraphModel.LENGTH_BUCKET;
        int piece = (int) Math.max(1, Math.min(batch, rows / unit));
        long fits = Math.min(rows / piece, MAX_SEGMENT_STEPS); // the longest segment that fits
        int longest = (int) Math.max(unit, fits / unit * unit);
        int segments = (steps + longest - 1) / longest;
        // equal segments of a whole number of chunks, rather than a short last one padded to the full length
        return new Plan(piece, GraphModel.roundUp((steps + segments - 1) / segments, unit), true);
    }

    /** Runs an evaluation in bounded graph runs (see the class comment). */
    private void evaluate(EncodedBatch b, long rows, double real, String output, Part sink) {
        Plan plan = plan(b.batch(), b.steps(), rows);
        GraphModel.Graph g = model.use(plan.steps(), plan.segment());
        int from = 0;
        for (EncodedBatch part : org.selectivbench.models.SequenceModel.pieces(b, plan.piece())) {
            Map<String, INDArray> state = null;
            if (plan.segment()) {
                state = new LinkedHashMap<>();
                for (Map.Entry<String, long[]> e : g.carried().entrySet()) {
                    state.put(e.getKey(), Nd4j.zeros(model.params().dtype(), batchShape(part.batch(), e.getValue())));
                }
            }
            for (int step = 0; step < b.steps(); step += plan.steps()) {
                run(part, step, Math.min(plan.steps(), b.steps() - step), g, real, output, state, sink, from);
            }
            from += part.batch();
        }
    }

    private static long[] batchShape(int batch, long[] shape) {
        long[] full = new long[shape.length + 1];
        full[0] = batch;
        System.arraycopy(shape, 0, full, 1, shape.length);
        return full;
    }

    /**
     * One graph run on steps [step, step + steps) of {@code b}: hands {@code output} to the sink and, for a
     * segment graph, replaces {@code state} by the states at the segment's end.
     */
    private void run(EncodedBatch b, int step, int steps, GraphModel.Graph g, double real, String output,
                     Map<String, INDArray> state, Part sink, int row) {
        Map<String, INDArray> feed = model.feed(b, step, g, false, real);
        List<String> outputs = new ArrayList<>(List.of(output));
        if (state != null) {
            state.forEach((n, a) -> feed.put(GraphBuilder.carryInName(n), a));
            state.keySet().forEach(n -> outputs.add(GraphBuilder.carryOutName(n)));
        }
        Map<String, INDArray> out = g.sd().output(feed, outputs.toArray(new String[0]));
        if (state != null) {
            for (String n : List.copyOf(state.keySet())) {
                state.put(n, out.get(GraphBuilder.carryOutName(n)).dup()); // ours: the session reuses its arrays
            }
        }
        INDArray o = out.get(output);
        sink.accept(row, step, steps, output.equals("loss") ? o : o.reshape(b.batch(), g.steps(), model.classes()));
    }
}
