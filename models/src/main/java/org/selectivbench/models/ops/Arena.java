package org.selectivbench.models.ops;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;

/**
 * The float32 Java path's arrays, reused from one pass to the next, as the ND4J path reuses its
 * workspace: the kernels take their arrays from {@link #floats} instead of {@code new}, so a
 * steady-state training step allocates next to nothing on the Java heap. Fresh arrays were tens of
 * megabytes a step: the heap grew through the first runs (resident memory and page faults), collector
 * threads took CPU beside the run, and every array came cold from memory.
 *
 * <p>An arena is open on one thread for one pass at a time ({@code FusedModel} opens it where it
 * activates its ND4J workspace). An array taken during a pass is its taker's until the pass ends and
 * must not be kept past it, as a workspace array. Arrays are pooled by length and handed out in the
 * order they are asked for; a pass of another shape (an evaluation piece, a segment) adds its own
 * lengths, and lengths the last two passes did not take are dropped. Where no arena is open (on the
 * kernels' pool threads, outside passes) and for small arrays, {@link #floats} is {@code new float[n]}.
 */
public final class Arena {
    private static final ThreadLocal<Arena> OPEN = new ThreadLocal<>();
    /** Arrays below this many floats are plain new: the JVM hands them out of its thread buffer cheaply. */
    static final int SMALL = 4096;

    private final HashMap<Integer, Pool> pools = new HashMap<>();
    /** Tests: NaN into every array when its pass ends, so that an array kept past its pass shows. */
    private final boolean poison;
    /** Arrays shorter than this are plain new. */
    private final int small;
    private boolean open;

    private static final class Pool {
        final ArrayList<float[]> arrays = new ArrayList<>();
        int next;
        /** The last pass that took from this pool. */
        long used;
    }

    /** Passes opened so far. */
    private long passes;

    public Arena() {
        this(false, SMALL);
    }

    private Arena(boolean poison, int small) {
        this.poison = poison;
        this.small = small;
    }

    /**
     * Tests: an arena that takes arrays of every length and writes NaN into them when a pass ends, so
     * that an array kept past its pass, or one that was not zero-filled, shows in the results.
     */
    public static Arena poisoned() {
        return new Arena(true, 0);
    }

    /** A zero-filled array of n floats: this thread's open arena's, else a new one. */
    public static float[] floats(int n) {
        Arena a = OPEN.get();
        return a == null || n < a.small ? new float[n] : a.take(n, true);
    }

    /**
     * An array of n floats holding whatever its last pass left, for a caller that writes every entry
     * before it reads any (a row kernel's outputs): the zero fill of {@link #floats} was a sixth of a GLA
     * step's samples. The poisoned arena hands these out full of NaN, so a caller that skips an entry shows.
     */
    public static float[] uninitialized(int n) {
        Arena a = OPEN.get();
        return a == null || n < a.small ? new float[n] : a.take(n, false);
    }

    private float[] take(int n, boolean zero) {
        Pool p = pools.computeIfAbsent(n, k -> new Pool());
        p.used = passes;
        if (p.next == p.arrays.size()) {
            float[] f = new float[n];
            if (poison && !zero) {
                Arrays.fill(f, Float.NaN);
            }
            p.arrays.add(f);
            p.next++;
            return f;
        }
        float[] f = p.arrays.get(p.next++);
        if (zero) {
            Arrays.fill(f, 0f);
        }
        return f;
    }

    /** Opens this arena on the calling thread for one pass; closing the pass hands its arrays back. */
    public Pass open() {
        if (OPEN.get() != null) {
            throw new IllegalStateException("an arena is already open on thread " + Thread.currentThread().getName());
        }
        open = true;
        passes++;
        OPEN.set(this);
        return this::close;
    }

    private void close() {
        OPEN.remove();
        open = false;
        // lengths the last two passes did not take go: training and evaluation passes of other shapes
        // then hold one set of arrays at a time, as garbage collected arrays did, not the sum of them
        pools.values().removeIf(p -> p.used < passes - 1);
        for (Pool p : pools.values()) {
            if (poison) {
                for (int i = 0; i < p.next; i++) {
                    Arrays.fill(p.arrays.get(i), Float.NaN);
                }
            }
            p.next = 0;
        }
    }

    /** The bytes this arena holds: the arrays of the lengths its last two passes took. */
    public long bytes() {
        long b = 0;
        for (Pool p : pools.values()) {
            for (float[] f : p.arrays) {
                b += 4L * f.length;
            }
        }
        return b;
    }

    /** Drops every array (the model's arrays are released). */
    public void release() {
        if (open) {
            throw new IllegalStateException("an arena was released during a pass");
        }
        pools.clear();
    }

    /** An open pass; closing it ends the pass. */
    public interface Pass extends AutoCloseable {
        @Override
        void close();
    }
}
