package org.selectivbench.models.ops;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Array layouts of the ND4J forms of the sequence ops. Rows [B*T, X] ordered (b, t) become groups
 * [G, C, X], G = B*K: each sequence cut into K chunks of C steps, the last one padded with zeros to
 * C steps (so every chunk has the same shape and no length needs to divide anything). A loop over the
 * C positions of a chunk then works on [G, X] slices, all chunks of all sequences at once.
 */
final class ChunkedLayout {
    private ChunkedLayout() {
    }

    /** Chunk length and count for {@code steps} steps in chunks of at most {@code chunk}. */
    record Plan(int batch, int steps, int c, int k) {
        static Plan of(int batch, int steps, int chunk) {
            int k = (steps + chunk - 1) / Math.max(1, chunk);
            int c = (steps + k - 1) / k; // the fewest padded steps for k chunks
            return new Plan(batch, steps, c, k);
        }

        int groups() {
            return batch * k;
        }

        int padded() {
            return c * k;
        }
    }

    /** rows [B*T, X] as groups [G, C, X] (a new array, zero-padded). */
    static INDArray groups(INDArray rows, Plan p) {
        long x = rows.size(1);
        if (p.padded() == p.steps()) {
            return rows.dup('c').reshape(p.groups(), p.c(), x);
        }
        INDArray out = Nd4j.zeros(rows.dataType(), p.batch(), p.padded(), x);
        out.get(NDArrayIndex.all(), NDArrayIndex.interval(0, p.steps()), NDArrayIndex.all())
                .assign(dense(rows).reshape(p.batch(), p.steps(), x));
        return out.reshape(p.groups(), p.c(), x);
    }

    /** rows [B*T, X] as positions [C, G, X] (a new array, zero-padded): slice p is contiguous. */
    static INDArray positions(INDArray rows, Plan p) {
        return groups(rows, p).permute(1, 0, 2).dup('c');
    }

    /** Groups [G, C, X] (any strides, e.g. a permuted [C, G, X]) back to rows [B*T, X], padding dropped. */
    static INDArray rows(INDArray groups, Plan p) {
        long x = groups.size(2);
        INDArray seq = groups.dup('c').reshape(p.batch(), p.padded(), x);
        if (p.padded() == p.steps()) {
            return seq.reshape((long) p.batch() * p.steps(), x);
        }
        return seq.get(NDArrayIndex.all(), NDArrayIndex.interval(0, p.steps()), NDArrayIndex.all()).dup('c')
                .reshape((long) p.batch() * p.steps(), x);
    }

    /** {@code x} itself when its elements are laid out in c order (so it reshapes in place), else a copy. */
    static INDArray dense(INDArray x) {
        return x.ordering() == 'c' && Shape.hasDefaultStridesForShape(x) ? x : x.dup('c');
    }

    /** Slice {@code i} of the leading axis of a rank-3 array: [n1, n2] (contiguous for a c-order array). */
    static INDArray at(INDArray x, long i) {
        return x.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all());
    }

    /** x[:, from:to, ...] along axis 1 of a rank-3 array (a view). */
    static INDArray mid(INDArray x, long from, long to) {
        return x.get(NDArrayIndex.all(), NDArrayIndex.interval(from, to), NDArrayIndex.all());
    }
}
