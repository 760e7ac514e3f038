package org.selectivbench.spark;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.selectivbench.data.BatchEncoder;
import org.selectivbench.data.DatasetReader;
import org.selectivbench.data.DatasetStore;
import org.selectivbench.data.HadoopFiles;
import org.selectivbench.data.TaskExample;
import org.selectivbench.models.train.Checkpoint;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.SequenceModel;
import org.selectivbench.models.config.TrainConfig;
import org.selectivbench.models.train.Trainer;
import org.selectivbench.models.ops.Kernels;
import org.selectivbench.models.ops.Threads;

/**
 * Runs a sweep's run with the models module, on the device Spark gave the task: trains on the
 * dataset's train split and evaluates on the run's test split, saving a checkpoint; or, for an
 * evaluation-only run (task 4), loads the training run's checkpoint and evaluates it.
 */
final class TrainingExecutor implements RunExecutor {
    /** Receives each learning-curve point as it is measured (the train command prints them). */
    interface CurveListener extends java.io.Serializable {
        void point(RunResult.CurvePoint p);
    }

    private final CurveListener listener;

    TrainingExecutor() {
        this(p -> { });
    }

    TrainingExecutor(CurveListener listener) {
        this.listener = listener;
    }

    /** A test split held in memory (1,000 examples at paper scale), reread for every evaluation. */
    private record TestSet(List<TaskExample> examples, BatchEncoder encoder) {
    }

    @Override
    public Outcome execute(RunSpec run, Context ctx) throws Exception {
        String nd4jDevice = bind(ctx);
        Configuration hadoop = ctx.store().hadoopConf();
        DatasetStore data = new DatasetStore(ctx.outputRoot(), hadoop);
        TestSet test = readTest(data, data.splitDir(run.dataset(), run.testSplit()));
        TrainConfig tc = TrainConfig.fromConfig(ConfigFactory.parseString(run.trainConf()));
        Kernels.use(Kernels.parse("train.kernels", tc.kernels()));
        // what produced the numbers: ND4J's backend and the form of the sequence ops (java or nd4j)
        String backend = Nd4j.getBackend().getClass().getSimpleName() + "/" + Kernels.current().name().toLowerCase(java.util.Locale.ROOT);
        if (run.evaluationOnly()) {
            long t0 = System.nanoTime();
            SequenceModel model = loadCheckpoint(ctx.store(), run.trainsRun(), hadoop);
            double acc;
            try {
                acc = Trainer.evaluate(model, test.examples().iterator(), test.encoder(), tc)
                        .accuracy();
            } finally {
                model.releaseArrays(); // the next run in this executor should not wait for the GC to free them
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            RunResult.CurvePoint point = new RunResult.CurvePoint(0, 0, Double.NaN, acc, secs);
            listener.point(point);
            return new Outcome(model.parameterCount(), acc, acc, 0, secs, 0, 0, backend, nd4jDevice, List.of(point));
        }
        ModelConfig mc = ModelConfig.fromConfig(ConfigFactory.parseString(run.modelConf()));
        try (DatasetReader train = new DatasetReader(data, data.splitDir(run.dataset(), "train"))) {
            Config m = train.manifest();
            SequenceModel model = SequenceModel.create(mc, m.getInt("vocab"), m.getInt("classes"), tc.seed(),
                    DataType.FLOAT);
            try {
                long total = Trainer.plannedUpdates(tc, m.getLong("rows"));
                long started = System.nanoTime();
                List<RunResult.CurvePoint> curve = new ArrayList<>();
                Trainer.Result r = new Trainer(model, tc).train(train, train.encoder(), total,
                        () -> test.examples().iterator(), test.encoder(), p -> {
                            RunResult.CurvePoint point = new RunResult.CurvePoint(p.update(), p.lr(), p.trainLoss(),
                                    p.testAccuracy(), (System.nanoTime() - started) / 1e9);
                            curve.add(point);
                            listener.point(point);
                        });
                saveCheckpoint(model, ctx.store(), run.runId(), hadoop);
                double best = curve.stream().mapToDouble(RunResult.CurvePoint::accuracy).max().orElse(Double.NaN);
                return new Outcome(r.parameters(), r.finalAccuracy(), best, r.updates(), r.trainSeconds(),
                        r.updatesPerSecond(), r.stepsPerSecond(), backend, nd4jDevice, curve);
            } finally {
                model.releaseArrays(); // also after a failure: the next run should not wait for the GC
            }
        }
    }

    /**
     * Binds ND4J to the task's GPU (when Spark gave it one) and its thread pool to the task's cores;
     * returns the device ND4J reports.
     */
    static String bind(Context ctx) {
        String device = Nd4jDevice.bind(ctx.device());
        Threads.use(ctx.cores());
        return device;
    }

    private static TestSet readTest(DatasetStore data, Path split) throws IOException {
        List<TaskExample> out = new ArrayList<>();
        try (DatasetReader r = new DatasetReader(data, split)) {
            r.forEachRemaining(out::add);
            return new TestSet(out, r.encoder());
        }
    }

    /** Checkpoints go through a local file, since the model writes java.nio paths and the root may be HDFS. */
    static void saveCheckpoint(SequenceModel model, ResultStore store, String runId, Configuration hadoop)
            throws IOException {
        java.nio.file.Path local = Files.createTempFile("selectivbench-" + runId, ".ckpt");
        try {
            Checkpoint.save(model, local);
            Path target = new Path(store.checkpointDir(runId), "model.ckpt");
            FileSystem fs = target.getFileSystem(hadoop);
            Path tmp = new Path(target.getParent(), ".model.ckpt.tmp");
            fs.copyFromLocalFile(false, true, new Path(local.toUri()), tmp);
            HadoopFiles.replace(fs, tmp, target);
        } finally {
            Files.deleteIfExists(local);
        }
    }

    static SequenceModel loadCheckpoint(ResultStore store, String runId, Configuration hadoop) throws IOException {
        Path source = new Path(store.checkpointDir(runId), "model.ckpt");
        java.nio.file.Path local = Files.createTempFile("selectivbench-" + runId, ".ckpt");
        try {
            source.getFileSystem(hadoop).copyToLocalFile(false, source, new Path(local.toUri()), true);
            return Checkpoint.load(local);
        } finally {
            Files.deleteIfExists(local);
        }
    }
}
