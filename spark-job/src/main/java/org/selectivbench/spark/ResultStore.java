package org.selectivbench.spark;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.selectivbench.data.HadoopFiles;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * A sweep's results under {@code ROOT/sweeps/SWEEP_ID/}:
 *
 * <pre>
 * runs/RUN_ID.parquet      one row: the run (see docs/results.md)
 * curves/RUN_ID.parquet    one row per evaluation step
 * checkpoints/RUN_ID/      the trained model (training runs)
 * </pre>
 *
 * Executors write these with the Parquet library. Each file is written under a hidden temporary
 * name and renamed into place, so a reader (and a rerun) sees a run whole or not at all; a retried
 * run replaces its own earlier row, so no run is ever counted twice (what is atomic on HDFS and on
 * object stores: docs/cluster.md).
 */
public final class ResultStore {
    public static final MessageType RUN_SCHEMA = MessageTypeParser.parseMessageType("""
            message selectivbench_run {
              required binary sweep_id (STRING);
              required binary run_id (STRING);
              required binary task (STRING);
              required binary setting (STRING);
              required binary grammar (STRING);
              required int32 vocab;
              required int32 ambiguities;
              required int32 depth;
              required int64 seed;
              required binary model (STRING);
              required int32 width;
              required int32 layers;
              required double lr;
              required int32 warmup;
              required int64 train_examples;
              required binary dataset (STRING);
              required binary test_split (STRING);
              required int32 test_gap_steps;
              required binary trains_run (STRING);
              required binary status (STRING);
              required binary failure (STRING);
              required int64 params;
              required double final_accuracy;
              required double best_accuracy;
              required double chance;
              required double symbol_only;
              required double oracle;
              required int64 updates;
              required double train_seconds;
              required double updates_per_second;
              required double steps_per_second;
              required binary backend (STRING);
              required binary device (STRING);
              required binary nd4j_device (STRING);
              required binary code_version (STRING);
              required binary config (STRING);
              required int64 finished_at (TIMESTAMP(MILLIS,true));
            }""");

    public static final MessageType CURVE_SCHEMA = MessageTypeParser.parseMessageType("""
            message selectivbench_curve {
              required binary sweep_id (STRING);
              required binary run_id (STRING);
              required int64 step;
              required double lr;
              required double loss;
              required double accuracy;
              required double elapsed_seconds;
            }""");

    private final Path dir;
    private final Configuration conf;

    public ResultStore(String root, String sweepId, Configuration conf) {
        this.dir = new Path(new Path(new Path(root), "sweeps"), sweepId);
        this.conf = conf;
    }

    public Path dir() {
        return dir;
    }

    /** The Hadoop configuration this store writes with: the job's, on executors too. */
    public Configuration hadoopConf() {
        return conf;
    }

    public Path runsDir() {
        return new Path(dir, "runs");
    }

    public Path curvesDir() {
        return new Path(dir, "curves");
    }

    public Path checkpointDir(String runId) {
        return new Path(new Path(dir, "checkpoints"), runId);
    }

    /** Writes the curve, then the run row; the row's presence marks the run as recorded. */
    public void write(RunResult r) throws IOException {
        SimpleGroupFactory curves = new SimpleGroupFactory(CURVE_SCHEMA);
        List<Group> curveRows = new ArrayList<>();
        for (RunResult.CurvePoint p : r.curve()) {
            curveRows.add(curves.newGroup().append("sweep_id", r.sweepId()).append("run_id", r.run().runId())
                    .append("step", p.step()).append("lr", p.lr()).append("loss", p.loss())
                    .append("accuracy", p.accuracy()).append("elapsed_seconds", p.elapsedSeconds()));
        }
        atomically(new Path(curvesDir(), r.run().runId() + ".parquet"), CURVE_SCHEMA, curveRows);
        atomically(new Path(runsDir(), r.run().runId() + ".parquet"), RUN_SCHEMA, List.of(runRow(r)));
    }

    private static Group runRow(RunResult r) {
        RunSpec s = r.run();
        return new SimpleGroupFactory(RUN_SCHEMA).newGroup()
                .append("sweep_id", r.sweepId()).append("run_id", s.runId()).append("task", s.task())
                .append("setting", s.setting()).append("grammar", s.dataset().grammar().label())
                .append("vocab", s.dataset().grammar().vocab())
                .append("ambiguities", s.dataset().grammar().ambiguities())
                .append("depth", s.dataset().grammar().depth()).append("seed", s.seed())
                .append("model", s.model()).append("width", s.width()).append("layers", s.layers())
                .append("lr", s.lr()).append("warmup", s.warmup())
                .append("train_examples", s.dataset().data().trainExamples())
                .append("dataset", s.dataset().key()).append("test_split", s.testSplit())
                .append("test_gap_steps", gapSteps(s.testSplit())).append("trains_run", s.trainsRun())
                .append("status", r.status()).append("failure", r.failure()).append("params", r.params())
                .append("final_accuracy", r.finalAccuracy()).append("best_accuracy", r.bestAccuracy())
                .append("chance", r.chance()).append("symbol_only", r.symbolOnly()).append("oracle", r.oracle())
                .append("updates", r.updates()).append("train_seconds", r.trainSeconds())
                .append("updates_per_second", r.updatesPerSecond()).append("steps_per_second", r.stepsPerSecond())
                .append("backend", r.backend()).append("device", r.device())
                .append("nd4j_device", r.nd4jDevice())
                .append("code_version", r.codeVersion()).append("config", r.config())
                .append("finished_at", r.finishedAtMillis());
    }

    static int gapSteps(String testSplit) {
        return testSplit.startsWith("test-gap") ? Integer.parseInt(testSplit.substring("test-gap".length())) : -1;
    }

    private void atomically(Path file, MessageType schema, List<Group> rows) throws IOException {
        FileSystem fs = file.getFileSystem(conf);
        Path tmp = new Path(file.getParent(), "." + file.getName() + ".tmp");
        fs.delete(tmp, false);
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(tmp).withConf(conf).withType(schema)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE).build()) {
            for (Group g : rows) {
                w.write(g);
            }
        }
        HadoopFiles.replace(fs, tmp, file);
    }

    /** Ids of the runs recorded as ok; a rerun skips these and retries everything else. */
    public List<String> completedRunIds() throws IOException {
        List<String> ok = new ArrayList<>();
        FileSystem fs = runsDir().getFileSystem(conf);
        if (!fs.exists(runsDir())) {
            return ok;
        }
        for (FileStatus f : fs.listStatus(runsDir(), p -> p.getName().endsWith(".parquet")
                && !p.getName().startsWith("."))) {
            try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), f.getPath()).withConf(conf)
                    .build()) {
                Group row = r.read();
                if (row != null && RunResult.OK.equals(row.getString("status", 0))) {
                    ok.add(row.getString("run_id", 0));
                }
            }
        }
        return ok;
    }
}
