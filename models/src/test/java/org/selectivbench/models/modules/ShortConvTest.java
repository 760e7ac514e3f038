package org.selectivbench.models.modules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.selectivbench.models.FiniteDifferences.dot;
import static org.selectivbench.models.FiniteDifferences.gaussian;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.selectivbench.models.FiniteDifferences;
import org.selectivbench.models.ops.Kernels;
import org.selectivbench.models.ops.Parallel;

/**
 * The short conv in both forms (Java kernel, ND4J) against a plain sum, y_t = silu(b + sum_j w_j x_{t-K+1+j}),
 * from a zero start and from a carried tail (a segment): outputs within 1e-12 and the tail handed on; the
 * gradients of x, w and b against central differences (double precision). The Java kernel's float form
 * (float32 models) against its double form on the same float inputs: outputs and gradients within 1e-5
 * of each array's largest entry, the tail handed on exactly.
 */
class ShortConvTest {
    @ParameterizedTest
    @CsvSource({"JAVA, 4, false, true", "JAVA, 4, true, true", "JAVA, 1, false, false", "ND4J, 4, false, true",
            "ND4J, 4, true, true", "ND4J, 3, true, false", "JAVA, 5, true, false"})
    void matchesPlainSum(Kernels kernels, int kernel, boolean fromTail, boolean bias) {
        Kernels.use(kernels);
        Parallel.setThreads(2);
        try {
            int batch = 2, steps = 3 + kernel, ch = 3, rows = batch * steps;
            Random r = new Random(kernel * 7L + (fromTail ? 1 : 0));
            double[] x = gaussian(r, rows * ch), w = gaussian(r, kernel * ch), b = bias ? gaussian(r, ch) : new double[ch];
            double[] tail = fromTail ? gaussian(r, batch * (kernel - 1) * ch) : null;
            double[] proj = gaussian(r, rows * ch);
            ParamStore ps = new ParamStore(1, DataType.DOUBLE);
            ShortConv conv = new ShortConv(ps, "conv", ch, kernel, bias);
            ps.arrays().get("conv.w").assign(Nd4j.create(w, new long[] {kernel, ch}, DataType.DOUBLE));
            if (bias) {
                ps.arrays().get("conv.b").assign(Nd4j.create(b, new long[] {ch}, DataType.DOUBLE));
            }
            Map<String, INDArray> entering = new LinkedHashMap<>();
            if (fromTail && kernel > 1) {
                entering.put("conv.tail", Nd4j.create(tail, new long[] {batch, kernel - 1, ch}, DataType.DOUBLE));
            }
            // a segment pass (hands the tail on) that keeps what backward needs: a training pass with state
            Pass seg = Pass.segment(batch, steps, entering);
            double[] got = conv.forward(seg, Nd4j.create(x, new long[] {rows, ch}, DataType.DOUBLE)).data().asDouble();
            double[] want = plain(x, w, b, tail, batch, steps, ch, kernel);
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-12, kernels + ": output " + i);
            }
            if (kernel > 1) {
                double[] handed = seg.handedOn().get("conv.tail").data().asDouble();
                for (int bb = 0; bb < batch; bb++) {
                    for (int i = 0; i < (kernel - 1) * ch; i++) {
                        assertEquals(x[(bb * steps + steps - kernel + 1) * ch + i], handed[bb * (kernel - 1) * ch + i],
                                0.0, kernels + ": tail handed on");
                    }
                }
            }
            Pass train = Pass.withBackward(batch, steps, null);
            ShortConv fresh = new ShortConv(ps, "conv", ch, kernel, bias);
            if (fromTail) { // backward from a carried tail is never needed in training; check from a zero start
                java.util.Arrays.fill(tail, 0);
            }
            fresh.forward(train, Nd4j.create(x, new long[] {rows, ch}, DataType.DOUBLE));
            INDArray dx = fresh.backward(train, Nd4j.create(proj, new long[] {rows, ch}, DataType.DOUBLE));
            Map<String, double[]> in = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
            in.put("x", x);
            grads.put("x", dx.data().asDouble());
            in.put("w", w);
            grads.put("w", ps.grad("conv.w").data().asDouble());
            if (bias) {
                in.put("b", b);
                grads.put("b", ps.grad("conv.b").data().asDouble());
            }
            FiniteDifferences.checkArrays(in, grads, () -> dot(plain(x, w, b, null, batch, steps, ch, kernel), proj));
        } finally {
            Kernels.use(Kernels.AUTO);
        }
    }

    @ParameterizedTest
    @CsvSource({"4, true", "3, false"})
    void floatFormIsTheDoubleFormInFloat(int kernel, boolean bias) {
        Kernels.use(Kernels.JAVA);
        Parallel.setThreads(2);
        try {
            int batch = 3, steps = 9, ch = 37, rows = batch * steps; // 37 channels: whole vectors and a tail
            Random r = new Random(kernel);
            double[][] in = {gaussian(r, rows * ch), gaussian(r, kernel * ch), gaussian(r, ch),
                gaussian(r, batch * (kernel - 1) * ch), gaussian(r, rows * ch)};
            for (double[] a : in) { // inputs both forms read alike
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) a[i];
                }
            }
            double[][][] out = new double[2][][];
            DataType[] types = {DataType.DOUBLE, DataType.FLOAT};
            for (int f = 0; f < 2; f++) {
                DataType dt = types[f];
                ParamStore ps = new ParamStore(1, dt);
                ShortConv conv = new ShortConv(ps, "conv", ch, kernel, bias);
                ps.arrays().get("conv.w").assign(Nd4j.create(in[1], new long[] {kernel, ch}, DataType.DOUBLE).castTo(dt));
                if (bias) {
                    ps.arrays().get("conv.b").assign(Nd4j.create(in[2], new long[] {ch}, DataType.DOUBLE).castTo(dt));
                }
                Pass seg = Pass.segment(batch, steps, Map.of("conv.tail",
                        Nd4j.create(in[3], new long[] {batch, kernel - 1, ch}, DataType.DOUBLE).castTo(dt)));
                INDArray y = conv.forward(seg, Nd4j.create(in[0], new long[] {rows, ch}, DataType.DOUBLE).castTo(dt));
                Pass train = Pass.withBackward(batch, steps, null);
                ShortConv fresh = new ShortConv(ps, "conv", ch, kernel, bias);
                fresh.forward(train, Nd4j.create(in[0], new long[] {rows, ch}, DataType.DOUBLE).castTo(dt));
                INDArray dx = fresh.backward(train, Nd4j.create(in[4], new long[] {rows, ch}, DataType.DOUBLE).castTo(dt));
                out[f] = new double[][] {asDoubles(y), asDoubles(seg.handedOn().get("conv.tail")), asDoubles(dx),
                    asDoubles(ps.grad("conv.w")), bias ? asDoubles(ps.grad("conv.b")) : new double[0]};
            }
            String[] names = {"y", "tail", "dx", "dw", "db"};
            for (int i = 0; i < names.length; i++) {
                double scale = 1;
                for (double v : out[0][i]) {
                    scale = Math.max(scale, Math.abs(v));
                }
                for (int j = 0; j < out[0][i].length; j++) {
                    double tol = i == 1 ? 0 : 1e-5 * scale;
                    assertEquals(out[0][i][j], out[1][i][j], tol, names[i] + " " + j);
                }
            }
        } finally {
            Kernels.use(Kernels.AUTO);
        }
    }

    /**
     * The float form with an output scale (GLA's q) is the unscaled output scaled, and its backward the
     * backward of the scaled gradient, bit for bit: the pass it saves changes no number.
     */
    @org.junit.jupiter.api.Test
    void outputScaleIsAScaledPassBitForBit() {
        Kernels.use(Kernels.JAVA);
        try {
            int batch = 2, steps = 11, ch = 37, rows = batch * steps, kernel = 4;
            Random r = new Random(3);
            float[] x = floats(gaussian(r, rows * ch)), dy = floats(gaussian(r, rows * ch));
            float c = 0.35355339f;
            float[][] got = new float[2][], dxs = new float[2][], dws = new float[2][];
            for (int f = 0; f < 2; f++) {
                ParamStore ps = new ParamStore(1, DataType.FLOAT);
                ShortConv conv = new ShortConv(ps, "conv", ch, kernel, true);
                Pass train = Pass.withBackward(batch, steps, null);
                got[f] = f == 0 ? org.selectivbench.models.ops.PointwiseFloat.scaled(conv.forwardFloats(train, x), c)
                        : conv.forwardFloats(train, x, c).clone();
                dxs[f] = (f == 0 ? conv.backwardFloats(train, org.selectivbench.models.ops.PointwiseFloat.scaled(dy, c))
                        : conv.backwardFloats(train, dy, c)).clone();
                dws[f] = ps.grad("conv.w").dup().data().asFloat();
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(got[0], got[1], "y");
            org.junit.jupiter.api.Assertions.assertArrayEquals(dxs[0], dxs[1], "dx");
            org.junit.jupiter.api.Assertions.assertArrayEquals(dws[0], dws[1], "dw");
        } finally {
            Kernels.use(Kernels.AUTO);
        }
    }

    private static float[] floats(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }

    private static double[] asDoubles(INDArray a) {
        return a.dup('c').castTo(DataType.DOUBLE).data().asDouble();
    }

    static double[] plain(double[] x, double[] w, double[] b, double[] tail, int batch, int steps, int ch, int k) {
        double[] y = new double[batch * steps * ch];
        for (int bb = 0; bb < batch; bb++) {
            for (int t = 0; t < steps; t++) {
                for (int c = 0; c < ch; c++) {
                    double z = b[c];
                    for (int j = 0; j < k; j++) {
                        int s = t - k + 1 + j;
                        double v = s >= 0 ? x[(bb * steps + s) * ch + c]
                                : tail == null ? 0 : tail[(bb * (k - 1) + k - 1 + s) * ch + c];
                        z += w[j * ch + c] * v;
                    }
                    y[(bb * steps + t) * ch + c] = z / (1 + Math.exp(-z));
                }
            }
        }
        return y;
    }
}
