package org.selectivbench.models.modules;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.shape.GatherNd;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.selectivbench.models.ops.ColumnSumsFloat;
import org.selectivbench.models.ops.Host;
import org.selectivbench.models.ops.Kernels;
import org.selectivbench.models.ops.LinearCrossEntropyFloat;
import org.selectivbench.models.ops.SoftmaxRows;

/**
 * The loss of SPEC 4: sum over rows of weight_r * (logsumexp(logits_r) - logits_r[target_r]), with
 * weights mask / (real steps), so padding adds nothing and the sum is the mean over real steps.
 * The logits [R, classes] are the largest arrays of a step, so the pass over them is a softmax and
 * two row maxima; logsumexp comes from the largest probability, lse = max(logits) - log(max(p)),
 * which never underflows (max p >= 1/classes), so a confident wrong answer costs a large finite loss.
 * On the CPU the Java kernel {@link SoftmaxRows} does both passes over blocks of rows instead (ND4J's
 * half dozen calls cost more than their arithmetic at the embedded default's shapes), in float for
 * float32 logits; a float32 training step there takes the output layer and the loss together, a block
 * of rows at a time ({@link #trainingFloats}).
 */
public final class CrossEntropy {
    private CrossEntropy() {
    }

    /** The loss and the softmax probabilities [R, classes]. */
    public record Result(double loss, INDArray probs) {
    }

    /** A training step's loss and d loss / d logits [R, classes]. */
    public record Training(double loss, INDArray gradient) {
    }

    /**
     * @param targets class per row, [R]
     * @param weights weight per row, [R]
     */
    public static Result forward(INDArray logits, int[] targets, double[] weights) {
        if (Kernels.current() == Kernels.JAVA) {
            INDArray probs = logits.ulike();
            return new Result(javaPass(logits, probs, targets, weights, false), probs);
        }
        INDArray probs = Nd4j.exec(new SoftMax(logits, logits.ulike(), 1))[0];
        INDArray lse = logits.max(1).subi(Transforms.log(probs.max(1), false));
        INDArray picked = Nd4j.exec(new GatherNd(logits, pairs(targets)))[0];
        double loss = lse.subi(picked).muli(column(weights, logits.dataType())).sumNumber().doubleValue();
        return new Result(loss, probs);
    }

    /** d loss / d logits = weight_r (p_r - onehot(target_r)), computed in place over {@code probs}. */
    public static INDArray backward(INDArray probs, int[] targets, double[] weights) {
        if (Kernels.current() == Kernels.JAVA) {
            int classes = (int) probs.size(1);
            int block = blockRows(probs);
            if (probs.dataType() == DataType.FLOAT) {
                for (int r0 = 0; r0 < targets.length; r0 += block) {
                    int r1 = Math.min(targets.length, r0 + block);
                    INDArray view = rows(probs, r0, r1);
                    float[] p = Host.readFloats(view);
                    SoftmaxRows.backward(r1 - r0, classes, p, targets, weights, r0);
                    Host.write(p, view);
                }
                return probs;
            }
            double[] p = new double[block * classes];
            for (int r0 = 0; r0 < targets.length; r0 += block) {
                int r1 = Math.min(targets.length, r0 + block);
                INDArray view = rows(probs, r0, r1);
                Host.read(view, p);
                SoftmaxRows.backward(r1 - r0, classes, p, targets, weights, r0);
                Host.write(p, view);
            }
            return probs;
        }
        INDArray w = column(weights, probs.dataType());
        INDArray d = probs.muliColumnVector(w.reshape(-1, 1));
        Nd4j.exec(DynamicCustomOp.builder("scatter_nd_add").addInputs(d, pairs(targets), w.neg())
                .addOutputs(d).build());
        return d;
    }

    /**
     * A training step's loss and its gradient d loss / d logits [R, classes], which overwrites the logits
     * (a step needs them no more): {@link #forward} then {@link #backward}, the same numbers; the Java form
     * does both in one pass over each block of rows.
     */
    public static Training training(INDArray logits, int[] targets, double[] weights) {
        if (Kernels.current() == Kernels.JAVA) {
            return new Training(javaPass(logits, logits, targets, weights, true), logits);
        }
        Result ce = forward(logits, targets, weights);
        return new Training(ce.loss(), backward(ce.probs(), targets, weights));
    }

    /**
     * A float32 Java-path training step's output layer and loss together, from the rows x [rows, d] that
     * enter the output layer {@code out}: {@link LinearCrossEntropyFloat}, one pass over blocks of rows
     * with no logits kept. Adds the output layer's parameter gradients, writes d loss / dx into dx
     * [rows, d] and returns the loss.
     */
    public static double trainingFloats(Linear out, float[] x, int rows, int[] targets, double[] weights,
                                        float[] dx) {
        ParamStore.Param w = out.weightParam(), b = out.biasParam();
        int d = (int) w.value().size(0), classes = (int) w.value().size(1);
        float[] dw = Host.readFloats(w.grad());
        double[] db = new double[classes];
        double loss = LinearCrossEntropyFloat.run(x, rows, d, Host.readFloats(w.value()),
                b == null ? null : Host.readFloats(b.value()), classes, targets, weights, dw, db, dx);
        Host.write(dw, w.grad());
        if (b != null) {
            b.grad().addi(Host.array(ColumnSumsFloat.rounded(db), classes));
        }
        Nd.recordJava(rows, classes, d, false, false, false); // the logits, the weight and input gradients
        Nd.recordJava(d, classes, rows, true, false, true);
        Nd.recordJava(rows, d, classes, false, true, false);
        return loss;
    }

    /** The Java form over blocks of rows: probabilities (or, with {@code gradient}, the gradient) into {@code out}. */
    private static double javaPass(INDArray logits, INDArray out, int[] t, double[] w, boolean gradient) {
        int classes = (int) logits.size(1);
        int block = blockRows(logits);
        double loss = 0;
        if (logits.dataType() == DataType.FLOAT) {
            for (int r0 = 0; r0 < t.length; r0 += block) {
                int r1 = Math.min(t.length, r0 + block);
                float[] z = Host.readFloats(rows(logits, r0, r1));
                loss += SoftmaxRows.forward(r1 - r0, classes, z, t, w, r0);
                if (gradient) {
                    SoftmaxRows.backward(r1 - r0, classes, z, t, w, r0);
                }
                Host.write(z, rows(out, r0, r1));
            }
            return loss;
        }
        double[] z = new double[block * classes];
        for (int r0 = 0; r0 < t.length; r0 += block) {
            int r1 = Math.min(t.length, r0 + block);
            Host.read(rows(logits, r0, r1), z);
            loss += SoftmaxRows.forward(r1 - r0, classes, z, t, w, r0);
            if (gradient) {
                SoftmaxRows.backward(r1 - r0, classes, z, t, w, r0);
            }
            Host.write(z, rows(out, r0, r1));
        }
        return loss;
    }

    /** Rows per block of the Java form: about 64K values, so the bench shape's logits need no 300 MB copy. */
    private static int blockRows(INDArray a) {
        return (int) Math.max(1, Math.min(a.size(0), (1 << 16) / a.size(1)));
    }

    private static INDArray rows(INDArray a, int from, int to) {
        return a.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
    }

    /** [R, 2] (row, target) index pairs. */
    private static INDArray pairs(int[] targets) {
        int[][] p = new int[targets.length][];
        for (int r = 0; r < targets.length; r++) {
            p[r] = new int[] {r, targets[r]};
        }
        return Nd4j.createFromArray(p);
    }

    /** The weights as an array [R] of the logits' type. */
    private static INDArray column(double[] weights, DataType dt) {
        return Nd4j.create(weights, new long[] {weights.length}, dt);
    }
}
