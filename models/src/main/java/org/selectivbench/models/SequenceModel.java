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
    private final Map<Integer, Graph> graphs = new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, Graph> e) {
            if (size() > MAX_CACHED_GRAPHS) {
                releaseArrays(e.getValue());
                return true;
            }
            return false;
        }
    };
    /** The graph of the last step: only its sessions keep cached arrays (see {@link #use}). */
    private Graph current;

    /** One built graph: its length, parameter names and dropout placeholders. */
    public record Graph(SameDiff sd, int steps, List<String> paramNames, Map<String, Integer> dropoutMasks) {
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

    public synchronized Graph graph(int steps) {
        Graph g = graphs.get(steps);
        if (g == null) {
            g = build(steps);
            graphs.put(steps, g);
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
        Graph g = graph(steps);
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

    private Graph build(int t) {
        SameDiff sd = SameDiff.create();
        GraphBuilder g = new GraphBuilder(sd, params, t, config.dropout());
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
        sd.setLossVariables("loss");
        QuietGradients.create(sd);
        // In build order: Map.copyOf iterates in an order salted per JVM, which drew the dropout masks
        // in a different order in every process (the same run trained differently across processes).
        return new Graph(sd, t, List.copyOf(g.paramNames()),
                Collections.unmodifiableMap(new LinkedHashMap<>(g.dropoutMasks())));
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
        int t = g.steps();
        DataType dt = params.dtype();
        int rows = b.batch() * t;
        double[] in = new double[rows * vocab];
        int[] targets = new int[rows];
        double[] weights = new double[rows];
        for (int r = 0; r < b.batch(); r++) {
            for (int s = 0; s < b.steps(); s++) {
                int src = r * b.steps() + s;
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

    /** Evaluation loss (dropout off). */
    public double loss(EncodedBatch b) {
        Graph g = use(paddedSteps(b.steps()));
        return g.sd().output(feed(b, g, false), "loss").get("loss").getDouble(0);
    }

    /** Softmax outputs with dropout off, [batch][steps][classes] row-major (padding cut off). */
    public float[] probabilities(EncodedBatch b) {
        return evalOutput(b, "probs");
    }

    /** Logits with dropout off, [batch][steps][classes] row-major. */
    public float[] logits(EncodedBatch b) {
        return evalOutput(b, "logits");
    }

    private float[] evalOutput(EncodedBatch b, String name) {
        Graph g = use(paddedSteps(b.steps()));
        INDArray out = g.sd().output(feed(b, g, false), name).get(name).reshape(b.batch(), g.steps(), classes);
        if (g.steps() != b.steps()) {
            out = out.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(0, b.steps()),
                    org.nd4j.linalg.indexing.NDArrayIndex.all());
        }
        return out.dup('c').castTo(DataType.FLOAT).data().asFloat();
    }
}
