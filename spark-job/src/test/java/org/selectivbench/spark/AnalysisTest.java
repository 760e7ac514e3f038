package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The analysis views against the output of two tiny sweeps of one config (so that the second has a
 * comparison), with some failed runs: every SQL paragraph of every Zeppelin notebook, read from the
 * notebook files, and the HTML report with its plots.
 */
class AnalysisTest {
    @TempDir
    static Path tmp;
    static Path sweepDir;
    static Config sb;

    @BeforeAll
    static void twoSweeps() throws Exception {
        // gla fails in the first sweep and mamba2 in the second, and accuracies move by 0.05 between
        // them, so the comparison has cells in one sweep only and cells that changed.
        for (String id : List.of("2026-01-01-tiny", "2026-01-02-tiny")) {
            sb = Settings.load(null, SweepJobTest.tiny(tmp.resolve("out"), "sweep.id=" + id,
                    "grid.tasks=[task1, task2, task4]", "grid.widths=[8, 16]", "grid.models=[gla, mamba2, transformer]"));
            SweepJob job = new SweepJob(LocalSpark.get(), sb, new FakeExecutor(tmp.resolve(id + ".log"),
                    Set.of(id.startsWith("2026-01-01") ? "gla" : "mamba2"), 0, id.startsWith("2026-01-01") ? 0 : 0.05));
            SweepCommand.summarize(LocalSpark.get(), sb, job, job.run(new SweepPlan(sb)));
            sweepDir = Path.of(java.net.URI.create(job.store().dir().toString()));
        }
    }

    @Test
    void everySqlParagraphOfEveryNotebookRuns() throws Exception {
        File[] notebooks = new File("../notebooks").listFiles((d, n) -> n.endsWith(".zpln"));
        assertNotNull(notebooks);
        assertTrue(notebooks.length >= 2);
        // Form values a researcher would pick for this sweep; every other form keeps its default.
        Map<String, String> forms = Map.of("sweep", sweepDir.toString(), "grammar", "V6-A5-D2", "width", "8",
                "curve_width", "8", "curve_lr", "0.002");
        int paragraphs = 0;
        int charts = 0;
        for (File nb : notebooks) {
            JsonNode note = new ObjectMapper().readTree(nb);
            for (JsonNode p : note.get("paragraphs")) {
                String text = p.get("text").asText();
                if (!text.startsWith("%spark.sql")) {
                    continue;
                }
                String sql = substitute(text.substring(text.indexOf('\n') + 1), forms);
                List<Row> result = null;
                String[] columns = null;
                for (String statement : sql.split(";")) {
                    if (!statement.isBlank()) {
                        org.apache.spark.sql.Dataset<Row> ds = LocalSpark.get().sql(statement);
                        result = ds.collectAsList();
                        columns = ds.columns();
                    }
                }
                assertNotNull(result);
                String where = nb.getName() + ": '" + p.get("title").asText() + "'";
                assertFalse(result.isEmpty(), where + " returned no rows");
                JsonNode graph = p.at("/config/results/0/graph");
                List<String> problems = chartProblems(graph, List.of(columns));
                assertTrue(problems.isEmpty(), where + ": " + problems);
                if (!graph.path("mode").asText("table").equals("table")) {
                    charts++;
                }
                paragraphs++;
            }
        }
        assertTrue(paragraphs >= 10, "paragraphs run: " + paragraphs);
        assertTrue(charts >= 7, "charts checked: " + charts);
    }

    /**
     * What would make Zeppelin show a chart empty, checked the way its front end does: every key, group
     * and value must name a result column by its name and its index (Zeppelin's pivot drops any entry
     * whose index and name disagree with the result's columns), and a chart needs a key and a value
     * left after that.
     */
    static List<String> chartProblems(JsonNode graph, List<String> columns) {
        List<String> problems = new java.util.ArrayList<>();
        String mode = graph.path("mode").asText("table");
        if (!Set.of("table", "multiBarChart", "pieChart", "stackedAreaChart", "lineChart", "scatterChart")
                .contains(mode)) {
            problems.add("mode " + mode + " is not a Zeppelin built-in chart");
        }
        if (mode.equals("table")) {
            return problems;
        }
        Map<String, Integer> kept = new java.util.HashMap<>();
        for (String part : List.of("keys", "groups", "values")) {
            int n = 0;
            for (JsonNode e : graph.path(part)) {
                String name = e.path("name").asText();
                int index = e.path("index").asInt(-1);
                if (e.path("index").asDouble() != index) {
                    problems.add(part + " " + name + ": index " + e.path("index") + " is not a whole number");
                } else if (index < 0 || index >= columns.size() || !columns.get(index).equals(name)) {
                    problems.add(part + " " + name + " at index " + index + ", but the result's columns are " + columns);
                } else {
                    n++;
                }
                if (part.equals("values") && !Set.of("sum", "count", "avg", "min", "max").contains(e.path("aggr").asText())) {
                    problems.add("value " + name + ": aggregation " + e.path("aggr") + " is not Zeppelin's");
                }
            }
            kept.put(part, n);
        }
        if (kept.get("keys") == 0 || kept.get("values") == 0) {
            problems.add("no key or no value left: the chart would open empty");
        }
        return problems;
    }

    /** The check itself catches the mistake the notes had: every entry at index 0. */
    @Test
    void chartCheckCatchesSettingsThatDisagreeWithTheColumns() throws Exception {
        JsonNode wrong = new ObjectMapper().readTree("{\"mode\": \"lineChart\", \"keys\": [{\"name\": \"step\","
                + " \"index\": 0.0, \"aggr\": \"sum\"}], \"groups\": [{\"name\": \"model\", \"index\": 0.0,"
                + " \"aggr\": \"sum\"}], \"values\": [{\"name\": \"accuracy\", \"index\": 0.0, \"aggr\": \"avg\"}]}");
        List<String> columns = List.of("step", "model", "accuracy");
        assertEquals(3, chartProblems(wrong, columns).size(), chartProblems(wrong, columns).toString());
        JsonNode right = new ObjectMapper().readTree(wrong.toString().replace("\"model\",\"index\":0.0",
                "\"model\",\"index\":1").replace("\"accuracy\",\"index\":0.0", "\"accuracy\",\"index\":2"));
        assertEquals(List.of(), chartProblems(right, columns));
    }

    /** Zeppelin forms: $${name=default} (note level), ${name=default} and ${name=default,opt1|opt2}. */
    static String substitute(String sql, Map<String, String> forms) {
        Matcher m = Pattern.compile("\\$?\\$\\{([a-z_]+)=([^},]*)(,[^}]*)?}").matcher(sql);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(forms.getOrDefault(m.group(1), m.group(2))));
        }
        m.appendTail(out);
        return out.toString();
    }

    @Test
    void reportRendersWithNonEmptyPlots() throws Exception {
        ResultStore store = new ResultStore(sb.getString("output-root"), "2026-01-02-tiny",
                LocalSpark.get().sparkContext().hadoopConfiguration());
        Report report = new Report(LocalSpark.get(), store);
        report.write();
        Path index = sweepDir.resolve("report/index.html");
        String html = Files.readString(index);
        for (String section : List.of("Summary", "Task 4: accuracy against gap length", "Task 1: accuracy against width",
                "Learning curves", "Accuracy against parameter count", "Failed runs",
                "Against the previous sweep of this config")) {
            assertTrue(html.contains(section), "section " + section);
        }
        assertTrue(html.contains("loss became NaN"), "failure reasons are shown");
        assertTrue(html.contains("cells regressed or were lost"), "the comparison is shown");
        Matcher img = Pattern.compile("<img src=\"([^\"]+)\"").matcher(html);
        Set<String> images = new HashSet<>();
        while (img.find()) {
            images.add(img.group(1));
        }
        assertEquals(new HashSet<>(report.charts()), images);
        // task 4 (1 panel per width), task 1 width (1) and grammar size (2 widths), curves (2 tasks), params (3 tasks).
        assertTrue(images.size() >= 9, "charts: " + images);
        for (String file : images) {
            BufferedImage png = ImageIO.read(sweepDir.resolve("report").resolve(file).toFile());
            assertNotNull(png, file);
            assertTrue(colours(png) > 4, file + " looks empty");
        }
    }

    /**
     * The report as a person sees it: headless Chromium renders index.html to a PNG, kept in
     * target/report-screenshots/ for a look. Here it must show the page: wide, tall and not blank.
     */
    @Test
    void reportScreenshotInARealBrowser() throws Exception {
        reportRendersWithNonEmptyPlots();
        Path chromium = Path.of("/usr/bin/chromium");
        assertTrue(Files.isExecutable(chromium), "needs Debian's chromium (apt-get install chromium; .ci/run does)");
        Path shots = Path.of("target/report-screenshots").toAbsolutePath();
        Files.createDirectories(shots);
        Path png = shots.resolve("report.png");
        Files.deleteIfExists(png);
        Path profile = Files.createTempDirectory(tmp, "chromium");
        Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--hide-scrollbars", "--user-data-dir=" + profile, "--window-size=1280,9000",
                "--screenshot=" + png, sweepDir.resolve("report/index.html").toUri().toString())
                .redirectErrorStream(true).redirectOutput(shots.resolve("chromium.log").toFile()).start();
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "chromium did not finish");
        BufferedImage shot = ImageIO.read(png.toFile());
        assertNotNull(shot, "no screenshot; see " + shots.resolve("chromium.log"));
        assertEquals(1280, shot.getWidth());
        assertTrue(colours(shot) > 50, "the screenshot is blank");
    }

    static int colours(BufferedImage img) {
        Set<Integer> seen = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 3) {
            for (int x = 0; x < img.getWidth(); x += 3) {
                seen.add(img.getRGB(x, y));
            }
        }
        return seen.size();
    }
}
