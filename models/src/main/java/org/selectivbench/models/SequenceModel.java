package org.selectivbench.models;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.BernoulliDistribution;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.selectivbench.data.EncodedBatch;

/**
 * The SPEC 6 wrapper around a mixer: x = Linear(V -> d)(input); L times
 * x = LayerNorm(x + Dropout(mixer(x))) (post-norm), optionally followed by
 * x = LayerNorm(x + Dropout(MLP(x))) when mlp-expansion > 0; then Linear(d -> classes) per step.
 *
 * <p>Inputs are real vectors [B, T, V] (one-hot symbols plus noise), not embedding lookups. The loss
 * is the cross-entropy of every real step (mask = 1), averaged per step: targets enter as a one-hot
 * made in the graph and per-step weights mask / (number of real steps), so padding adds nothing.
 *
 * <p>A graph has a fixed length T (the chunked scans split T into chunks at build time) and a
 * dynamic batch. Batches are padded at the end to {@link #paddedSteps}; padding after the last real
 * step cannot change earlier outputs of a causal model. Graphs for different lengths share the
 * parameter arrays of one {@link ParamStore}.
 */
public final class SequenceModel {
    private static final int MAX_CACHED_GRAPHS = 6;
    /** Graph lengths are multiples of this (see {@link #paddedSteps}). */
    static final int LENGTH_BUCKET = 16;

    private final ModelConfig config;
    private final int vocab;
    private final int classes;
    private final ParamStore params;
    private final Mixer mixer;
    private final Random dropoutRng;
    private final Map<GraphKey, Graph> graphs = new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<GraphKey, Graph> e) {
            if (size() > MAX_CACHED_GRAPHS) {
                releaseArrays(e.getValue());
                return true;
            }
            return false;
        }
    };
    /** The graph of the last step: only its sessions keep cached arrays (see {@link #use}). */
    private Graph current;

    /**
     * One built graph: its length, parameter names and dropout placeholders; a segment graph (see
     * {@link #probabilities(EncodedBatch, long)}) also its carried states' shapes without the batch axis.
     */
    public record Graph(SameDiff sd, int steps, List<String> paramNames, Map<String, Integer> dropoutMasks,
                        Map<String, long[]> carried) {
        boolean segment() {
            return !carried.isEmpty();
        }
    }

    private record GraphKey(int steps, boolean segment) {
    }

    /** Loss of a batch and the gradient of every parameter. */
    public record StepResult(double loss, Map<String, INDArray> gradients) {
    }

    public SequenceModel(ModelConfig config, int vocab, int classes, long seed, DataType dtype) {
        this.config = config;
        this.vocab = vocab;
        this.classes = classes;
        this.params = new ParamStore(seed, dtype);
        this.mixer = Mixers.of(config);
        this.dropoutRng = Nd4j.getRandomFactory().getNewRandomInstance(seed ^ 0x5DEECE66DL);
        graph(paddedSteps(1)); // creates every parameter, so a checkpoint can be loaded into them
    }

    public ModelConfig config() {
        return config;
    }

    public int vocab() {
        return vocab;
    }

    public int classes() {
        return classes;
    }

    public ParamStore params() {
        return params;
    }

    public long parameterCount() {
        return params.count();
    }

    /**
     * The graph length used for a batch of {@code steps} steps: rounded up to a multiple of
     * {@link #LENGTH_BUCKET}, and beyond one chunk to a multiple of the chunk for chunked models.
     * Every distinct length is a graph to build and differentiate (about a second each), and batches
     * of variable-length examples would otherwise build one per batch. Padding sits after the last
     * real step, where a causal model cannot change earlier outputs, and carries no loss.
     */
    public int paddedSteps(int steps) {
        int padded = roundUp(steps, LENGTH_BUCKET);
        int c = config.chunkSize();
        if (Mixers.chunked(config.name()) && padded > c) {
            padded = roundUp(steps, c);
        }
        return padded;
    }

    private static int roundUp(int n, int q) {
        return (n + q - 1) / q * q;
    }

    public Graph graph(int steps) {
        return graph(steps, false);
    }

    /** The graph of {@code steps} steps; a segment graph takes and hands on the mixers' recurrent states. */
    synchronized Graph graph(int steps, boolean segment) {
        GraphKey key = new GraphKey(steps, segment);
        Graph g = graphs.get(key);
        if (g == null) {
            g = build(steps, segment);
            graphs.put(key, g);
        }
        return g;
    }

    /**
     * The graph for a batch of {@code steps} steps, ready to run. Each SameDiff session keeps a cache
     * of released arrays for reuse by the next step (up to a quarter of JavaCPP's max bytes, per
     * session); variable-length data switches between graphs, and with every cached graph's forward and
     * gradient sessions holding a full cache a task-2 run passed the 14 GB resident cap. So the cache
     * of the graph we leave is freed: at most one graph's sessions hold arrays.
     */
    private synchronized Graph use(int steps) {
        return use(steps, false);
    }

    private synchronized Graph use(int steps, boolean segment) {
        Graph g = graph(steps, segment);
        if (current != null && current != g) {
            releaseArrays(current);
        }
        current = g;
        return g;
    }

    /** Frees the arrays every graph's sessions cache (call when the model is done with, e.g. after a run). */
    public synchronized void releaseArrays() {
        for (Graph g : graphs.values()) {
            releaseArrays(g);
        }
        current = null;
    }

    private static void releaseArrays(Graph g) {
        releaseSessions(g.sd());
        releaseSessions(g.sd().getFunction("grad"));
    }

    private static void releaseSessions(SameDiff sd) {
        if (sd == null) {
            return;
        }
        for (InferenceSession s : sd.getSessions().values()) {
            s.getMmgr().close();
        }
        sd.getSessions().clear(); // the next call starts a fresh session with an empty cache
    }

    private Graph build(int t, boolean segment) {
        SameDiff sd = SameDiff.create();
        GraphBuilder g = new GraphBuilder(sd, params, t, config.dropout(), segment);
        DataType dt = params.dtype();
        int d = config.width();
        SDVariable input = sd.placeHolder("input", dt, -1, t, vocab);
        SDVariable x = g.linear("enc", input.reshape(-1, vocab), vocab, d, true);
        for (int i = 0; i < config.layers(); i++) {
            String p = "l" + i;
            SDVariable m = mixer.apply(g, p + "." + config.name(), x);
            x = layerNorm(g, p + ".ln", x.add(g.dropout(p + ".mixer", m, d)), d);
            if (config.mlpExpansion() > 0) {
                int hid = config.mlpExpansion() * d;
                SDVariable mlp = g.linear(p + ".mlp2", sd.nn().gelu(g.linear(p + ".mlp1", x, d, hid, true)), hid, d, true);
                x = layerNorm(g, p + ".mlp_ln", x.add(g.dropout(p + ".mlp", mlp, d)), d);
            }
        }
        // Decoder with its bias folded into the matmul ([x, 1] times [W; b]): the [B*T, classes]
        // logits are the largest arrays of the step, and a separate bias add costs one more of them
        // forward and another in backprop. Parameters stay dec.w [d, classes] and dec.b [classes].
        double bound = 1.0 / Math.sqrt(d);
        SDVariable decW = g.param("dec.w", ParamStore.Init.uniform(bound), d, classes);
        SDVariable decB = g.param("dec.b", ParamStore.Init.uniform(bound), classes);
        SDVariable ones = sd.placeHolder("ones", dt, -1, 1);
        SDVariable logits = sd.concat(1, x, ones).mmul(sd.concat(0, decW, decB.reshape(1, classes)));
        logits.rename("logits");
        SDVariable targets = sd.placeHolder("targets", DataType.INT32, -1);
        SDVariable weights = sd.placeHolder("weights", dt, -1);
        crossEntropy(sd, logits, targets, weights, classes, dt);
        if (segment) { // evaluation only: no gradients
            if (g.carried().isEmpty()) {
                throw new IllegalStateException("model " + config.name() + " carries no state: no segment graphs");
            }
            return new Graph(sd, t, List.copyOf(g.paramNames()),
                    Collections.unmodifiableMap(new LinkedHashMap<>(g.dropoutMasks())),
                    Collections.unmodifiableMap(new LinkedHashMap<>(g.carried())));
        }
        sd.setLossVariables("loss");
        QuietGradients.create(sd);
        // In build order: Map.copyOf iterates in an order salted per JVM, which drew the dropout masks
        // in a different order in every process (the same run trained differently across processes).
        return new Graph(sd, t, List.copyOf(g.paramNames()),
                Collections.unmodifiableMap(new LinkedHashMap<>(g.dropoutMasks())), Map.of());
    }

    /**
     * Adds "probs" (softmax of the logits) and "loss" = sum_rows weight * (logsumexp(logits) -
     * logit[target]). The [B*T, classes] arrays are the largest of a step, so the form keeps them
     * few and uses only plain elementwise ops and reductions over them: M2.1's logSoftmax and its
     * backprop took about 0.9 s each at the bench shape, its fused softmax_cross_entropy_loss 1.1 s
     * forward and 1.8 s back, where an elementwise op on such an array takes a few tens of ms.
     * The row maximum that keeps exp from overflowing is passed through an integer cast: it is a
     * constant shift (logsumexp does not depend on it), so no gradient needs to flow through it,
     * and an integer-typed variable is not differentiated (no [B*T, classes] reduce_max backprop).
     */
    static void crossEntropy(SameDiff sd, SDVariable logits, SDVariable targets, SDVariable weights, int classes,
                             DataType dt) {
        SDVariable shift = logits.max(true, 1).castTo(DataType.INT32).castTo(dt); // floor(max) per row, [R, 1]
        SDVariable e = sd.math().exp(logits.sub(shift)); // <= e
        SDVariable sum = e.sum(true, 1); // [R, 1]
        e.div("probs", sum);
        SDVariable lse = sd.math().log(sum).add(shift).reshape(-1);
        SDVariable onehot = sd.oneHot(targets, classes, -1, 1.0, 0.0, dt);
        SDVariable picked = logits.mul(onehot).sum(1);
        lse.sub(picked).mul(weights).sum().rename("loss");
    }

    private static SDVariable layerNorm(GraphBuilder g, String name, SDVariable x, int d) {
        SDVariable gain = g.param(name + ".g", ParamStore.Init.constant(1.0), d);
        SDVariable bias = g.param(name + ".b", ParamStore.Init.constant(0.0), d);
        return g.sd().nn().layerNorm(x, gain, bias, false, 1);
    }

    /** Placeholder values for a batch, padded to the graph's length; dropout masks drawn when training. */
    public Map<String, INDArray> feed(EncodedBatch b, Graph g, boolean train) {
        return feed(b, g, train, b.realSteps());
    }

    /** As {@link #feed(EncodedBatch, Graph, boolean)}, with the loss a sum over real steps divided by {@code real}. */
    Map<String, INDArray> feed(EncodedBatch b, Graph g, boolean train, double real) {
        return feed(b, 0, g, train, real);
    }

    /** The batch's steps from {@code first} on, as many as the graph takes (padded beyond the batch's end). */
    private Map<String, INDArray> feed(EncodedBatch b, int first, Graph g, boolean train, double real) {
        int t = g.steps();
        DataType dt = params.dtype();
        int rows = b.batch() * t;
        double[] in = new double[rows * vocab];
        int[] targets = new int[rows];
        double[] weights = new double[rows];
        int steps = Math.max(0, Math.min(t, b.steps() - first));
        for (int r = 0; r < b.batch(); r++) {
            for (int s = 0; s < steps; s++) {
                int src = r * b.steps() + first + s;
                int dst = r * t + s;
                for (int v = 0; v < vocab; v++) {
                    in[dst * vocab + v] = b.inputs()[src * vocab + v];
                }
                targets[dst] = b.targets()[src];
                weights[dst] = real > 0 ? b.mask()[src] / real : 0;
            }
        }
        Map<String, INDArray> ph = new LinkedHashMap<>();
        ph.put("input", Nd4j.create(in, new long[] {b.batch(), t, vocab}, dt));
        ph.put("targets", Nd4j.createFromArray(targets));
        ph.put("weights", Nd4j.create(weights, new long[] {rows}, dt));
        ph.put("ones", Nd4j.ones(dt, rows, 1));
        double keep = 1 - config.dropout();
        for (Map.Entry<String, Integer> e : g.dropoutMasks().entrySet()) {
            INDArray mask = Nd4j.createUninitialized(dt, rows, e.getValue());
            if (train) {
                Nd4j.getExecutioner().exec(new BernoulliDistribution(mask, keep), dropoutRng);
                mask.divi(keep);
            } else {
                mask.assign(1.0);
            }
            ph.put(e.getKey(), mask);
        }
        return ph;
    }

    /** Loss and gradients of one batch (dropout on when {@code train}), all of it at once. */
    public StepResult lossAndGradients(EncodedBatch b, boolean train) {
        return lossAndGradients(b, train, 0);
    }

    /**
     * Loss and gradients of one batch, computed in pieces of at most {@code microBatch} examples (0 =
     * all at once) and summed. Every piece is weighted by the real steps of the whole batch, so the
     * sum is the whole batch's loss and gradient (up to float rounding), while the arrays that
     * backprop keeps are those of one piece: memory falls with the piece, time barely changes. Dropout
     * masks are drawn piece by piece, so they differ from the whole batch's.
     */
    public StepResult lossAndGradients(EncodedBatch b, boolean train, int microBatch) {
        Graph g = use(paddedSteps(b.steps()));
        List<EncodedBatch> parts = pieces(b, microBatch);
        double real = b.realSteps();
        double loss = 0;
        Map<String, INDArray> sum = null;
        for (EncodedBatch part : parts) {
            Map<String, INDArray> grads = new LinkedHashMap<>();
            loss += lossAndGradients(g, feed(part, g, train, real), grads);
            if (parts.size() == 1) {
                sum = grads;
            } else if (sum == null) {
                sum = new LinkedHashMap<>();
                for (Map.Entry<String, INDArray> e : grads.entrySet()) {
                    sum.put(e.getKey(), e.getValue().dup()); // ours: the session may reuse its arrays
                }
            } else {
                for (Map.Entry<String, INDArray> e : grads.entrySet()) {
                    sum.get(e.getKey()).addi(e.getValue());
                }
            }
        }
        return new StepResult(loss, sum);
    }

    /** {@code b} in consecutive pieces of at most {@code piece} examples (0 = one piece, {@code b} itself). */
    public static List<EncodedBatch> pieces(EncodedBatch b, int piece) {
        if (piece <= 0 || piece >= b.batch()) {
            return List.of(b);
        }
        List<EncodedBatch> parts = new ArrayList<>();
        for (int from = 0; from < b.batch(); from += piece) {
            parts.add(b.rows(from, Math.min(b.batch(), from + piece)));
        }
        return parts;
    }

    /**
     * What SameDiff's {@code calculateGradientsAndOutputs} does, without its
     * {@code setEnableCache(false)} on the gradient function: with the cache off, M2.1's session
     * releases no array during the step (its release is guarded by the cache flag), so every
     * intermediate of forward and backprop stayed allocated until the end of the step and beyond,
     * held by the session until the next step. With it on, each array goes back to the session's
     * cache as soon as its last consumer has run. Fills {@code grads} by parameter name.
     */
    private static double lossAndGradients(Graph g, Map<String, INDArray> feed, Map<String, INDArray> grads) {
        SameDiff sd = g.sd();
        SameDiff gradFn = sd.getFunction("grad");
        Map<String, String> gradName = new LinkedHashMap<>();
        for (String p : g.paramNames()) {
            SDVariable v = sd.getVariable(p).getGradient();
            if (v != null) { // a parameter the loss does not depend on has none
                gradName.put(p, v.name());
            }
        }
        List<String> outputs = new ArrayList<>(gradName.values());
        outputs.add("loss");
        gradFn.setListeners(sd.getListeners());
        Map<String, INDArray> out = gradFn.output(feed, outputs.toArray(new String[0]));
        gradName.forEach((p, v) -> grads.put(p, out.get(v)));
        return out.get("loss").getDouble(0);
    }

    /** Evaluation loss (dropout off), the whole batch in one graph run. */
    public double loss(EncodedBatch b) {
        return loss(b, 0);
    }

    /** Evaluation loss (dropout off) in graph runs of at most {@code rows} rows, see {@link #probabilities(EncodedBatch, long)}. */
    public double loss(EncodedBatch b, long rows) {
        double[] sum = {0};
        double real = b.realSteps();
        evaluate(b, rows, real, "loss", (row, step, steps, out) -> sum[0] += out.getDouble(0));
        return sum[0];
    }

    /** Softmax outputs with dropout off, [batch][steps][classes] row-major (padding cut off); one graph run. */
    public float[] probabilities(EncodedBatch b) {
        return probabilities(b, 0);
    }

    /**
     * Softmax outputs with dropout off, [batch][steps][classes] row-major, in graph runs of at most
     * {@code rows} rows (examples times padded steps; 0 = the whole batch in one run): the batch in
     * pieces of examples and, for a mixer that carries its recurrent state ({@link Mixer#carriesState}),
     * long sequences in consecutive segments whose graphs hand the state on. The same outputs up to
     * float rounding, with the memory of one run whatever the length (task 4: 20,200 steps).
     */
    public float[] probabilities(EncodedBatch b, long rows) {
        return evalOutput(b, "probs", rows);
    }

    /** Logits with dropout off, [batch][steps][classes] row-major; one graph run. */
    public float[] logits(EncodedBatch b) {
        return logits(b, 0);
    }

    /** Logits with dropout off, in graph runs of at most {@code rows} rows, see {@link #probabilities(EncodedBatch, long)}. */
    public float[] logits(EncodedBatch b, long rows) {
        return evalOutput(b, "logits", rows);
    }

    private float[] evalOutput(EncodedBatch b, String name, long rows) {
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
    record EvalPlan(int piece, int steps, boolean segment) {
    }

    /** The plan for a batch of {@code batch} examples of {@code steps} steps, at most {@code rows} rows per run (0 = any). */
    EvalPlan evalPlan(int batch, int steps, long rows) {
        int whole = paddedSteps(steps);
        if (rows <= 0 || (long) batch * whole <= rows) {
            return new EvalPlan(batch, whole, false);
        }
        if (!mixer.carriesState() || rows >= whole) { // whole sequences, as many examples as fit (at least one)
            return new EvalPlan((int) Math.max(1, rows / whole), whole, false);
        }
        int unit = Mixers.chunked(config.name()) ? Math.max(LENGTH_BUCKET, config.chunkSize()) : LENGTH_BUCKET;
        int piece = (int) Math.max(1, Math.min(batch, rows / unit));
        int longest = (int) Math.max(unit, rows / piece / unit * unit); // the longest segment that fits
        int segments = (steps + longest - 1) / longest;
        // equal segments of a whole number of chunks, rather than a short last one padded to the full length
        return new EvalPlan(piece, roundUp((steps + segments - 1) / segments, unit), true);
    }

    /** Runs an evaluation in bounded graph runs (see {@link #probabilities(EncodedBatch, long)}). */
    private void evaluate(EncodedBatch b, long rows, double real, String output, Part sink) {
        EvalPlan plan = evalPlan(b.batch(), b.steps(), rows);
        Graph g = use(plan.steps(), plan.segment());
        for (int from = 0; from < b.batch(); from += plan.piece()) {
            EncodedBatch part = plan.piece() >= b.batch() ? b : b.rows(from, Math.min(b.batch(), from + plan.piece()));
            Map<String, INDArray> state = null;
            if (plan.segment()) {
                state = new LinkedHashMap<>();
                for (Map.Entry<String, long[]> e : g.carried().entrySet()) {
                    state.put(e.getKey(), Nd4j.zeros(params.dtype(), batchShape(part.batch(), e.getValue())));
                }
            }
            for (int step = 0; step < b.steps(); step += plan.steps()) {
                run(part, step, Math.min(plan.steps(), b.steps() - step), g, real, output, state, sink, from);
            }
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
    private void run(EncodedBatch b, int step, int steps, Graph g, double real, String output,
                     Map<String, INDArray> state, Part sink, int row) {
        Map<String, INDArray> feed = feed(b, step, g, false, real);
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
        sink.accept(row, step, steps, output.equals("loss") ? o : o.reshape(b.batch(), g.steps(), classes));
    }
}
