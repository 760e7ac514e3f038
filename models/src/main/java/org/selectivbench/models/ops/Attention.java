package org.selectivbench.models.ops;

import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Causal softmax attention per sequence g (a batch row times a head), o = softmax(q k^T * scale + causal
 * mask) v on q, k, v [G, T, hd], as batched matmuls (any backend; the CPU path is {@link AttentionRows},
 * which the Transformer layer calls with its Java form). Training keeps the probabilities [G, T, T] for
 * backward. Evaluations longer than {@link #QUERY_BLOCK} steps (task 4) take the queries in blocks, each
 * against the keys up to its block's end, so memory is one block's scores.
 */
public final class Attention {
    static final int QUERY_BLOCK = 1024;
    private static final double MASKED = -1e30;
    /** Causal masks by rows, width and type: 0 on and below the diagonal, -1e30 above; the last few kept. */
    private static final Map<String, INDArray> MASKS = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, INDArray> e) {
                    return size() > 8;
                }
            });

    private Attention() {
    }

    /** q is kept scaled; o is the output (its row dot products with dO give softmax's backward). */
    public record Saved(INDArray q, INDArray k, INDArray v, INDArray probs, INDArray o, double scale) {
    }

    /** The output [G, T, hd], and what backward needs when {@code keep}. */
    public record Result(INDArray out, Saved saved) {
    }

    /**
     * The [G, T, T] arrays are the cost here, so they get as few passes as possible: the scale goes on q
     * ([G, T, hd]), and softmax's backward takes its row sums as rowsum(dO o) ([G, T, hd]) instead of
     * rowsum(dP P), as FlashAttention does.
     */
    public static Result forward(INDArray q, INDArray k, INDArray v, double scale, boolean keep) {
        long t = q.size(1);
        INDArray qs = q.mul(scale);
        if (t > QUERY_BLOCK && !keep) {
            return new Result(blocked(qs, k, v), null);
        }
        INDArray p = scores(qs, k, 0, t);
        INDArray o = bmm(p, v, false, false);
        return new Result(o, keep ? new Saved(qs, k, v, p, o, scale) : null);
    }

    /** {dq, dk, dv}. */
    public static INDArray[] backward(Saved s, INDArray dO) {
        INDArray dv = bmm(s.probs(), dO, true, false);
        INDArray dp = bmm(dO, s.v(), false, true);
        INDArray rowDot = dO.mul(s.o()).sum(2); // [G, T]: sum_j dP_ij P_ij = dO_i . o_i
        Nd4j.exec(new BroadcastSubOp(dp, rowDot, dp, 0, 1));
        INDArray ds = dp.muli(s.probs()); // d(scores), the scale still to come
        INDArray dq = bmm(ds, s.k(), false, false).muli(s.scale());
        INDArray dk = bmm(ds, s.q(), true, false); // q was kept scaled
        return new INDArray[] {dq, dk, dv};
    }

    /** softmax(qs[from, to) k[0, to)^T + mask) for queries [from, to): [G, to - from, to]. */
    private static INDArray scores(INDArray qs, INDArray k, long from, long to) {
        INDArray qb = from == 0 && to == qs.size(1) ? qs : steps(qs, from, to);
        INDArray kb = to == k.size(1) ? k : steps(k, 0, to);
        INDArray sc = bmm(qb, kb, false, true);
        Nd4j.exec(new BroadcastAddOp(sc, mask(from, to, sc.dataType()), sc, 1, 2));
        return Nd4j.exec(new SoftMax(sc, sc, 2))[0];
    }

    private static INDArray blocked(INDArray qs, INDArray k, INDArray v) {
        long t = qs.size(1);
        INDArray out = Nd4j.createUninitialized(qs.dataType(), qs.size(0), t, v.size(2));
        for (long from = 0; from < t; from += QUERY_BLOCK) {
            long to = Math.min(t, from + QUERY_BLOCK);
            INDArray p = scores(qs, k, from, to);
            steps(out, from, to).assign(bmm(p, steps(v, 0, to), false, false));
        }
        return out;
    }

    /** Rows [from, to) of a causal mask of width {@code to}. */
    private static INDArray mask(long from, long to, DataType dt) {
        return MASKS.computeIfAbsent(from + ":" + to + ":" + dt, key -> {
            double[] m = new double[(int) ((to - from) * to)];
            for (long i = from; i < to; i++) {
                for (long j = i + 1; j < to; j++) {
                    m[(int) ((i - from) * to + j)] = MASKED;
                }
            }
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                return Nd4j.create(m, new long[] {to - from, to}, DataType.DOUBLE).castTo(dt);
            }
        });
    }

    private static INDArray steps(INDArray x, long from, long to) {
        return x.get(NDArrayIndex.all(), NDArrayIndex.interval(from, to), NDArrayIndex.all());
    }

    /** op(a) op(b) per leading index: [G, m, n]. */
    static INDArray bmm(INDArray a, INDArray b, boolean ta, boolean tb) {
        long m = ta ? a.size(2) : a.size(1), n = tb ? b.size(1) : b.size(2);
        INDArray c = Nd4j.createUninitialized(a.dataType(), a.size(0), m, n);
        Nd4j.exec(new Mmul(a, b, c, MMulTranspose.builder().transposeA(ta).transposeB(tb).build()));
        return c;
    }
}
