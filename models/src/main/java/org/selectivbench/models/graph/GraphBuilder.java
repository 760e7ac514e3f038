package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Helps a mixer add itself to a graph of fixed sequence length {@link #steps()} and dynamic batch.
 *
 * <p>Layout: activations between layers are rank 2, {@code [B*T, width]}, rows ordered (b, t). A
 * linear layer is then one matmul, with no reshape around it; a mixer reshapes to
 * {@code [-1, T, ...]} only where it needs the time axis. Every op costs a few ms in SameDiff M2.1
 * whatever its size, so saving reshapes matters.
 */
public final class GraphBuilder {
    private final SameDiff sd;
    private final ParamStore params;
    private final int steps;
    private final DataType dtype;
    private final List<String> paramNames = new ArrayList<>();
    /** Dropout mask placeholders and their widths; the model feeds them (ones in evaluation). */
    private final Map<String, Integer> dropoutMasks = new LinkedHashMap<>();
    private final double dropout;
    /** Whether this graph is one segment of a longer evaluation; see {@link #carriedIn}. */
    private final boolean segment;
    /** Carried state names and their shapes without the batch axis, in build order. */
    private final Map<String, long[]> carried = new LinkedHashMap<>();

    GraphBuilder(SameDiff sd, ParamStore params, int steps, double dropout, boolean segment) {
        this.sd = sd;
        this.params = params;
        this.steps = steps;
        this.dtype = params.dtype();
        this.dropout = dropout;
        this.segment = segment;
    }

    /** Prefix of the dropout mask placeholders; the rest is the dropout site's name. */
    static final String DROPOUT_MASK = "dropmask.";

    public SameDiff sd() {
        return sd;
    }

    /** Time steps T of this graph (static; the batch is dynamic). */
    public int steps() {
        return steps;
    }

    /** Whether this graph is one segment of a long evaluation (evaluation only; see {@link #carriedIn}). */
    public boolean segment() {
        return segment;
    }

    public DataType dtype() {
        return dtype;
    }

    /** A trainable parameter backed by the shared {@link ParamStore} array. */
    public SDVariable param(String name, ParamStore.Init init, long... shape) {
        INDArray a = params.get(name, shape, init);
        SDVariable v = sd.var(name, a);
        // sd.var may keep its own copy: point the graph at the master array so updates are shared.
        sd.setArrayForVariable(name, a);
        paramNames.add(name);
        return v;
    }

    /** A constant array (masks, triangular matrices, RoPE tables), in the model's data type. */
    public SDVariable constant(String name, INDArray value) {
        return sd.constant(name, value.castTo(dtype));
    }

    /** x [rows, in] times W [in, out] (+ b), init uniform(+-1/sqrt(in)) as torch's nn.Linear. */
    public SDVariable linear(String name, SDVariable x, int in, int out, boolean bias) {
        double bound = 1.0 / Math.sqrt(in);
        SDVariable y = x.mmul(param(name + ".w", ParamStore.Init.uniform(bound), in, out));
        return bias ? y.add(param(name + ".b", ParamStore.Init.uniform(bound), out)) : y;
    }

    /**
     * Inverted dropout on x [B*T, width]: multiplies by a fed mask (Bernoulli(1-p)/(1-p) in
     * training, ones in evaluation). A fed mask instead of SameDiff's dropout op makes train and
     * eval mode explicit and reproducible from the trainer's seed.
     */
    public SDVariable dropout(String name, SDVariable x, int width) {
        if (dropout == 0) {
            return x;
        }
        String ph = DROPOUT_MASK + name;
        dropoutMasks.put(ph, width);
        return x.mul(sd.placeHolder(ph, dtype, -1, width));
    }

    /**
     * In a segment graph (an evaluation of a long sequence in consecutive segments, see
     * {@link BoundedEvaluation}), the recurrent state {@code name} entering this segment: a placeholder
     * {@code [B, shape...]} fed with the previous segment's {@link #carryOut} (zeros for the first).
     * Null in any other graph, where the state starts at 0. Names must be unique in the graph.
     */
    public SDVariable carriedIn(String name, long... shape) {
        if (!segment) {
            return null;
        }
        if (carried.containsKey(name)) {
            throw new IllegalStateException("carried state " + name + " declared twice");
        }
        carried.put(name, shape.clone());
        long[] full = new long[shape.length + 1];
        full[0] = -1;
        System.arraycopy(shape, 0, full, 1, shape.length);
        return sd.placeHolder(carryInName(name), dtype, full);
    }

    /** The state {@code name} at the end of this segment (shape as in {@link #carriedIn}); nothing outside segments. */
    public void carryOut(String name, SDVariable state) {
        if (segment) {
            if (!carried.containsKey(name)) {
                throw new IllegalStateException("carried state " + name + " leaves the segment but never entered it");
            }
            sd.identity(carryOutName(name), state);
        }
    }

    static String carryInName(String name) {
        return "carry_in." + name;
    }

    static String carryOutName(String name) {
        return "carry_out." + name;
    }

    Map<String, long[]> carried() {
        return carried;
    }

    List<String> paramNames() {
        return paramNames;
    }

    Map<String, Integer> dropoutMasks() {
        return dropoutMasks;
    }
}
