package org.selectivbench.models.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.selectivbench.models.FiniteDifferences;

/**
 * The Transformer's attention inputs against {@link QkRopeNaive} in double precision (within 1e-12),
 * and the gradients of a random projection of q, k and v with respect to the rows and both norm
 * weights within 1e-6 relative of central differences; even and odd head widths (1 has nothing to
 * rotate), one and two threads. The float form ({@link QkRopeFloat}) against the double form on the same
 * float-rounded inputs: q, k and the rows' gradient within 1e-5 of 1 + |value|, v exactly, the norm
 * weights' gradients (sums over every row and head) within 1e-5 after scaling by the largest; and its
 * written-out code for heads of 8 against its loops, bit for bit.
 */
class QkRopeTest {
    @ParameterizedTest
    @CsvSource({"2, 5, 2, 4, 1", "1, 7, 3, 5, 2", "3, 4, 1, 1, 2", "2, 6, 2, 8, 2"})
    void matchesReference(int batch, int steps, int heads, int hd, int threads) {
        Parallel.setThreads(threads);
        try {
            QkRope.Dims d = new QkRope.Dims(batch, steps, heads, hd);
            Random r = new Random(batch * 1000L + steps * 100 + heads * 10 + hd);
            int n = batch * steps * heads * hd;
            double[] rows = Ops.rand(r, 3 * n, 1), wq = Ops.rand(r, hd, 1), wk = Ops.rand(r, hd, 1);
            double[][] proj = {Ops.rand(r, n, 1), Ops.rand(r, n, 1), Ops.rand(r, n, 1)};
            double base = 1000;
            QkRope.Result res = QkRope.forward(d, rows, wq, wk, QkRope.Tables.of(steps, hd, base), true);
            double[][] want = QkRopeNaive.run(d, rows, wq, wk, base);
            Ops.assertClose(want[0], res.q(), 1e-12, "q");
            Ops.assertClose(want[1], res.k(), 1e-12, "k");
            Ops.assertClose(want[2], res.v(), 0, "v");
            double[][] g = QkRope.backward(res.saved(), proj[0], proj[1], proj[2]);
            Map<String, double[]> in = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
            in.put("rows", rows);
            grads.put("rows", g[0]);
            in.put("wq", wq);
            grads.put("wq", g[1]);
            in.put("wk", wk);
            grads.put("wk", g[2]);
            FiniteDifferences.checkArrays(in, grads, () -> {
                double[][] o = QkRopeNaive.run(d, rows, wq, wk, base);
                return Ops.dot(o[0], proj[0]) + Ops.dot(o[1], proj[1]) + Ops.dot(o[2], proj[2]);
            });
        } finally {
            Parallel.setThreads(1);
        }
    }

    @ParameterizedTest
    @CsvSource({"2, 5, 2, 4, 1", "1, 7, 3, 5, 2", "3, 4, 1, 1, 2", "4, 16, 4, 8, 2"})
    void floatFormMatchesDoubleForm(int batch, int steps, int heads, int hd, int threads) {
        Parallel.setThreads(threads);
        try {
            QkRope.Dims d = new QkRope.Dims(batch, steps, heads, hd);
            Random r = new Random(batch * 1000L + steps * 100 + heads * 10 + hd + 1);
            int n = batch * steps * heads * hd;
            double[] rows = Ops.roundedToFloat(Ops.rand(r, 3 * n, 1));
            double[] wq = Ops.roundedToFloat(Ops.rand(r, hd, 1)), wk = Ops.roundedToFloat(Ops.rand(r, hd, 1));
            double[][] proj = {Ops.roundedToFloat(Ops.rand(r, n, 1)), Ops.roundedToFloat(Ops.rand(r, n, 1)),
                Ops.roundedToFloat(Ops.rand(r, n, 1))};
            QkRope.Tables tables = QkRope.Tables.of(steps, hd, 1000);
            QkRope.Result want = QkRope.forward(d, rows, wq, wk, tables, true);
            QkRopeFloat.Result got = QkRopeFloat.forward(d, Ops.floats(rows), Ops.floats(wq), Ops.floats(wk),
                    QkRopeFloat.Tables.of(tables, hd), true);
            Ops.assertClose(want.q(), Ops.doubles(got.q()), 1e-5, "q");
            Ops.assertClose(want.k(), Ops.doubles(got.k()), 1e-5, "k");
            Ops.assertClose(want.v(), Ops.doubles(got.v()), 0, "v");
            double[][] g = QkRope.backward(want.saved(), proj[0], proj[1], proj[2]);
            double[] dwq = new double[hd], dwk = new double[hd];
            float[] dRows = QkRopeFloat.backward(got.saved(), Ops.floats(proj[0]), Ops.floats(proj[1]),
                    Ops.floats(proj[2]), dwq, dwk);
            Ops.assertClose(g[0], Ops.doubles(dRows), 1e-5, "rows' gradient");
            Ops.assertCloseScaled(g[1], dwq, 1e-5, "wq's gradient");
            Ops.assertCloseScaled(g[2], dwk, 1e-5, "wk's gradient");
            Ops.assertClose(QkRope.toRows(d, want.q()), Ops.doubles(QkRopeFloat.toRows(d, got.q())), 1e-5, "to rows");
            Ops.assertClose(QkRope.toHeads(d, proj[0]), Ops.doubles(QkRopeFloat.toHeads(d, Ops.floats(proj[0]))), 0,
                    "to heads");
        } finally {
            Parallel.setThreads(1);
        }
    }

    @ParameterizedTest
    @CsvSource({"2, 7, 4, 1", "3, 5, 3, 1", "2, 6, 1, 1", "4, 16, 4, 2", "3, 5, 4, 2", "3, 5, 6, 3"})
    void vectorFormOfHeadsOfEightIsTheScalarForm(int batch, int steps, int heads, int threads) {
        // two heads a vector at 16 lanes, one at 8; three heads leave one to the scalar form, one head all.
        // 15 rows over 2 threads: the first thread's rows end inside a sequence, where the vector form's
        // whole-vector stores into the next row must stop (the other thread writes that row); over 3
        // threads they end with sequences, and six heads make three vectors a row
        QkRope.Dims d = new QkRope.Dims(batch, steps, heads, 8);
        Random r = new Random(batch * 100L + steps * 10 + heads);
        int n = batch * steps * heads * 8;
        float[] rows = Ops.floats(Ops.rand(r, 3 * n, 2)), wq = Ops.floats(Ops.rand(r, 8, 1));
        float[] wk = Ops.floats(Ops.rand(r, 8, 1));
        float[][] proj = {Ops.floats(Ops.rand(r, n, 1)), Ops.floats(Ops.rand(r, n, 1)), Ops.floats(Ops.rand(r, n, 1))};
        QkRopeFloat.Tables rope = QkRopeFloat.Tables.of(QkRope.Tables.of(steps, 8, 1000), 8);
        Parallel.setThreads(threads);
        try {
            Ops.assertVectorFormIsScalarForm(() -> {
                QkRopeFloat.Result got = QkRopeFloat.forward(d, rows, wq, wk, rope, true);
                double[] dwq = new double[8], dwk = new double[8];
                float[] dRows = QkRopeFloat.backward(got.saved(), proj[0], proj[1], proj[2], dwq, dwk);
                return new double[][] {Ops.doubles(got.q()), Ops.doubles(got.k()), Ops.doubles(got.v()),
                    Ops.doubles(got.saved().rms()), Ops.doubles(got.saved().inv()), Ops.doubles(dRows), dwq, dwk,
                    Ops.doubles(QkRopeFloat.toRows(d, proj[0])), Ops.doubles(QkRopeFloat.toHeads(d, proj[1]))};
            });
        } finally {
            Parallel.setThreads(1);
        }
    }

    @Test
    void writtenOutHeadOfEightIsTheLoops() {
        // the float form's heads of 8 run written-out code; it must give the loops' bits, forward and back,
        // over many random heads (a reordered sum shows in a few of them only)
        Random r = new Random(8);
        int steps = 5;
        QkRopeFloat.Tables rope = QkRopeFloat.Tables.of(QkRope.Tables.of(steps, 8, 1000), 8);
        for (int trial = 0; trial < 500; trial++) {
            int t = trial % steps;
            float[] x = Ops.floats(Ops.rand(r, 11, 2)), wt = Ops.floats(Ops.rand(r, 8, 1));
            float[] g = Ops.floats(Ops.rand(r, 10, 1));
            float[] out = new float[10], rms = new float[3], inv = new float[3];
            float[] out8 = new float[10], rms8 = new float[3], inv8 = new float[3];
            QkRopeFloat.normRotate(x, 2, wt, 8, rope, t, out, 1, rms, inv, 1);
            QkRopeFloat.normRotate8(x, 2, wt, rope.cos(), rope.sin(), t * 4, out8, 1, rms8, inv8, 1);
            assertArrayEquals(out, out8, "q or k, trial " + trial);
            assertArrayEquals(rms, rms8, "rms, trial " + trial);
            assertArrayEquals(inv, inv8, "1 / (rms + eps), trial " + trial);
            float[] dn = new float[8], dx = new float[11], terms = new float[9];
            float[] dx8 = new float[11], terms8 = new float[9];
            QkRopeFloat.unrotate(g, 1, 8, rope, t, dn);
            QkRopeFloat.normBackward(x, 2, wt, 8, dn, rms[1], inv[1], dx, terms, 1);
            QkRopeFloat.back8(g, 1, rope.cos(), rope.sin(), t * 4, x, 2, wt, rms[1], inv[1], dx8, terms8, 1);
            assertArrayEquals(dx, dx8, "rows' gradient, trial " + trial);
            assertArrayEquals(terms, terms8, "weight terms, trial " + trial);
        }
    }

    @ParameterizedTest
    @CsvSource({"2, 5, 3, 4", "2, 3, 2, 7"})
    void headLayoutRoundTrips(int batch, int steps, int heads, int hd) {
        QkRope.Dims d = new QkRope.Dims(batch, steps, heads, hd);
        double[] rows = Ops.rand(new Random(3), batch * steps * heads * hd, 1);
        double[] h = QkRope.toHeads(d, rows);
        // the head layout: [B*H, T, hd]
        Ops.assertClose(new double[] {rows[(steps + 1) * heads * hd + hd + 1]},
                new double[] {h[((heads + 1) * steps + 1) * hd + 1]}, 0, "b 1, t 1, head 1, entry 1");
        Ops.assertClose(rows, QkRope.toRows(d, h), 0, "round trip");
    }
}
