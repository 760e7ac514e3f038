package org.selectivbench.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.selectivbench.data.EncodedBatch;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.layers.Mixer;
import org.selectivbench.models.layers.Mixers;
import org.selectivbench.models.modules.CrossEntropy;
import org.selectivbench.models.modules.DropoutMasks;
import org.selectivbench.models.modules.Linear;
import org.selectivbench.models.modules.Mlp;
import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.modules.Pass;
import org.selectivbench.models.modules.PostNorm;
import org.selectivbench.models.ops.Arena;
import org.selectivbench.models.ops.Host;
import org.selectivbench.models.ops.Kernels;

/**
 * The SPEC 6 wrapper with explicit forward and backward passes: x = Linear(V -> d)(input); L times
 * x = LayerNorm(x + Dropout(mixer(x))) (post-norm; with mlp-expansion > 0 also
 * x = LayerNorm(x + Dropout(MLP(x)))); then Linear(d -> classes) per step and the loss of
 * {@link CrossEntropy}. A step is a fixed sequence of large array operations; every ND4J array it
 * makes comes from one workspace that is sized by the first steps and then reused, so a steady-state
 * step maps no new native memory. A float32 model on the CPU path passes Java arrays from layer to layer
 * instead, the output layer and the loss fused ({@code ops.LinearCrossEntropyFloat}).
 *
 * <p>Parameters are created in the order, with the names and the inits of the SameDiff reference graph
 * ({@code graph.GraphModel}), so the same seed gives the same model in both, and checkpoints of one
 * load into the other. Dropout masks are drawn in the order the layers run, which is the reference's.
 */
public final class FusedModel implements SequenceModel {
    private final ModelConfig config;
    private final int vocab;
    private final int classes;
    private final ParamStore params;
    private final Linear enc;
    private final List<Block> blocks = new ArrayList<>();
    private final Linear dec;
    private DropoutMasks masks;
    private final WorkspaceConfiguration workspace = WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .overallocationLimit(0.1)
            .policySpill(SpillPolicy.REALLOCATE)
            .build();
    private final String workspaceId = "selectivbench-step-" + System.identityHashCode(this);
    /** The float32 Java path's arrays, reused from pass to pass as the workspace's. */
    private Arena arena = new Arena();

    /** One post-norm residual block: the mixer, and optionally an MLP, each joined by a {@link PostNorm}. */
    private record Block(Mixer mixer, PostNorm norm, Mlp mlp, PostNorm mlpNorm) {
    }

    public FusedModel(ModelConfig config, int vocab, int classes, long seed, DataType dtype) {
        this.config = config;
        this.vocab = vocab;
        this.classes = classes;
        this.params = new ParamStore(seed, dtype);
        int d = config.width();
        this.enc = new Linear(params, "enc", vocab, d, true);
        for (int i = 0; i < config.layers(); i++) {
            String p = "l" + i;
            Mixer m = Mixers.of(config, params, p + "." + config.name());
            PostNorm norm = new PostNorm(params, p + ".ln", p + ".mixer", d, config.dropout());
            int hid = config.mlpExpansion() * d;
            boolean mlp = hid > 0;
            blocks.add(new Block(m, norm, mlp ? new Mlp(params, p + ".mlp", d, hid) : null,
                    mlp ? new PostNorm(params, p + ".mlp_ln", p + ".mlp", d, config.dropout()) : null));
        }
        double bound = 1.0 / Math.sqrt(d);
        this.dec = new Linear(params.param("dec.w", ParamStore.Init.uniform(bound), d, classes),
                params.param("dec.b", ParamStore.Init.uniform(bound), classes));
        this.masks = DropoutMasks.seeded(seed ^ 0x5DEECE66DL);
        params.pack();
    }

    /**
     * The scalars the constructor creates, counted without ND4J (so a driver can size a run before any
     * work starts): the encoder, per layer the mixer, its LayerNorm and the optional MLP with its
     * LayerNorm, and the decoder.
     */
    public static long parameters(ModelConfig c, int vocab, int classes) {
        int d = c.width();
        int hid = c.mlpExpansion() * d;
        long block = Mixers.parameters(c) + PostNorm.parameters(d)
                + (hid > 0 ? Mlp.parameters(d, hid) + PostNorm.parameters(d) : 0);
        return Linear.parameters(vocab, d, true) + c.layers() * block + Linear.parameters(d, classes, true);
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public int vocab() {
        return vocab;
    }

    @Override
    public int classes() {
        return classes;
    }

    @Override
    public ParamStore params() {
        return params;
    }

    /** Replaces the source of the training dropout masks (a test's, shared with the reference graph). */
    public void dropoutMasks(DropoutMasks m) {
        this.masks = m;
    }

    /** Whether the layers hand their recurrent state across segments of a long evaluation. */
    boolean carriesState() {
        return blocks.get(0).mixer().carriesState();
    }

    /** Logits [B*T, classes] of a feed's inputs [B*T, V]. */
    private INDArray forward(Pass p, Feed f) {
        if (floats()) {
            // GemmFloat's loops, as the fused training pass's logits
            return Host.array(dec.forwardFloats(p, hiddenFloats(p, f), f.rows()), f.rows(), classes);
        }
        return dec.forward(p, hidden(p, f));
    }

    /** The rows [B*T, d] that enter the output layer. */
    private INDArray hidden(Pass p, Feed f) {
        INDArray x = enc.forward(p, f.input());
        for (Block b : blocks) {
            x = b.norm().forward(p, x, b.mixer().forward(p, x));
            if (b.mlp() != null) {
                x = b.mlpNorm().forward(p, x, b.mlp().forward(p, x));
            }
        }
        return x;
    }

    /**
     * {@link #hidden} on the float32 Java path: the rows as Java arrays from layer to layer (a layer that
     * computes in ND4J arrays copies them in and out, {@link Mixer#forwardFloats}).
     */
    private float[] hiddenFloats(Pass p, Feed f) {
        int rows = f.rows(), d = config.width();
        float[] x = enc.forwardFloats(p, f.floats(), rows);
        for (Block b : blocks) {
            x = b.norm().forwardFloats(p, x, b.mixer().forwardFloats(p, x), d);
            if (b.mlp() != null) {
                x = b.mlpNorm().forwardFloats(p, x, Host.readFloats(b.mlp().forward(p, Host.array(x, rows, d))), d);
            }
        }
        return x;
    }

    /**
     * Whether the input and output layers take the float32 Java path: {@code GemmFloat}'s loops, and in
     * training the output layer and the loss in one pass ({@link CrossEntropy#trainingFloats}).
     */
    private boolean floats() {
        return Kernels.current() == Kernels.JAVA && params.dtype() == DataType.FLOAT;
    }

    /** The loss of one piece of a batch; adds its gradients. */
    private double lossAndGradients(Pass p, Feed f) {
        if (floats()) {
            float[] dx = Arena.floats(f.rows() * config.width());
            double loss = CrossEntropy.trainingFloats(dec, hiddenFloats(p, f), f.rows(), f.targets(), f.weights(), dx);
            enc.backwardParamsFloats(backwardFloats(p, dx), f.rows());
            return loss;
        }
        CrossEntropy.Training ce = CrossEntropy.training(forward(p, f), f.targets(), f.weights());
        enc.backwardParams(backward(p, dec.backward(ce.gradient(), null)));
        return ce.loss();
    }

    /** From d loss / d (the output layer's input) to d loss / d (the first block's input). */
    private INDArray backward(Pass p, INDArray dx) {
        for (int i = blocks.size() - 1; i >= 0; i--) {
            Block b = blocks.get(i);
            if (b.mlp() != null) {
                PostNorm.Grads g = b.mlpNorm().backward(dx);
                dx = b.mlp().backward(g.dBranch(), g.dx());
            }
            PostNorm.Grads g = b.norm().backward(dx);
            dx = g.dx().addi(b.mixer().backward(p, g.dBranch()));
        }
        return dx;
    }

    /** {@link #backward} on the float32 Java path's arrays. */
    private float[] backwardFloats(Pass p, float[] dx) {
        int rows = Math.toIntExact(p.rows()), d = config.width();
        for (int i = blocks.size() - 1; i >= 0; i--) {
            Block b = blocks.get(i);
            if (b.mlp() != null) {
                PostNorm.FloatGrads g = b.mlpNorm().backwardFloats(dx, d);
                dx = Host.readFloats(b.mlp().backward(Host.array(g.dBranch(), rows, d), Host.array(g.dx(), rows, d)));
            }
            PostNorm.FloatGrads g = b.norm().backwardFloats(dx, d);
            float[] dm = b.mixer().backwardFloats(p, g.dBranch()), sum = g.dx(); // the mixer leaves dBranch as it was
            for (int j = 0; j < sum.length; j++) {
                sum[j] += dm[j];
            }
            dx = sum;
        }
        return dx;
    }

    @Override
    public StepResult lossAndGradients(EncodedBatch b, boolean train, int microBatch) {
        params.zeroGrads();
        double real = b.realSteps();
        double loss = 0;
        for (EncodedBatch part : SequenceModel.pieces(b, microBatch)) {
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().getAndActivateWorkspace(workspace, workspaceId);
                 Arena.Pass pass = arena.open()) {
                Feed f = feed(part, 0, part.steps(), real);
                Pass p = Pass.withBackward(part.batch(), part.steps(), train ? masks : null);
                loss += lossAndGradients(p, f);
            }
        }
        return new StepResult(loss, params.grads());
    }

    /**
     * A batch's steps [from, from + steps): inputs [B*steps, V] (as a Java array on the float32 Java
     * path, else as an array of the model's type), targets and loss weights [B*steps].
     */
    private record Feed(INDArray input, float[] floats, int[] targets, double[] weights) {
        int rows() {
            return targets.length;
        }
    }

    private Feed feed(EncodedBatch b, int from, int steps, double real) {
        int rows = b.batch() * steps;
        float[] in = Arena.floats(rows * vocab);
        int[] targets = new int[rows];
        double[] weights = new double[rows];
        boolean single = params.dtype() == DataType.FLOAT;
        for (int r = 0; r < b.batch(); r++) {
            for (int s = 0; s < steps; s++) {
                int src = r * b.steps() + from + s, dst = r * steps + s;
                System.arraycopy(b.inputs(), src * vocab, in, dst * vocab, vocab);
                targets[dst] = b.targets()[src];
                double w = real > 0 ? b.mask()[src] / real : 0;
                weights[dst] = single ? (float) w : w; // the weights are of the model's type
            }
        }
        if (floats()) {
            return new Feed(null, in, targets, weights);
        }
        INDArray input = Host.array(in, rows, vocab); // Nd4j.create(float[]) took 0.6 ms for 56K floats
        if (params.dtype() != DataType.FLOAT) {
            input = input.castTo(params.dtype());
        }
        return new Feed(input, null, targets, weights);
    }

    @Override
    public double loss(EncodedBatch b, long rows) {
        double[] sum = {0};
        evaluate(b, rows, (piece, row, step, steps, logits, f) ->
                sum[0] += CrossEntropy.forward(logits, f.targets(), f.weights()).loss());
        return sum[0];
    }

    @Override
    public float[] probabilities(EncodedBatch b, long rows) {
        return outputs(b, rows, true);
    }

    @Override
    public float[] logits(EncodedBatch b, long rows) {
        return outputs(b, rows, false);
    }

    private float[] outputs(EncodedBatch b, long rows, boolean probs) {
        float[] all = new float[b.batch() * b.steps() * classes];
        evaluate(b, rows, (piece, row, step, steps, logits, f) -> {
            INDArray out = probs ? CrossEntropy.forward(logits, f.targets(), f.weights()).probs() : logits;
            float[] part = out.castTo(DataType.FLOAT).dup('c').data().asFloat();
            for (int r = 0; r < piece; r++) {
                System.arraycopy(part, r * steps * classes, all, ((row + r) * b.steps() + step) * classes,
                        steps * classes);
            }
        });
        return all;
    }

    /** Receives one run's logits [piece*steps, classes]: examples from {@code row}, steps from {@code step}. */
    private interface Sink {
        void accept(int piece, int row, int step, int steps, INDArray logits, Feed feed);
    }

    /**
     * How an evaluation runs within {@code rows} rows (examples times steps; 0 = one run): pieces of
     * examples and, for a model that carries its state, segments of the sequences. Segments are at least
     * {@link #MIN_SEGMENT} steps, so the kernels still get whole batch rows to share among threads.
     */
    public record Plan(int piece, int segment) {
        public static Plan of(boolean carriesState, int batch, int steps, long rows) {
            if (rows <= 0 || (long) batch * steps <= rows) {
                return new Plan(batch, steps);
            }
            if (!carriesState || steps <= rows) {
                return new Plan((int) Math.max(1, Math.min(batch, rows / steps)), steps);
            }
            int piece = (int) Math.max(1, Math.min(batch, rows / MIN_SEGMENT));
            int segment = (int) Math.max(1, rows / piece);
            int segments = (steps + segment - 1) / segment;
            return new Plan(piece, (steps + segments - 1) / segments); // equal segments
        }
    }

    static final int MIN_SEGMENT = 64;

    Plan plan(int batch, int steps, long rows) {
        return Plan.of(carriesState(), batch, steps, rows);
    }

    private void evaluate(EncodedBatch b, long rows, Sink sink) {
        Plan plan = plan(b.batch(), b.steps(), rows);
        double real = b.realSteps();
        int row = 0;
        for (EncodedBatch part : SequenceModel.pieces(b, plan.piece())) {
            Map<String, INDArray> state = Map.of();
            for (int step = 0; step < b.steps(); step += plan.segment()) {
                int steps = Math.min(plan.segment(), b.steps() - step);
                boolean segments = plan.segment() < b.steps();
                try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().getAndActivateWorkspace(workspace, workspaceId);
                     Arena.Pass pass = arena.open()) {
                    Feed f = feed(part, step, steps, real);
                    Pass p = segments ? Pass.segment(part.batch(), steps, state) : Pass.evaluation(part.batch(), steps);
                        sink.accept(part.batch(), row, step, steps, forward(p, f), f);
                    state = p.handedOn();
                }
            }
            row += part.batch();
        }
    }

    /** Tests: another arena (one that poisons its arrays after each pass). */
    void arena(Arena a) {
        arena.release();
        arena = a;
    }

    /** Bytes the float32 Java path's arena holds now ({@link Arena#bytes}). */
    public long arenaBytes() {
        return arena.bytes();
    }

    /** Bytes the step workspace holds now: what the largest step so far needed (memory calibration). */
    public long workspaceBytes() {
        return Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(workspace, workspaceId).getCurrentSize();
    }

    @Override
    public void releaseArrays() {
        Nd4j.getWorkspaceManager().destroyWorkspace(
                Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(workspace, workspaceId));
        arena.release();
    }
}
