package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.selectivbench.data.DataSpec;
import org.selectivbench.data.GrammarSpec;
import org.selectivbench.data.TaskSpec;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import org.selectivbench.models.train.ModelBench;
import org.selectivbench.settings.Block;
import org.selectivbench.settings.Setting;

/**
 * The declarations ({@link Keys}) against everything that must agree with them: the modules'
 * reference.conf files, the README's key table and docs/settings.md, checkpoints, the bench's
 * defaults, and the keys a sweep's grid decides.
 */
class KeysTest {
    static final Config REFERENCE = ConfigFactory.defaultReference().getConfig("selectivbench");

    @Test
    void everyDeclaredDefaultIsTheReferenceConfValue() {
        int compared = 0;
        for (Map.Entry<String, Setting<?>> e : Keys.all()) {
            Setting<?> s = e.getValue();
            if (!s.hasDefault() || e.getKey().startsWith("tasks.")) {
                continue; // each task sets its own, checked below
            }
            String path = e.getKey();
            assertTrue(REFERENCE.hasPath(path), path + " is declared but missing from reference.conf");
            Object inConf = readPlain(s, REFERENCE, path);
            assertEquals(plainDefault(s), inConf, path);
            compared++;
        }
        assertTrue(compared > 60, "settings compared: " + compared);
    }

    @Test
    void referenceConfHasNoUndeclaredKeyAndEveryTaskIsComplete() {
        Keys.checkAll(REFERENCE);
        for (String task : REFERENCE.getConfig("tasks").root().keySet()) {
            TaskSpec.fromConfig(task, REFERENCE.getConfig("tasks." + task));
            TaskSpec.D_STATE.read(REFERENCE.getConfig("tasks." + task), "tasks." + task);
        }
        Config withTypo = ConfigFactory.parseString("report.aplha = 0.1").withFallback(REFERENCE);
        SettingsTest.assertError("did you mean report.alpha", () -> Keys.checkAll(withTypo));
        Config bad = ConfigFactory.parseString("spark.progress-interval = 0").withFallback(REFERENCE);
        SettingsTest.assertError("spark.progress-interval = 0: must be 1 to 86,400", () -> Keys.checkAll(bad));
    }

    @Test
    void everySettingIsDocumented() {
        for (Map.Entry<String, Setting<?>> e : Keys.all()) {
            assertFalse(e.getValue().doc().isBlank(), e.getKey());
        }
    }

    /** The README's table and docs/settings.md are what {@code selectivbench keys} prints. */
    @Test
    void keyTablesComeFromTheDeclarations() throws Exception {
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/keys-summary.md"), Keys.summaryTable());
        Files.writeString(Path.of("target/keys-full.md"), Keys.fullTable());
        String readme = Files.readString(Path.of("../README.md"));
        String begin = "<!-- keys: printed by `selectivbench keys --summary` -->\n";
        String end = "<!-- end of keys -->";
        int from = readme.indexOf(begin);
        assertTrue(from >= 0 && readme.indexOf(end) > from, "README marks its key table");
        String table = readme.substring(from + begin.length(), readme.indexOf(end));
        assertEquals(Keys.summaryTable(), table, "README key table; the expected one is in target/keys-summary.md");
        String docs = Files.readString(Path.of("../docs/settings.md"));
        String marker = "<!-- printed by `selectivbench keys` -->\n";
        assertTrue(docs.contains(marker), "docs/settings.md marks its table");
        assertEquals(Keys.fullTable(), docs.substring(docs.indexOf(marker) + marker.length()),
                "docs/settings.md; the expected text is in target/keys-full.md");
    }

    /** A checkpoint holds the model's settings as rendered from the declarations; they read back equal. */
    @Test
    void renderedSettingsReadBackEqual() {
        ModelConfig m = new ModelConfig("gated_delta_product", 3, 48, 0, 16, 3, 5, 2, true, 0.25, 2, 0.1, 32);
        assertEquals(m, ModelConfig.fromConfig(ConfigFactory.parseString(m.render())));
        ModelConfig defaults = ModelConfig.fromConfig(ConfigFactory.empty());
        assertEquals(ModelConfig.fromConfig(REFERENCE.getConfig("model")), defaults, "declared defaults");
        assertEquals(TrainConfig.fromConfig(REFERENCE.getConfig("train")), TrainConfig.fromConfig(ConfigFactory.empty()));
    }

    @Test
    void valuesAreStrict() {
        SettingsTest.assertError("model.width = 8.5: expected an integer",
                () -> ModelConfig.fromConfig(ConfigFactory.parseString("width = 8.5")));
        SettingsTest.assertError("model.layers = 0: must be 1 to 1,024",
                () -> new ModelConfig("gru", 0, 8, 0, 4, 2, 4, 4, false, 0, 0, 0, 4));
        SettingsTest.assertError("train.micro-batch-size = -1",
                () -> new TrainConfig(4, 1e-3, 0, 0, 1, 0, 4, 1, 0, -1, Map.of(), "always", "auto"));
        SettingsTest.assertError("did you mean model.width for widht",
                () -> ModelConfig.fromConfig(ConfigFactory.parseString("widht = 3")));
        SettingsTest.assertError("data.train-examples = 0",
                () -> DataSpec.fromConfig(ConfigFactory.parseString("train-examples = 0")));
        SettingsTest.assertError("data.examples-per-file = 0",
                () -> Settings.load(null, List.of("data.examples-per-file=0")));
        SettingsTest.assertError("grammar.vocab = 60", () -> GrammarSpec.fromConfig(ConfigFactory.parseString(
                "vocab = 60"), 1));
        SettingsTest.assertError("unknown key(s) in grid.grammars[1]: [depht]",
                () -> Settings.load(null, List.of("grid.grammars=[{}, {depht=3}]")));
        SettingsTest.assertError("unknown key(s) in grid.settings.task2[0]: [gap-mx]",
                () -> Settings.load(null, List.of("grid.settings.task2=[{name=a, gap-mx=3}]")));
        SettingsTest.assertError("sweep.id = a/b", () -> Settings.load(null, List.of("sweep.id=\"a/b\"")));
        SettingsTest.assertError("report.correction = bonferroni",
                () -> Settings.load(null, List.of("report.correction=bonferroni")));
        SettingsTest.assertError("bench.classes = 1", () -> Settings.load(null, List.of("bench.classes=1")));
    }

    /** In a sweep the grid decides these keys; setting them is an error naming the grid key. */
    @Test
    void keysTheGridDecidesAreRefusedNamingTheGridKey() {
        for (String[] c : new String[][] {{"model=gla", "grid.models"}, {"model.width=64", "grid.widths"},
                {"model.layers=2", "grid.layers"}, {"train.lr=0.01", "grid.learning-rates"},
                {"train.warmup=5", "grid.warmups"}, {"train.seed=3", "grid.seeds"},
                {"model.d-state=8", "tasks.TASK.d-state"}}) {
            SettingsTest.assertError(c[1] + " decides it here",
                    () -> SweepCommand.validate(Settings.load(null, List.of(c[0]))));
        }
        // the same values in the grid are fine, and train still takes model=NAME
        SweepCommand.validate(Settings.load(null, List.of("grid.widths=[64]", "grid.tasks=[task1]",
                "sweep.memory-per-run=1t")));
        SweepCommand.validate(TrainCommand.single(Settings.load(null, List.of("model=gla", "task=task1",
                "sweep.memory-per-run=1t"))),
                java.util.Set.of("model.name"));
        SettingsTest.assertError("bench.width decides it here", () -> Keys.checkOwned(
                Settings.load(null, List.of("model.width=32")), Keys.BENCH.owners(), "bench", java.util.Set.of()));
    }

    /** The bench block's defaults are the bench's own shape. */
    @Test
    void benchDefaultsAreTheBenchShape() {
        ModelBench.Shape d = ModelBench.Shape.defaults();
        Config b = REFERENCE.getConfig("bench");
        assertEquals(d.engines(), Keys.BENCH_ENGINES.read(b, "bench"));
        assertEquals(d.warmup(), Keys.BENCH_WARMUP.read(b, "bench"));
        assertEquals(List.of(d.batch(), d.steps(), d.width(), d.layers(), d.vocab(), d.classes(), d.reps(), d.microBatch()),
                List.of(Keys.BENCH_BATCH.read(b, "bench"), Keys.BENCH_STEPS.read(b, "bench"),
                        Keys.BENCH_WIDTH.read(b, "bench"), Keys.BENCH_LAYERS.read(b, "bench"),
                        Keys.BENCH_VOCAB.read(b, "bench"), Keys.BENCH_CLASSES.read(b, "bench"),
                        Keys.BENCH_REPS.read(b, "bench"), Keys.BENCH_MICRO_BATCH.read(b, "bench")));
    }

    /** Every block the config has is declared, and every declared block is in the config. */
    @Test
    void everyBlockIsDeclared() {
        assertEquals(new java.util.TreeSet<>(Keys.topKeys()), new java.util.TreeSet<>(REFERENCE.root().keySet()));
        for (Block b : Keys.BLOCKS.values()) {
            assertFalse(b.settings().isEmpty(), b.path());
        }
    }

    private static <T> Object readPlain(Setting<T> s, Config root, String path) {
        int dot = path.lastIndexOf('.');
        Config block = dot < 0 ? root : root.getConfig(path.substring(0, dot));
        return s.kind().plain(s.read(block, path.substring(0, Math.max(dot, 0))));
    }

    private static <T> Object plainDefault(Setting<T> s) {
        return s.kind().plain(s.defaultValue());
    }
}
