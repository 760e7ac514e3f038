package org.selectivbench.models.modules;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.models.ops.Host;
import org.selectivbench.models.ops.Kernels;
import org.selectivbench.models.ops.Parallel;

/**
 * A projection and a short conv on column blocks (Mamba2's z, x, B, C, dt) against the whole arrays
 * split and joined by {@link Cols}, float32, random inputs: outputs, the conv's tail handed on, the input
 * gradients and the parameter gradients the same bits (zero tolerance: the blocks must not change a
 * number), with block widths below, at and past a vector's lanes.
 */
class ColumnBlocksTest {
    private static final int[] WIDTHS = {16, 5, 33, 1, 8};

    @ParameterizedTest
    @CsvSource({"true, 1", "false, 2"})
    void projectionOnBlocksIsTheWholeProjection(boolean bias, int threads) {
        Parallel.setThreads(threads);
        int in = 19, rows = 37, out = sum(WIDTHS);
        Random r = new Random(in + (bias ? 1 : 0));
        float[] x = gaussian(r, rows * in);
        float[][] dys = new float[WIDTHS.length][];
        for (int i = 0; i < WIDTHS.length; i++) {
            dys[i] = gaussian(r, rows * WIDTHS[i]);
        }
        float[] dxInto = gaussian(r, rows * in);
        ParamStore wholeStore = new ParamStore(7, DataType.FLOAT), blockStore = new ParamStore(7, DataType.FLOAT);
        Linear whole = new Linear(wholeStore, "in", in, out, bias), blocks = new Linear(blockStore, "in", in, out, bias);
        Pass train = Pass.withBackward(1, rows, null);

        float[] y = whole.forwardFloats(train, x, rows);
        float[][] yb = blocks.forwardFloatsCols(train, x, rows, WIDTHS);
        for (int i = 0, from = 0; i < WIDTHS.length; from += WIDTHS[i++]) {
            assertArrayEquals(Cols.of(y, out, from, from + WIDTHS[i]), yb[i], "output block " + i);
        }
        float[] dx = whole.backwardFloats(concat(rows, dys), rows, dxInto.clone());
        float[] dxb = blocks.backwardFloatsCols(dys, rows, dxInto.clone());
        assertArrayEquals(dx, dxb, "dx added into a given array");
        assertSameGrads(wholeStore, blockStore, bias ? new String[] {"in.w", "in.b"} : new String[] {"in.w"});

        // a second pass adds to the gradients, and returns a new dx
        whole.forwardFloats(train, x, rows);
        blocks.forwardFloatsCols(train, x, rows, WIDTHS);
        assertArrayEquals(whole.backwardFloats(concat(rows, dys), rows, null),
                blocks.backwardFloatsCols(dys, rows, null), "dx");
        assertSameGrads(wholeStore, blockStore, bias ? new String[] {"in.w", "in.b"} : new String[] {"in.w"});
    }

    @Test
    void blocksThatDoNotCoverTheOutputsFailNamingTheWidths() {
        Linear lin = new Linear(new ParamStore(1, DataType.FLOAT), "in", 3, 10, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> lin.forwardFloatsCols(Pass.withBackward(1, 2, null), new float[6], 2, 4, 4));
        assertTrue(e.getMessage().contains("[4, 4] sum to 8, not the layer's 10"),
                e.getMessage());
        ShortConv conv = new ShortConv(new ParamStore(1, DataType.FLOAT), "conv", 10, 4, true);
        e = assertThrows(IllegalArgumentException.class,
                () -> conv.forwardFloatsCols(Pass.withBackward(1, 2, null), new float[8], new float[10]));
        assertTrue(e.getMessage().contains("conv: channel blocks [4, 5] sum to 9"),
                e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"4, true, 1", "4, false, 2", "3, true, 2"})
    void convOnBlocksIsTheWholeConv(int kernel, boolean bias, int threads) {
        Kernels.use(Kernels.JAVA);
        Parallel.setThreads(threads);
        try {
            int batch = 3, steps = 21, ch = sum(WIDTHS), rows = batch * steps;
            Random r = new Random(kernel * 31L + (bias ? 1 : 0));
            float[][] xs = new float[WIDTHS.length][], dys = new float[WIDTHS.length][];
            for (int i = 0; i < WIDTHS.length; i++) {
                xs[i] = gaussian(r, rows * WIDTHS[i]);
                dys[i] = gaussian(r, rows * WIDTHS[i]);
            }
            INDArray tail = Host.array(gaussian(r, batch * (kernel - 1) * ch), batch, kernel - 1, ch);
            ParamStore wholeStore = new ParamStore(11, DataType.FLOAT), blockStore = new ParamStore(11, DataType.FLOAT);
            ShortConv whole = new ShortConv(wholeStore, "conv", ch, kernel, bias);
            ShortConv blocks = new ShortConv(blockStore, "conv", ch, kernel, bias);

            // a segment of an evaluation: from a carried tail, handing the next one on
            Pass segWhole = Pass.segment(batch, steps, Map.of("conv.tail", tail));
            Pass segBlocks = Pass.segment(batch, steps, Map.of("conv.tail", tail));
            float[] y = whole.forwardFloats(segWhole, concat(rows, xs));
            float[][] yb = blocks.forwardFloatsCols(segBlocks, xs);
            for (int i = 0, from = 0; i < WIDTHS.length; from += WIDTHS[i++]) {
                assertArrayEquals(Cols.of(y, ch, from, from + WIDTHS[i]), yb[i], "segment output block " + i);
            }
            assertArrayEquals(Host.readFloats(segWhole.handedOn().get("conv.tail")),
                    Host.readFloats(segBlocks.handedOn().get("conv.tail")), "tail handed on");

            // training: forward and backward, twice, so that the gradients add
            for (int pass = 0; pass < 2; pass++) {
                Pass train = Pass.withBackward(batch, steps, null);
                whole.forwardFloats(train, concat(rows, xs));
                blocks.forwardFloatsCols(train, xs);
                float[] dx = whole.backwardFloats(train, concat(rows, dys));
                float[][] dxb = blocks.backwardFloatsCols(train, dys);
                for (int i = 0, from = 0; i < WIDTHS.length; from += WIDTHS[i++]) {
                    assertArrayEquals(Cols.of(dx, ch, from, from + WIDTHS[i]), dxb[i], "pass " + pass + " dx block " + i);
                }
                assertSameGrads(wholeStore, blockStore, bias ? new String[] {"conv.w", "conv.b"} : new String[] {"conv.w"});
            }
            assertThrows(IllegalStateException.class, () -> blocks.backwardFloatsCols(Pass.withBackward(batch, steps, null), dys),
                    "a second backward without its forward");
        } finally {
            Kernels.use(Kernels.AUTO);
        }
    }

    private static void assertSameGrads(ParamStore a, ParamStore b, String... names) {
        for (String n : names) {
            float[] ga = Host.readFloats(a.grad(n)), gb = Host.readFloats(b.grad(n));
            assertArrayEquals(ga, gb, n + "'s gradient");
            boolean any = false;
            for (float v : ga) {
                any |= v != 0;
            }
            assertTrue(any, n + "'s gradient is not all zero");
        }
    }

    /** The blocks' rows side by side: the whole array the blocks stand for. */
    private static float[] concat(int rows, float[]... blocks) {
        int width = 0;
        for (float[] b : blocks) {
            width += b.length / rows;
        }
        float[] y = new float[rows * width];
        for (int i = 0, at = 0; i < blocks.length; at += blocks[i++].length / rows) {
            Cols.put(blocks[i], y, width, at);
        }
        return y;
    }

    private static int sum(int[] widths) {
        int s = 0;
        for (int w : widths) {
            s += w;
        }
        return s;
    }

    private static float[] gaussian(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }
}
