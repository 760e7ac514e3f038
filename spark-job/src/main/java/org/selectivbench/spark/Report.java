package org.selectivbench.spark;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code selectivbench report}: a static HTML page with PNG plots of a sweep, readable offline,
 * written to {@code SWEEP_DIR/report/}: the summary tables per task with the reference accuracies,
 * accuracy against gap length (task 4), against width and grammar size (task 1), learning curves,
 * accuracy against parameter count, failed runs, and the comparison with the previous sweep.
 */
final class Report {
    private final SparkSession spark;
    private final ResultStore store;
    private final StringBuilder html = new StringBuilder();
    private final java.nio.file.Path dir;
    private final List<String> charts = new ArrayList<>();

    Report(SparkSession spark, ResultStore store) throws IOException {
        this.spark = spark;
        this.store = store;
        this.dir = Files.createTempDirectory("selectivbench-report");
    }

    /** Writes the report and returns the path of its index.html. */
    Path write() throws IOException {
        Aggregator agg = new Aggregator(spark);
        Dataset<Row> runs = agg.runs(store).cache();
        List<Row> summary = agg.summary(runs).collectAsList();
        html.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>SelectivBench sweep ")
                .append(esc(store.dir().getName())).append("</title><style>").append(CSS).append("</style></head><body>")
                .append("<h1>SelectivBench sweep <code>").append(esc(store.dir().getName())).append("</code></h1>");
        long total = runs.count();
        long failed = runs.where(col("status").notEqual("ok")).count();
        html.append(String.format(Locale.ROOT, "<p>%d runs, %d failed. Accuracy is the windowed accuracy on each"
                + " test split; per seed the best run over learning rate and warmup, then mean &plusmn; spread over"
                + " seeds (n). Code %s, backend %s.</p>", total, failed, esc(first(runs, "code_version")),
                esc(first(runs, "backend"))));
        summaryTables(summary);
        gapChart(summary);
        task1Charts(summary);
        learningCurves(runs);
        paramsCharts(summary);
        failedRuns(runs);
        comparison();
        html.append("</body></html>\n");
        Files.writeString(dir.resolve("index.html"), html.toString(), StandardCharsets.UTF_8);
        Path target = new Path(store.dir(), "report");
        FileSystem fs = target.getFileSystem(spark.sparkContext().hadoopConfiguration());
        fs.delete(target, true);
        fs.copyFromLocalFile(true, true, new Path(dir.toUri()), target);
        return new Path(target, "index.html");
    }

    List<String> charts() {
        return charts;
    }

    private void summaryTables(List<Row> summary) {
        html.append("<h2>Summary</h2>");
        Map<String, List<Row>> byTable = summary.stream().collect(Collectors.groupingBy(
                r -> r.getAs("task") + " &middot; " + r.getAs("setting") + " &middot; " + r.getAs("grammar"),
                TreeMap::new, Collectors.toList()));
        for (Map.Entry<String, List<Row>> t : byTable.entrySet()) {
            TreeSet<String> columns = new TreeSet<>(Comparator.comparing(Report::columnOrder));
            TreeSet<String> models = new TreeSet<>();
            Map<String, Row> cell = new LinkedHashMap<>();
            for (Row r : t.getValue()) {
                String c = column(r);
                columns.add(c);
                models.add(r.getAs("model"));
                cell.put(r.getAs("model") + "|" + c, r);
            }
            html.append("<h3>").append(t.getKey()).append("</h3><table><tr><th>model</th>");
            columns.forEach(c -> html.append("<th>").append(esc(c)).append("</th>"));
            html.append("</tr>");
            for (String m : models) {
                html.append("<tr><td>").append(esc(m)).append("</td>");
                for (String c : columns) {
                    Row r = cell.get(m + "|" + c);
                    String failedNote = r == null || (long) r.getAs("failed_runs") == 0 ? ""
                            : " <span class=fail>" + r.getAs("failed_runs") + " failed</span>";
                    html.append("<td>").append(r == null || (long) r.getAs("seeds") == 0 ? "&ndash;"
                            : String.format(Locale.ROOT, "%.3f &plusmn; %.3f (%d)", (double) r.getAs("mean_accuracy"),
                            (double) r.getAs("std_accuracy"), (long) r.getAs("seeds"))).append(failedNote)
                            .append("</td>");
                }
                html.append("</tr>");
            }
            for (String ref : List.of("chance", "symbol_only", "oracle")) {
                html.append("<tr class=ref><td>").append(ref.replace('_', '-')).append("</td>");
                for (String c : columns) {
                    Double v = t.getValue().stream().filter(r -> column(r).equals(c) && r.getAs(ref) != null)
                            .map(r -> (Double) r.getAs(ref)).findFirst().orElse(null);
                    html.append(v == null ? "<td>&ndash;</td>" : String.format(Locale.ROOT, "<td>%.3f</td>", v));
                }
                html.append("</tr>");
            }
            html.append("</table>");
        }
    }

    private static String column(Row r) {
        return "d=" + r.getAs("width") + " L=" + r.getAs("layers") + " " + r.getAs("test_split");
    }

    /** Orders columns by width, then by gap length, numerically. */
    private static String columnOrder(String c) {
        String[] p = c.split(" ");
        int gap = ResultStore.gapSteps(p[2]);
        return String.format("%08d %04d %08d", Integer.parseInt(p[0].substring(2)), Integer.parseInt(p[1].substring(2)),
                gap);
    }

    private void gapChart(List<Row> all) throws IOException {
        List<Row> summary = withAccuracy(all);
        Map<String, List<Charts.Point>> panels = new TreeMap<>();
        for (Row r : summary) {
            if (r.getAs("task").equals("task4")) {
                panels.computeIfAbsent(r.getAs("setting") + ", " + r.getAs("grammar") + ", d=" + r.getAs("width"),
                        k -> new ArrayList<>()).add(new Charts.Point(r.getAs("model"),
                        ResultStore.gapSteps(r.getAs("test_split")), r.getAs("mean_accuracy")));
            }
        }
        section("Task 4: accuracy against gap length", panels, "task4-gap", "gap length (steps)", false, false,
                "no task-4 runs in this sweep");
    }

    private void task1Charts(List<Row> all) throws IOException {
        List<Row> summary = withAccuracy(all);
        Map<String, List<Charts.Point>> byGrammar = new TreeMap<>();
        Map<String, List<Charts.Point>> byWidth = new TreeMap<>();
        for (Row r : summary) {
            if (r.getAs("task").equals("task1")) {
                String model = r.getAs("model");
                double acc = r.getAs("mean_accuracy");
                byGrammar.computeIfAbsent(r.getAs("setting") + ", " + r.getAs("grammar") + ", " + r.getAs("test_split"),
                        k -> new ArrayList<>()).add(new Charts.Point(model, (int) r.getAs("width"), acc));
                byWidth.computeIfAbsent(r.getAs("setting") + ", d=" + r.getAs("width") + ", " + r.getAs("test_split"),
                        k -> new ArrayList<>()).add(new Charts.Point(model, ambiguities(r.getAs("grammar")), acc));
            }
        }
        section("Task 1: accuracy against width", byGrammar, "task1-width", "width d", false, false,
                "no task-1 runs in this sweep");
        section("Task 1: accuracy against grammar size", byWidth, "task1-grammar", "ambiguities A (= depth D)", false,
                false, "no task-1 runs in this sweep");
    }

    private static int ambiguities(String grammarLabel) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("-A(\\d+)-").matcher(grammarLabel);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** Per task and model, the curve of the run with the best final accuracy. */
    private void learningCurves(Dataset<Row> runs) throws IOException {
        List<Row> best = runs.where("status = 'ok' AND trains_run = ''").collectAsList();
        Map<String, Row> bestRun = new TreeMap<>();
        for (Row r : best) {
            String key = r.getAs("task") + "|" + r.getAs("model");
            Row b = bestRun.get(key);
            if (b == null || (double) r.getAs("final_accuracy") > (double) b.getAs("final_accuracy")) {
                bestRun.put(key, r);
            }
        }
        Map<String, String> runToSeries = new LinkedHashMap<>();
        Map<String, String> runToTask = new LinkedHashMap<>();
        for (Row r : bestRun.values()) {
            runToSeries.put(r.getAs("run_id"), r.getAs("model") + " (d=" + r.getAs("width") + ", lr="
                    + r.getAs("lr") + ")");
            runToTask.put(r.getAs("run_id"), r.getAs("task"));
        }
        Map<String, List<Charts.Point>> panels = new TreeMap<>();
        if (!runToSeries.isEmpty()) {
            Dataset<Row> curves = spark.read().parquet(store.curvesDir().toString())
                    .where(col("run_id").isin(runToSeries.keySet().toArray()));
            for (Row c : curves.collectAsList()) {
                String id = c.getAs("run_id");
                panels.computeIfAbsent(runToTask.get(id), k -> new ArrayList<>()).add(new Charts.Point(
                        runToSeries.get(id), (long) c.getAs("step"), c.getAs("accuracy")));
            }
        }
        section("Learning curves (best run per model)", panels, "curve", "update", false, false,
                "no successful training runs in this sweep");
    }

    private void paramsCharts(List<Row> all) throws IOException {
        List<Row> summary = withAccuracy(all);
        Map<String, List<Charts.Point>> panels = new TreeMap<>();
        for (Row r : summary) {
            panels.computeIfAbsent((String) r.getAs("task"), k -> new ArrayList<>()).add(new Charts.Point(
                    r.getAs("model"), r.getAs("params"), r.getAs("mean_accuracy")));
        }
        section("Accuracy against parameter count", panels, "params", "parameters", true, true,
                "no successful runs in this sweep");
    }

    private void section(String title, Map<String, List<Charts.Point>> panels, String prefix, String xTitle,
                         boolean scatter, boolean logX, String none) throws IOException {
        html.append("<h2>").append(esc(title)).append("</h2>");
        int i = 0;
        for (Map.Entry<String, List<Charts.Point>> p : panels.entrySet()) {
            String file = Charts.write(dir, prefix + "-" + (i++), p.getKey(), xTitle, "test accuracy", p.getValue(),
                    scatter, logX);
            if (file != null) {
                charts.add(file);
                html.append("<figure><img src=\"").append(file).append("\" alt=\"").append(esc(title + ": "
                        + p.getKey())).append("\"></figure>");
            }
        }
        if (i == 0) {
            html.append("<p class=none>").append(esc(none)).append(".</p>");
        }
    }

    private void failedRuns(Dataset<Row> runs) {
        List<Row> failed = runs.where("status <> 'ok'").orderBy("task", "model", "width", "seed").collectAsList();
        html.append("<h2>Failed runs</h2>");
        if (failed.isEmpty()) {
            html.append("<p class=none>none.</p>");
            return;
        }
        table(List.of("task", "model", "width", "seed", "lr", "run_id", "failure"), failed);
    }

    private void comparison() throws IOException {
        Path cmp = new Path(store.dir(), "comparison");
        html.append("<h2>Against the previous sweep of this config</h2>");
        if (!cmp.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(cmp)) {
            html.append("<p class=none>no earlier sweep of this config to compare with.</p>");
            return;
        }
        Dataset<Row> c = spark.read().parquet(cmp.toString());
        List<Row> changed = c.where("status <> 'unchanged'").orderBy(col("flagged").desc(), col("task"),
                col("test_split"), col("model")).collectAsList();
        html.append(String.format(Locale.ROOT, "<p>%d of %d cells regressed or were lost; %d changed. Seeds are"
                + " paired across the two sweeps; a regression is a significant drop (one-sided paired t-test,"
                + " corrected for testing every cell) of at least report.min-effect.</p>",
                c.where("flagged").count(), c.count(), changed.size()));
        if (!changed.isEmpty()) {
            table(List.of("status", "task", "setting", "test_split", "width", "model", "previous_accuracy",
                    "mean_accuracy", "change", "paired_seeds", "p_adjusted"), changed);
        }
    }

    private void table(List<String> columns, List<Row> rows) {
        html.append("<table><tr>");
        columns.forEach(c -> html.append("<th>").append(esc(c)).append("</th>"));
        html.append("</tr>");
        for (Row r : rows) {
            html.append("<tr>");
            for (String c : columns) {
                Object v = r.getAs(c);
                html.append(v instanceof String ? "<td class=txt>" : "<td>").append(v == null ? "&ndash;"
                        : esc(v instanceof Double d ? String.format(Locale.ROOT, "%.4f", d) : String.valueOf(v)))
                        .append("</td>");
            }
            html.append("</tr>");
        }
        html.append("</table>");
    }

    /** Cells with at least one successful seed (cells whose runs all failed have no accuracy). */
    private static List<Row> withAccuracy(List<Row> summary) {
        return summary.stream().filter(r -> (long) r.getAs("seeds") > 0).toList();
    }

    private static String first(Dataset<Row> runs, String column) {
        List<Row> r = runs.where("status = 'ok'").select(column).limit(1).collectAsList();
        return r.isEmpty() ? "unknown" : String.valueOf(r.get(0).get(0));
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static final String CSS = "body{font-family:'DejaVu Sans',Arial,sans-serif;margin:2em;color:#222;"
            + "max-width:1200px}table{border-collapse:collapse;margin:0.5em 0 1.5em}th,td{border:1px solid #ccc;"
            + "padding:4px 8px;text-align:right;font-size:13px}th{background:#f2f2f2}td:first-child,td.txt{text-align:left}"
            + "tr.ref td{color:#666;font-style:italic}.fail{color:#b00}.none{color:#666}figure{margin:0 0 1em}"
            + "img{max-width:100%;border:1px solid #eee}code{font-size:0.9em}";
}
