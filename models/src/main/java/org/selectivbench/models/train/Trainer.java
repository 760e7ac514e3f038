package org.selectivbench.models.train;

import org.selectivbench.models.*;
import org.selectivbench.models.config.*;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.selectivbench.data.BatchEncoder;
import org.selectivbench.data.EncodedBatch;
import org.selectivbench.data.TaskExample;
import org.selectivbench.data.WindowedAccuracy;

/**
 * Trains a {@link SequenceModel} by the SPEC 7 protocol: minibatches of {@code batch-size}
 * examples, Adam with warmup + cosine, global-norm clipping, dropout on in training and off in
 * evaluation, periodic evaluation with the windowed accuracy of SPEC 4, and a learning curve.
 * A NaN or infinite loss or gradient norm stops the run with {@link NonFiniteLossException}.
 */
public final class Trainer {
    private final SequenceModel model;
    private final TrainConfig cfg;
    private final Optim optim;

    /** One point of the learning curve: mean training loss since the previous point, test accuracy. */
    public record CurvePoint(long update, double lr, double trainLoss, double testAccuracy) {
    }

    /**
     * @param updatesPerSecond training updates per second of training time (evaluation excluded)
     * @param stepsPerSecond   real (unpadded) time steps per second of training time
     */
    public record Result(List<CurvePoint> curve, long updates, double finalAccuracy, long parameters,
                         double updatesPerSecond, double stepsPerSecond, double trainSeconds) {
    }

    public Trainer(SequenceModel model, TrainConfig cfg) {
        this.model = model;
        this.cfg = cfg;
        this.optim = new Optim(cfg);
    }

    /** Updates in a run: max-updates, or one pass over {@code trainExamples}. */
    public static long plannedUpdates(TrainConfig cfg, long trainExamples) {
        long pass = (trainExamples + cfg.batchSize() - 1) / cfg.batchSize();
        return cfg.maxUpdates() > 0 ? Math.min(cfg.maxUpdates(), pass) : pass;
    }

    /**
     * Runs {@code totalUpdates} updates (fewer if the training data ends first).
     *
     * @param train    training examples in order (e.g. a DatasetReader)
     * @param test     a fresh iterator over the test set for every evaluation
     * @param progress called with every curve point (may be null)
     */
    public Result train(Iterator<TaskExample> train, BatchEncoder trainEncoder, long totalUpdates,
                        Supplier<? extends Iterator<TaskExample>> test, BatchEncoder testEncoder,
                        Consumer<CurvePoint> progress) {
        List<CurvePoint> curve = new ArrayList<>();
        double lossSum = 0;
        int lossCount = 0;
        long trainNanos = 0;
        long realSteps = 0;
        long update = 0;
        double lastAcc = Double.NaN;
        double lr = 0;
        boolean dropout = true; // until-first-eval: off from the first evaluation on (the released loop's model.eval())
        while (update < totalUpdates && train.hasNext()) {
            List<TaskExample> examples = new ArrayList<>(cfg.batchSize());
            while (examples.size() < cfg.batchSize() && train.hasNext()) {
                examples.add(train.next());
            }
            EncodedBatch batch = trainEncoder.encode(examples);
            long t0 = System.nanoTime();
            SequenceModel.StepResult r = model.lossAndGradients(batch, dropout, cfg.microBatch());
            if (!Double.isFinite(r.loss())) {
                throw new NonFiniteLossException(update, "the training loss", r.loss());
            }
            double norm = Optim.clip(model.params(), cfg.clip());
            if (!Double.isFinite(norm)) {
                throw new NonFiniteLossException(update, "the gradient norm", norm);
            }
            lr = Optim.lr(cfg.lr(), cfg.warmup(), update, totalUpdates);
            optim.step(model.params(), lr);
            trainNanos += System.nanoTime() - t0;
            for (int len : batch.lengths()) {
                realSteps += len;
            }
            lossSum += r.loss();
            lossCount++;
            update++;
            boolean last = update == totalUpdates || !train.hasNext();
            if (last || (cfg.evalEvery() > 0 && update % cfg.evalEvery() == 0)) {
                lastAcc = evaluate(test.get(), testEncoder).accuracy();
                dropout = !cfg.dropoutSchedule().equals("until-first-eval");
                CurvePoint p = new CurvePoint(update, lr, lossSum / lossCount, lastAcc);
                curve.add(p);
                if (progress != null) {
                    progress.accept(p);
                }
                lossSum = 0;
                lossCount = 0;
            }
        }
        double secs = trainNanos / 1e9;
        return new Result(List.copyOf(curve), update, lastAcc, model.parameterCount(),
                secs > 0 ? update / secs : Double.NaN, secs > 0 ? realSteps / secs : Double.NaN, secs);
    }

    /**
     * Windowed accuracy (SPEC 4) over a test set, in batches of {@code eval-batch-size} so that the
     * [B, T, classes] probabilities of one batch are all that is held, each evaluated in graph runs of
     * at most {@code eval-rows} rows.
     */
    public WindowedAccuracy evaluate(Iterator<TaskExample> test, BatchEncoder encoder) {
        return evaluate(model, test, encoder, cfg);
    }

    public static WindowedAccuracy evaluate(SequenceModel model, Iterator<TaskExample> test, BatchEncoder encoder,
                                            TrainConfig cfg) {
        int batchSize = cfg.evalBatchSize();
        WindowedAccuracy acc = new WindowedAccuracy();
        while (test.hasNext()) {
            List<TaskExample> examples = new ArrayList<>(batchSize);
            while (examples.size() < batchSize && test.hasNext()) {
                examples.add(test.next());
            }
            EncodedBatch b = encoder.encode(examples);
            acc.add(b, model.probabilities(b, cfg.evalRows(model.config().name())), model.classes());
        }
        return acc;
    }
}
