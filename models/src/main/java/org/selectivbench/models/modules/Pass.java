package org.selectivbench.models.modules;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One forward pass (and, when a backward pass follows, what it needs) over a batch of {@link #batch}
 * sequences of {@link #steps} steps, rows [B*T, ...] ordered (b, t). Dropout is on when the pass has a
 * generator for its masks. An evaluation of a long sequence runs in consecutive
 * segments: each layer takes the recurrent state the previous segment handed on ({@link #carried})
 * and hands its own on ({@link #carry}).
 */
public final class Pass {
    private final int batch;
    private final int steps;
    private final boolean keep;
    private final DropoutMasks dropout;
    private final Map<String, INDArray> in;
    private final Map<String, INDArray> out;

    private Pass(int batch, int steps, boolean keep, DropoutMasks dropout, Map<String, INDArray> in, boolean segments) {
        this.batch = batch;
        this.steps = steps;
        this.keep = keep;
        this.dropout = dropout;
        this.in = in;
        this.out = segments ? new LinkedHashMap<>() : null;
    }

    /**
     * A pass followed by backward; dropout masks come from {@code dropout} in the order the layers ask
     * (null: dropout off).
     */
    public static Pass withBackward(int batch, int steps, DropoutMasks dropout) {
        return new Pass(batch, steps, true, dropout, Map.of(), false);
    }

    /** An evaluation pass over whole sequences. */
    public static Pass evaluation(int batch, int steps) {
        return new Pass(batch, steps, false, null, Map.of(), false);
    }

    /** One segment of an evaluation: states enter from {@code entering} (empty for the first). */
    public static Pass segment(int batch, int steps, Map<String, INDArray> entering) {
        return new Pass(batch, steps, false, null, entering, true);
    }

    public int batch() {
        return batch;
    }

    public int steps() {
        return steps;
    }

    public long rows() {
        return (long) batch * steps;
    }

    /** Whether layers keep what a backward pass needs. */
    public boolean keep() {
        return keep;
    }

    /** Whether this pass is a segment whose layers hand their states on. */
    public boolean segmented() {
        return out != null;
    }

    /** The state {@code name} entering this pass, or null (a zero state). */
    public INDArray carried(String name) {
        return in.get(name);
    }

    /** Hands the state {@code name} on to the next segment (copied out of the step's workspace). */
    public void carry(String name, INDArray state) {
        if (out == null) {
            return;
        }
        if (out.containsKey(name)) {
            throw new IllegalStateException("state " + name + " handed on twice");
        }
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            out.put(name, state.dup('c'));
        }
    }

    /** The states handed on, by name. */
    public Map<String, INDArray> handedOn() {
        return out == null ? Map.of() : out;
    }

    /** The source of the dropout masks, or null when dropout is off. */
    public DropoutMasks dropoutMasks() {
        return dropout;
    }
}
