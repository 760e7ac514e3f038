package org.selectivbench.spark;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.selectivbench.data.HadoopFiles;

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
 * name of its own attempt and renamed into place in one step, so a reader (and a rerun) sees a run
 * whole or not at all, and attempts never overwrite each other's temporary files. A run has at most
 * one row: a retry replaces a failed row, and nothing replaces an ok one (the later attempt returns
 * it instead). Pages carry checksums, so a damaged file is found when read, and set aside
 * ({@link #scan}) rather than blocking a resume. What is atomic on HDFS and on object stores:
 * docs/cluster.md.
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

    /** What a run's row says: enough to count it, and to return it instead of running it again. */
    public record Recorded(String runId, String status, String failure, double finalAccuracy, double bestAccuracy,
                           long finishedAtMillis) implements java.io.Serializable {
        public boolean ok() {
            return RunResult.OK.equals(status);
        }
    }

    /**
     * Records a run: the curve, then the row, whose presence marks the run as recorded. An ok row is
     * never replaced: when one exists (another attempt finished first), nothing is written and that
     * row is returned. A failed row is replaced.
     */
    public Recorded write(RunResult r) throws IOException {
        return write(r, false);
    }

    /** Records a run whatever its row held: for {@code train}, which reruns a run on purpose. */
    public Recorded replace(RunResult r) throws IOException {
        return write(r, true);
    }

    private Recorded write(RunResult r, boolean replaceOk) throws IOException {
        Path row = rowFile(r.run().runId());
        Optional<Recorded> existing = readOrQuarantine(row);
        if (!replaceOk && existing.isPresent() && existing.get().ok()) {
            return existing.get();
        }
        SimpleGroupFactory curves = new SimpleGroupFactory(CURVE_SCHEMA);
        List<Group> curveRows = new ArrayList<>();
        for (RunResult.CurvePoint p : r.curve()) {
            curveRows.add(curves.newGroup().append("sweep_id", r.sweepId()).append("run_id", r.run().runId())
                    .append("step", p.step()).append("lr", p.lr()).append("loss", p.loss())
                    .append("accuracy", p.accuracy()).append("elapsed_seconds", p.elapsedSeconds()));
        }
        atomically(new Path(curvesDir(), r.run().runId() + ".parquet"), CURVE_SCHEMA, curveRows);
        atomically(row, RUN_SCHEMA, List.of(runRow(r)));
        return new Recorded(r.run().runId(), r.status(), r.failure(), r.finalAccuracy(), r.bestAccuracy(),
                r.finishedAtMillis());
    }

    /** The row of a run, if it has one; an unreadable one is quarantined and counts as none. */
    public Optional<Recorded> read(String runId) throws IOException {
        return readOrQuarantine(rowFile(runId));
    }

    Path rowFile(String runId) {
        return new Path(runsDir(), runId + ".parquet");
    }

    /** Where unreadable files go: {@code SWEEP_DIR/_quarantine/}, beside the tables Spark reads. */
    public Path quarantineDir() {
        return new Path(dir, "_quarantine");
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
        Path tmp = HadoopFiles.temporary(file);
        try {
            try (ParquetWriter<Group> w = ExampleParquetWriter.builder(tmp).withConf(conf).withType(schema)
                    .withPageWriteChecksumEnabled(true).withWriteMode(ParquetFileWriter.Mode.OVERWRITE).build()) {
                for (Group g : rows) {
                    w.write(g);
                }
            }
            HadoopFiles.replace(fs, tmp, file);
        } finally {
            fs.delete(tmp, false); // left only when the write or the move failed
        }
    }

    private Optional<Recorded> readOrQuarantine(Path file) throws IOException {
        FileSystem fs = file.getFileSystem(conf);
        if (!fs.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(readRow(file));
        } catch (java.io.FileNotFoundException e) {
            return Optional.empty(); // replaced or quarantined meanwhile
        } catch (IOException | RuntimeException e) {
            quarantine(fs, file, e);
            return Optional.empty();
        }
    }

    private Recorded readRow(Path file) throws IOException {
        try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), file).withConf(conf)
                .usePageChecksumVerification(true).build()) {
            Group row = r.read();
            if (row == null) {
                throw new IOException(file + " holds no row");
            }
            String runId = row.getString("run_id", 0);
            if (!file.getName().equals(runId + ".parquet")) {
                throw new IOException(file + " holds the row of " + runId);
            }
            return new Recorded(runId, row.getString("status", 0), row.getString("failure", 0),
                    row.getDouble("final_accuracy", 0), row.getDouble("best_accuracy", 0), row.getLong("finished_at", 0));
        }
    }

    /** Files set aside by this store (and why), in the order found. */
    private final Map<Path, String> quarantined = new LinkedHashMap<>();

    private void quarantine(FileSystem fs, Path file, Exception why) throws IOException {
        Path dest = HadoopFiles.quarantine(fs, file, new Path(quarantineDir(), file.getParent().getName()));
        String reason = why.getClass().getSimpleName() + ": " + why.getMessage();
        synchronized (quarantined) {
            quarantined.put(dest, reason);
        }
        System.out.println("quarantined unreadable " + file + " (" + reason + ") to " + dest
                + "; its run counts as not done");
    }

    /** Files this store set aside, with the reason each could not be read. */
    public Map<Path, String> quarantined() {
        synchronized (quarantined) {
            return new LinkedHashMap<>(quarantined);
        }
    }

    /** Deletes temporary files that killed attempts left behind; only the holder of the root's lock may. */
    public int deleteTemporaries() throws IOException {
        FileSystem fs = runsDir().getFileSystem(conf);
        int n = 0;
        for (Path d : List.of(runsDir(), curvesDir())) {
            if (fs.exists(d)) {
                for (FileStatus f : fs.listStatus(d, p -> p.getName().startsWith(".") && p.getName().endsWith(".tmp"))) {
                    n += fs.delete(f.getPath(), false) ? 1 : 0;
                }
            }
        }
        return n;
    }

    /**
     * Reads every row, for a resume: unreadable rows, and the rows of ok runs whose curve cannot be
     * read, are quarantined (so those runs run again).
     */
    public Map<String, Recorded> scan() throws IOException {
        Map<String, Recorded> rows = new LinkedHashMap<>();
        FileSystem fs = runsDir().getFileSystem(conf);
        if (!fs.exists(runsDir())) {
            return rows;
        }
        for (FileStatus f : fs.listStatus(runsDir(), p -> p.getName().endsWith(".parquet")
                && !p.getName().startsWith("."))) {
            Optional<Recorded> r = readOrQuarantine(f.getPath());
            if (r.isEmpty()) {
                continue;
            }
            if (r.get().ok() && !curveReadable(fs, r.get().runId())) {
                quarantine(fs, f.getPath(), new IOException("its curve is unreadable"));
                continue;
            }
            rows.put(r.get().runId(), r.get());
        }
        return rows;
    }

    private boolean curveReadable(FileSystem fs, String runId) throws IOException {
        Path curve = new Path(curvesDir(), runId + ".parquet");
        try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), curve).withConf(conf)
                .usePageChecksumVerification(true).build()) {
            while (r.read() != null) {
                continue;
            }
            return true;
        } catch (IOException | RuntimeException e) {
            if (fs.exists(curve)) {
                quarantine(fs, curve, e);
            }
            return false;
        }
    }

    /** Ids of the runs recorded as ok; a rerun skips these and retries everything else. */
    public List<String> completedRunIds() throws IOException {
        List<String> ok = new ArrayList<>();
        scan().values().stream().filter(Recorded::ok).forEach(r -> ok.add(r.runId()));
        return ok;
    }
}
