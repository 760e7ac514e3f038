package org.selectivbench.spark;

import static org.apache.spark.sql.functions.*;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;
import org.selectivbench.data.DatasetStore;

/**
 * Turns a sweep's runs into its summary: for each (model, task, setting, grammar, width, layers,
 * test split) and seed, the run with the best final accuracy over learning rates and warmups; then
 * the mean, standard deviation, minimum, maximum and count of those over seeds, beside the
 * reference accuracies. Also compares a sweep with the previous sweep of the same config ({@link Alarm}).
 */
public final class Aggregator {
    /** The columns that name one cell of the summary. */
    public static final List<String> CELL = List.of("model", "task", "setting", "grammar", "width", "layers",
            "test_split");

    private final SparkSession spark;

    public Aggregator(SparkSession spark) {
        this.spark = spark;
    }

    public Dataset<Row> runs(ResultStore store) {
        return spark.read().parquet(store.runsDir().toString());
    }

    /** Per cell and seed, the successful run with the best final accuracy (ties: lower lr, shorter warmup). */
    public Dataset<Row> bestPerSeed(Dataset<Row> runs) {
        Column[] cellAndSeed = concat(CELL.stream().map(functions::col).toArray(Column[]::new), col("seed"));
        return runs.where(col("status").equalTo("ok"))
                .withColumn("rank", row_number().over(Window.partitionBy(cellAndSeed)
                        .orderBy(col("final_accuracy").desc(), col("lr"), col("warmup"))))
                .where(col("rank").equalTo(1));
    }

    public Dataset<Row> summary(Dataset<Row> runs) {
        Column[] cell = CELL.stream().map(functions::col).toArray(Column[]::new);
        Dataset<Row> best = bestPerSeed(runs);
        Dataset<Row> failed = runs.where(col("status").notEqual("ok")).groupBy(cell).agg(count(lit(1)).as("failed_runs"));
        return best.groupBy(cell).agg(
                        count(lit(1)).as("seeds"),
                        avg("final_accuracy").as("mean_accuracy"),
                        coalesce(stddev_samp("final_accuracy"), lit(0.0)).as("std_accuracy"),
                        min("final_accuracy").as("min_accuracy"),
                        max("final_accuracy").as("max_accuracy"),
                        avg("best_accuracy").as("mean_best_accuracy"),
                        avg("chance").as("chance"),
                        avg("symbol_only").as("symbol_only"),
                        avg("oracle").as("oracle"),
                        avg("params").as("params"),
                        avg("updates_per_second").as("updates_per_second"))
                .join(failed, cellSeq(), "full_outer") // a cell whose runs all failed still shows
                .withColumn("seeds", coalesce(col("seeds"), lit(0L)))
                .withColumn("failed_runs", coalesce(col("failed_runs"), lit(0L)))
                .orderBy(col("task"), col("setting"), col("grammar"), col("test_split"), col("width"), col("model"));
    }

    private static scala.collection.Seq<String> cellSeq() {
        return scala.collection.JavaConverters.asScalaBuffer(CELL).toSeq();
    }

    private static Column[] concat(Column[] a, Column b) {
        Column[] out = java.util.Arrays.copyOf(a, a.length + 1);
        out[a.length] = b;
        return out;
    }

    /** Writes the summary as Parquet and as one CSV file, and prints it. */
    public Dataset<Row> writeSummary(ResultStore store) throws IOException {
        Dataset<Row> summary = summary(runs(store)).cache();
        summary.coalesce(1).write().mode(SaveMode.Overwrite).parquet(new Path(store.dir(), "summary").toString());
        writeCsv(summary, new Path(store.dir(), "summary.csv"));
        System.out.println("summary (best run over lr and warmup per seed; mean and spread over seeds):");
        summary.select(col("task"), col("setting"), col("grammar"), col("test_split"), col("model"), col("width"),
                col("layers"), col("seeds"), format_number(col("mean_accuracy"), 4).as("accuracy"),
                format_number(col("std_accuracy"), 4).as("std"), format_number(col("chance"), 4).as("chance"),
                format_number(col("symbol_only"), 4).as("symbol_only"), format_number(col("oracle"), 4).as("oracle"),
                col("failed_runs")).show(10_000, false);
        return summary;
    }

    /** A single CSV file with a header, written by the driver (summaries are small). */
    static void writeCsv(Dataset<Row> df, Path file) throws IOException {
        StringBuilder out = new StringBuilder(String.join(",", df.columns())).append('\n');
        for (Row r : df.collectAsList()) {
            for (int i = 0; i < r.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                Object v = r.get(i);
                String s = v == null ? "" : v.toString();
                out.append(s.contains(",") || s.contains("\"") ? '"' + s.replace("\"", "\"\"") + '"' : s);
            }
            out.append('\n');
        }
        writeText(out.toString(), file, df.sparkSession().sparkContext().hadoopConfiguration());
    }

    /** A small text file written by the driver, with the job's Hadoop configuration. */
    static void writeText(String text, Path file, org.apache.hadoop.conf.Configuration conf) throws IOException {
        FileSystem fs = file.getFileSystem(conf);
        try (OutputStream o = fs.create(file, true)) {
            o.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The latest earlier sweep with the same config hash that has a summary, if any (ids sort by date). */
    public Optional<String> previousSweep(String outputRoot, String sweepId, String configHash,
                                          org.apache.hadoop.conf.Configuration conf) throws IOException {
        return sweeps(outputRoot, configHash, conf).stream().filter(id -> id.compareTo(sweepId) < 0)
                .reduce((a, b) -> b);
    }

    /** The latest sweep of this config hash that has a summary, if any. */
    public static Optional<String> latestSweep(String outputRoot, String configHash,
                                               org.apache.hadoop.conf.Configuration conf) throws IOException {
        return sweeps(outputRoot, configHash, conf).stream().reduce((a, b) -> b);
    }

    private static List<String> sweeps(String outputRoot, String configHash, org.apache.hadoop.conf.Configuration conf)
            throws IOException {
        return sweeps(outputRoot, configHash, conf, true);
    }

    /** Ids of the sweeps of one config hash (that have a summary, if asked), in order. */
    private static List<String> sweeps(String outputRoot, String configHash, org.apache.hadoop.conf.Configuration conf,
                                       boolean summarized) throws IOException {
        Path sweeps = new Path(new Path(outputRoot), "sweeps");
        FileSystem fs = sweeps.getFileSystem(conf);
        java.util.TreeSet<String> out = new java.util.TreeSet<>();
        if (!fs.exists(sweeps)) {
            return List.of();
        }
        DatasetStore reader = new DatasetStore(outputRoot, conf);
        for (FileStatus f : fs.listStatus(sweeps)) {
            if ((!summarized || fs.exists(new Path(f.getPath(), "summary")))
                    && fs.exists(new Path(f.getPath(), "runs")) && fs.exists(new Path(f.getPath(), DatasetStore.MANIFEST))
                    && reader.readManifest(f.getPath()).getString("config-hash").equals(configHash)) {
                out.add(f.getPath().getName());
            }
        }
        return List.copyOf(out);
    }

    /**
     * The nightly comparison ({@link Alarm}): tonight's per-seed accuracies against the previous
     * sweep's, one row per cell with the paired change, p-values and a status; {@code flagged} marks
     * regressions and lost cells.
     */
    public Comparison compare(Dataset<Row> runsNow, Dataset<Row> runsBefore, Alarm.Params params, double tolerance) {
        List<Alarm.CellResult> cells = Alarm.compare(bySeed(runsNow), bySeed(runsBefore), params, tolerance);
        List<Row> rows = new java.util.ArrayList<>();
        for (Alarm.CellResult c : cells) {
            List<Object> values = new java.util.ArrayList<>(c.cell());
            values.addAll(java.util.Arrays.asList(c.seeds(), c.previousSeeds(), c.pairedSeeds(), nullIfNaN(c.meanAccuracy()),
                    nullIfNaN(c.previousAccuracy()), nullIfNaN(c.change()), tolerance, nullIfNaN(c.pValue()),
                    nullIfNaN(c.pAdjusted()), c.status(), c.flagged()));
            rows.add(org.apache.spark.sql.RowFactory.create(values.toArray()));
        }
        org.apache.spark.sql.types.StructType schema = runsNow.select(CELL.stream().map(functions::col)
                .toArray(Column[]::new)).schema()
                .add("seeds", "int", false).add("previous_seeds", "int", false).add("paired_seeds", "int", false)
                .add("mean_accuracy", "double").add("previous_accuracy", "double").add("change", "double")
                .add("tolerance", "double", false).add("p_value", "double").add("p_adjusted", "double")
                .add("status", "string", false).add("flagged", "boolean", false);
        Dataset<Row> df = spark.createDataFrame(rows, schema)
                .orderBy(col("task"), col("setting"), col("test_split"), col("width"), col("model"));
        return new Comparison(df, cells);
    }

    /** The comparison as a table and as the alarm's verdicts. */
    public record Comparison(Dataset<Row> table, List<Alarm.CellResult> cells) {
        public long flagged() {
            return cells.stream().filter(Alarm.CellResult::flagged).count();
        }
    }

    private static Double nullIfNaN(double d) {
        return Double.isNaN(d) ? null : d;
    }

    private static Map<List<Object>, Map<Long, Double>> bySeed(Dataset<Row> runs) {
        List<List<Object>> cells = new java.util.ArrayList<>();
        List<Long> seeds = new java.util.ArrayList<>();
        List<Double> acc = new java.util.ArrayList<>();
        String[] cols = CELL.toArray(new String[0]);
        for (Row r : new Aggregator(runs.sparkSession()).bestPerSeed(runs).collectAsList()) {
            List<Object> cell = new java.util.ArrayList<>();
            for (String c : cols) {
                cell.add(r.getAs(c));
            }
            cells.add(cell);
            seeds.add(r.getAs("seed"));
            acc.add(r.getAs("final_accuracy"));
        }
        return Alarm.bySeed(cells, seeds, acc);
    }

    /**
     * The rerun tolerance: the largest difference in final accuracy between two records of one run
     * (same run id, so same settings and seed) at one code version, over every sweep of this config
     * under the root. Empty when no run was rerun at one code version. On the CPU training is
     * bit-identical, so it is 0 there; a larger one means it is not, and says so.
     */
    public static java.util.OptionalDouble rerunTolerance(SparkSession spark, String outputRoot, String configHash)
            throws IOException {
        List<String> ids = sweeps(outputRoot, configHash, spark.sparkContext().hadoopConfiguration(), false);
        if (ids.size() < 2) {
            return java.util.OptionalDouble.empty();
        }
        Dataset<Row> all = null;
        for (String id : ids) {
            Path runs = new Path(new Path(new Path(new Path(outputRoot), "sweeps"), id), "runs");
            Dataset<Row> d = spark.read().parquet(runs.toString()).where(col("status").equalTo("ok"))
                    .select(col("run_id"), col("code_version"), col("final_accuracy"));
            all = all == null ? d : all.unionByName(d);
        }
        Row r = all.groupBy(col("run_id"), col("code_version")).agg(count(lit(1)).as("n"),
                        max("final_accuracy").minus(min("final_accuracy")).as("spread"))
                .where(col("n").geq(2)).agg(max("spread"), count(lit(1))).first();
        return r.isNullAt(0) ? java.util.OptionalDouble.empty() : java.util.OptionalDouble.of(r.getDouble(0));
    }
}
