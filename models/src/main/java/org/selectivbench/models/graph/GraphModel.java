package org.selectivbench.models.graph;

import org.selectivbench.models.SequenceModel;
import org.selectivbench.models.modules.DropoutMasks;
import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.selectivbench.data.EncodedBatch;

/**
 * A model of the benchmark: the SPEC 6 wrapper around a mixer ({@link WrapperGraph}), its parameters,
 * its graphs by sequence length, the loss and gradients of a training batch, and evaluation outputs
 * (in bounded runs: {@link BoundedEvaluation}).
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
public final class GraphModel implements SequenceModel {
    private static final int MAX_CACHED_GRAPHS = 6;
    /** Graph lengths are multiples of this (see {@link #paddedSteps}). */
    static final int LENGTH_BUCKET = 16;

    private final ModelConfig config;
    private final int vocab;
    private final int classes;
    private final ParamStore params;
    private final Mixer mixer;
    private DropoutMasks masks;
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
    private final BoundedEvaluation evaluation = new BoundedEvaluation(this);

    /**
     * One built graph: its length, parameter names and dropout placeholders; a segment graph (see
     * {@link #probabilities(EncodedBatch, long)}) also its carried states' shapes without the batch axis.
     */
    public record Graph(SameDiff sd, int steps, List<String> paramNames, Map<String, Integer> dropoutMasks,
                        Map<String, long[]> carried) {
    }

    private record GraphKey(int steps, boolean segment) {
    }

    public GraphModel(ModelConfig config, int vocab, int classes, long seed, DataType dtype) {
        this.config = config;
        this.vocab = vocab;
        this.classes = classes;
        this.params = new ParamStore(seed, dtype);
        this.mixer = Mixers.of(config);
        this.masks = DropoutMasks.seeded(seed ^ 0x5DEECE66DL);
        graph(paddedSteps(1)); // creates every parameter, so a checkpoint can be loaded into them
    }

    /** Replaces the source of the training dropout masks (a test's, shared with the engine under test). */
    public void dropoutMasks(DropoutMasks m) {
        this.masks = m;
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

    static int roundUp(int n, int q) {
        return (n + q - 1) / q * q;
    }

    public Graph graph(int steps) {
        return graph(steps, false);
    }

    /** The graph of {@code steps} steps; a segment graph takes and hands on the mixers' recurrent states. */
    public synchronized Graph graph(int steps, boolean segment) {
        GraphKey key = new GraphKey(steps, segment);
        Graph g = graphs.get(key);
        if (g == null) {
            g = WrapperGraph.build(config, mixer, params, vocab, classes, steps, segment);
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

    synchronized Graph use(int steps, boolean segment) {
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

    /** Placeholder values for a batch, padded to the graph's length; dropout masks drawn when training. */
    public Map<String, INDArray> feed(EncodedBatch b, Graph g, boolean train) {
        return feed(b, g, train, b.realSteps());
    }

    /** As {@link #feed(EncodedBatch, Graph, boolean)}, with the loss a sum over real steps divided by {@code real}. */
    Map<String, INDArray> feed(EncodedBatch b, Graph g, boolean train, double real) {
        return feed(b, 0, g, train, real);
    }

    /** The batch's steps from {@code first} on, as many as the graph takes (padded beyond the batch's end). */
    Map<String, INDArray> feed(EncodedBatch b, int first, Graph g, boolean train, double real) {
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
        for (Map.Entry<String, Integer> e : g.dropoutMasks().entrySet()) {
            String site = e.getKey().substring(GraphBuilder.DROPOUT_MASK.length());
            ph.put(e.getKey(), train ? masks.mask(site, b.batch(), t, e.getValue(), config.dropout(), dt)
                    : Nd4j.ones(dt, rows, e.getValue()));
        }
        return ph;
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
        List<EncodedBatch> parts = SequenceModel.pieces(b, microBatch);
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
        // into the store's gradient arrays, where the optimiser finds every engine's gradients
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : sum.entrySet()) {
            out.put(e.getKey(), params.grad(e.getKey()).assign(e.getValue()));
        }
        return new StepResult(loss, out);
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

    /** Evaluation loss (dropout off) in graph runs of at most {@code rows} rows, see {@link #probabilities(EncodedBatch, long)}. */
    public double loss(EncodedBatch b, long rows) {
        return evaluation.loss(b, rows);
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

    /** Logits with dropout off, in graph runs of at most {@code rows} rows, see {@link #probabilities(EncodedBatch, long)}. */
    public float[] logits(EncodedBatch b, long rows) {
        return evalOutput(b, "logits", rows);
    }

    private float[] evalOutput(EncodedBatch b, String name, long rows) {
        return evaluation.outputs(b, name, rows);
    }

    boolean carriesState() {
        return mixer.carriesState();
    }
}
