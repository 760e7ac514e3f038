package org.selectivbench.spark;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.selectivbench.data.DataSpec;
import org.selectivbench.data.DatasetSpec;
import org.selectivbench.data.DatasetStore;
import org.selectivbench.data.ExampleGenerator;
import org.selectivbench.data.Grammar;
import org.selectivbench.data.GrammarParquet;
import org.selectivbench.data.ReferenceAccuracies;
import org.selectivbench.data.Split;
import org.selectivbench.data.TaskExample;
import org.selectivbench.data.TaskSpec;

/**
 * {@code selectivbench generate}: writes the grammars and datasets the grid names. Each Spark task
 * writes one part file (a range of example indices) into staging; the driver then moves each split
 * into place and writes its manifest once the parts hold the split's rows. Complete splits are
 * skipped once their part footers check out; damaged ones are quarantined, and they and incomplete
 * ones are written again whole. The caller holds the output root's {@link OutputLock}, so no other
 * process clears a split this one is writing.
 */
public final class GenerateJob {

    /** One Spark task: examples [from, to) of one split. */
    record Part(DatasetSpec dataset, DatasetSpec.SplitSpec split, int part, long from, long to)
            implements Serializable {
    }

    /** What a run of the job did, for the console and for tests. */
    public record Summary(int splitsWritten, int splitsSkipped, long examplesWritten, double seconds) {
    }

    private final SparkSession spark;
    private final Config sb;
    private final DatasetStore store;

    public GenerateJob(SparkSession spark, Config sb) {
        this.spark = spark;
        this.sb = sb;
        this.store = new DatasetStore(sb.getString("output-root"), spark.sparkContext().hadoopConfiguration());
    }

    public Summary run(DatasetPlan plan) throws IOException {
        long started = System.nanoTime();
        long perFile = DataSpec.EXAMPLES_PER_FILE.read(sb.getConfig("data"), "data");
        List<Part> parts = new ArrayList<>();
        Map<String, Integer> partsPerSplit = new LinkedHashMap<>();
        int skipped = 0;
        for (Map.Entry<String, DatasetSpec> e : plan.datasets().entrySet()) {
            DatasetSpec ds = e.getValue();
            writeGrammar(ds);
            for (DatasetSpec.SplitSpec split : plan.splits(e.getKey())) {
                Path dir = store.splitDir(ds, split.name());
                if (store.isComplete(dir)) {
                    String damage = store.damage(dir);
                    if (damage == null) {
                        skipped++;
                        continue;
                    }
                    System.out.println("generate: quarantined damaged split " + dir + " (" + damage + ") to "
                            + store.quarantine(dir) + "; writing it again");
                }
                store.clearIncomplete(ds, split.name());
                long n = ds.data().examples(split.split());
                int count = (int) Math.max(1, (n + perFile - 1) / perFile);
                for (int p = 0; p < count; p++) {
                    parts.add(new Part(ds, split, p, p * perFile, Math.min(n, (p + 1) * perFile)));
                }
                partsPerSplit.put(ds.key() + "/" + split.name(), count);
            }
        }
        long total = parts.stream().mapToLong(p -> p.to() - p.from()).sum();
        System.out.printf("generate: %d dataset(s), %d split(s) to write (%,d examples in %d tasks), %d complete"
                + " split(s) skipped%n", plan.datasets().size(), partsPerSplit.size(), total, parts.size(), skipped);
        if (!parts.isEmpty()) {
            writeParts(parts, total);
            for (Map.Entry<String, DatasetSpec> e : plan.datasets().entrySet()) {
                DatasetSpec ds = e.getValue();
                for (DatasetSpec.SplitSpec split : plan.splits(e.getKey())) {
                    Integer count = partsPerSplit.get(ds.key() + "/" + split.name());
                    if (count != null) {
                        store.commit(ds, split, count, manifestExtras(ds, split));
                    }
                }
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("generate: done in %.1f s; data under %s%n", seconds, store.root());
        return new Summary(partsPerSplit.size(), skipped, total, seconds);
    }

    private void writeParts(List<Part> parts, long total) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        LongAccumulator done = jsc.sc().longAccumulator("examples written");
        String root = store.root().toString();
        HadoopConf hadoop = HadoopConf.of(spark);
        try (Progress progress = new Progress("generate", "examples", total, done::value,
                sb.getInt("spark.progress-interval"))) {
            jsc.setJobGroup("generate", "write dataset parts", false);
            jsc.parallelize(parts, parts.size()).foreach(part -> writePart(root, hadoop, part, done));
            jsc.clearJobGroup();
        }
    }

    /** Runs on an executor: regenerates the grammar from its spec and writes one part file. */
    static void writePart(String root, HadoopConf hadoop, Part part, LongAccumulator done) throws IOException {
        DatasetStore store = new DatasetStore(root, hadoop.get());
        ExampleGenerator gen = new ExampleGenerator(grammar(part.dataset()), part.dataset().task(),
                part.dataset().data());
        store.writePart(gen, part.dataset(), part.split(), part.part(), part.from(), part.to());
        done.add(part.to() - part.from());
    }

    private static final Map<String, Grammar> GRAMMARS = new ConcurrentHashMap<>();

    /** Grammars are deterministic in their spec; each executor JVM draws each one once. */
    static Grammar grammar(DatasetSpec ds) {
        return GRAMMARS.computeIfAbsent(ds.grammarKey(), k -> Grammar.generate(ds.grammar()));
    }

    private void writeGrammar(DatasetSpec ds) throws IOException {
        Path dir = store.grammarDir(ds);
        if (store.isComplete(dir)) {
            return;
        }
        Grammar g = grammar(ds);
        Path file = new Path(dir, "grammar.parquet");
        file.getFileSystem(store.hadoopConf()).delete(file, false);
        GrammarParquet.write(g, file, store.hadoopConf());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("grammar", ds.describe().get("grammar"));
        m.put("states", g.numStates());
        m.put("mean-out-degree", g.meanOutDegree());
        m.put("tries", g.tries());
        m.put("code-version", org.selectivbench.data.CodeVersion.get());
        store.writeManifest(dir, m);
    }

    /** Test splits carry their reference accuracies (SPEC section 4), computed from the same examples. */
    private static Map<String, Object> manifestExtras(DatasetSpec ds, DatasetSpec.SplitSpec split) {
        Map<String, Object> extra = new LinkedHashMap<>();
        if (split.split() == Split.TEST) {
            Grammar g = grammar(ds);
            ExampleGenerator gen = new ExampleGenerator(g, ds.task(), ds.data());
            List<TaskExample> examples = new ArrayList<>();
            for (long i = 0; i < ds.data().testExamples(); i++) {
                examples.add(gen.example(Split.TEST, i, split.delay()));
            }
            ReferenceAccuracies r = ReferenceAccuracies.of(g, examples);
            Map<String, Object> refs = new LinkedHashMap<>();
            refs.put("chance", r.chance());
            refs.put("symbol-only", r.symbolOnly());
            refs.put("oracle", r.oracle());
            refs.put("elements", r.elements());
            extra.put("references", refs);
        }
        extra.put("gap-steps", split.split() == Split.TEST ? ds.task().gapSteps(split.delay()) : -1);
        extra.put("gap", ds.task().gap() == TaskSpec.GapKind.ZERO ? "zero" : "ungrammatical");
        return extra;
    }
}
