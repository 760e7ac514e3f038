package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {
    @TempDir
    Path tmp;

    @Test
    void presetThenOverridesOnTopOfDefaults() throws Exception {
        File preset = tmp.resolve("p.conf").toFile();
        Files.writeString(preset.toPath(), "selectivbench { grammar.depth = 7, data.train-examples = 99 }");
        Config sb = Settings.load(preset, List.of("data.train-examples=5", "grid.seeds=[3,4]",
                "selectivbench.tasks.task2.noise=0.3"));
        assertEquals(7, sb.getInt("grammar.depth"));
        assertEquals(5, sb.getInt("data.train-examples"));
        assertEquals(List.of(3, 4), sb.getIntList("grid.seeds"));
        assertEquals(41, sb.getInt("grammar.vocab"), "defaults remain");
        assertEquals(0.3, sb.getDouble("tasks.task4.noise"), "task 4 follows task 2's settings");
    }

    @Test
    void modelAndTaskShorthands() {
        Config sb = Settings.load(null, List.of("model=gla", "task=task3", "model={width=8}"));
        assertEquals("gla", sb.getString("model.name"));
        assertEquals(8, sb.getInt("model.width"));
        assertEquals(List.of("task3"), sb.getStringList("grid.tasks"));
    }

    @Test
    void badInputNamesTheKeyOrFile() {
        assertError("grammr", () -> Settings.load(null, List.of("grammr.depth=3")));
        assertError("nope.conf", () -> Settings.load(new File("nope.conf"), List.of()));
        assertError("expected key=value", () -> Settings.load(null, List.of("grid.seeds")));
        assertError("grid.tasks", () -> new DatasetPlan(Settings.load(null, List.of("grid.tasks=[]"))));
        assertError("task7", () -> new DatasetPlan(Settings.load(null, List.of("grid.tasks=[task7]"))));
        assertError("grid.settings.task2",
                () -> new DatasetPlan(Settings.load(null, List.of("grid.settings.task2=[{gap-max=5.0}]"))));
        assertError("grammar.vocab", () -> new DatasetPlan(Settings.load(null, List.of("grammar.vocab=60"))));
        assertError("unknown key(s) in grid: [seed]",
                () -> new DatasetPlan(Settings.load(null, List.of("grid.seed=[1]"))));
    }

    @Test
    void settingsExpandPerTask() {
        Config sb = Settings.load(null, List.of("grid.tasks=[task2]",
                "grid.settings.task2=[{name=paper}, {name=nmax50, gap-max=5.0}]", "grid.seeds=[1,2]"));
        DatasetPlan plan = new DatasetPlan(sb);
        assertEquals(4, plan.points().size());
        assertEquals(4, plan.datasets().size());
        DatasetPlan.Point p = plan.points().stream().filter(x -> x.setting().equals("nmax50")).findFirst()
                .orElseThrow();
        assertEquals("test-gap50", plan.splits(p.dataset().key()).get(1).name());
    }

    @Test
    void outputRootIsQualifiedAndMustBeSharedOnACluster() {
        org.apache.hadoop.conf.Configuration hadoop = new org.apache.hadoop.conf.Configuration();
        Config local = Spark.outputRoot(Settings.load(null, List.of("output-root=out")), "local[*]", hadoop);
        assertEquals("file:" + new File("out").getAbsolutePath(), local.getString("output-root"));
        assertError("output-root = \"out\" is a relative path, but spark.master = spark://m:7077",
                () -> Spark.outputRoot(Settings.load(null, List.of()), "spark://m:7077", hadoop));
        assertError("output-root = \"/data/sb\" is file:/data/sb on the local disk of each machine",
                () -> Spark.outputRoot(Settings.load(null, List.of("output-root=/data/sb")), "yarn", hadoop));
        assertError("output-root = \"file:///data/sb\" is file:/data/sb",
                () -> Spark.outputRoot(Settings.load(null, List.of("output-root=\"file:///data/sb\"")), "yarn", hadoop));
        assertError("output-root = \"nofs://x/y\": No FileSystem for scheme \"nofs\"",
                () -> Spark.outputRoot(Settings.load(null, List.of("output-root=\"nofs://x/y\"")), "yarn", hadoop));
    }

    /** HOCON comments start at // and #: a --set value holding one must come through whole, or fail. */
    @Test
    void valuesWithCommentMarkersAreKeptWhole() {
        Config sb = Settings.load(null, List.of("output-root=hdfs://namenode:8020/selectivbench",
                "report.notify=mail -s 'sweep #3' team@example.org"));
        assertEquals("hdfs://namenode:8020/selectivbench", sb.getString("output-root"));
        assertEquals("mail -s 'sweep #3' team@example.org", sb.getString("report.notify"));
        assertEquals("s3a://b/x", Settings.load(null, List.of("output-root=\"s3a://b/x\"")).getString("output-root"));
        assertError("start a comment in HOCON", () -> Settings.load(null, List.of("grid.tasks=[a//b]")));
    }

    static void assertError(String fragment, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
    }

    @Test
    void progressLineHasCountsRateAndEstimate() {
        Progress p = new Progress("generate", "examples", 1000, () -> 0, 3600);
        String line = p.line(250, 10);
        p.close();
        assertTrue(line.contains("250 / 1,000 examples (25.0%)"), line);
        assertTrue(line.contains("25 examples/s"), line);
        assertTrue(line.contains("about 0:30 left"), line);
    }
}
