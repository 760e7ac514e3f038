package org.selectivbench.data;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetWriter;

/**
 * Where datasets live under the output root, and how a split becomes complete:
 *
 * <pre>
 * ROOT/grammars/GRAMMAR_KEY/grammar.parquet, _MANIFEST.json
 * ROOT/datasets/DATASET_KEY/split=NAME/part-NNNNN.parquet, _MANIFEST.json
 * ROOT/datasets/DATASET_KEY/_staging/NAME/part-NNNNN.parquet   (while being written)
 * </pre>
 *
 * Parts are written to the staging folder (each under a temporary name of its own attempt, renamed
 * when whole), moved into place, and the manifest is written last, only when the parts hold exactly
 * the rows it states: a split is complete exactly when its manifest exists, so a half-written or
 * short split is never mistaken for a complete one. A complete split is never replaced. Paths are
 * Hadoop paths (file:, hdfs:, s3a:), so executors on a cluster can share the root.
 */
public final class DatasetStore {
    public static final String MANIFEST = "_MANIFEST.json";

    private final Path root;
    private final Configuration conf;

    public DatasetStore(String root, Configuration conf) {
        this.root = new Path(root);
        this.conf = conf;
    }

    public Path root() {
        return root;
    }

    public Path splitDir(DatasetSpec ds, String split) {
        return new Path(datasetDir(ds), "split=" + split);
    }

    public Path datasetDir(DatasetSpec ds) {
        return new Path(new Path(root, "datasets"), ds.key());
    }

    public Path stagingDir(DatasetSpec ds, String split) {
        return new Path(new Path(datasetDir(ds), "_staging"), split);
    }

    public Path grammarDir(DatasetSpec ds) {
        return new Path(new Path(root, "grammars"), ds.grammarKey());
    }

    public static String partName(int part) {
        return String.format("part-%05d.parquet", part);
    }

    public boolean isComplete(Path dir) {
        try {
            return fs(dir).exists(new Path(dir, MANIFEST));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes one part of a split into staging: the examples [from, to) in index order. */
    public void writePart(ExampleGenerator gen, DatasetSpec ds, DatasetSpec.SplitSpec split, int part, long from,
                          long to) throws IOException {
        Path file = new Path(stagingDir(ds, split.name()), partName(part));
        Path tmp = HadoopFiles.temporary(file);
        try {
            try (ParquetWriter<TaskExample> w = ExampleParquet.writer(tmp, conf)) {
                for (long i = from; i < to; i++) {
                    w.write(gen.example(split.split(), i, split.delay()));
                }
            }
            HadoopFiles.replace(fs(file), tmp, file); // a retried task replaces its own earlier attempt
        } finally {
            fs(tmp).delete(tmp, false);
        }
    }

    /** Rows in a Parquet file, from its footer. */
    public long rows(Path file) throws IOException {
        try (org.apache.parquet.hadoop.ParquetFileReader r = org.apache.parquet.hadoop.ParquetFileReader.open(
                org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(file, conf))) {
            return r.getRecordCount();
        }
    }

    /**
     * What is wrong with a complete split, or null: a part missing, unreadable, or the parts' rows not
     * the manifest's. Reads the footers only, so a resume checks every split cheaply.
     */
    public String damage(Path splitDir) {
        try {
            Config manifest = readManifest(splitDir);
            long rows = 0;
            for (Path p : parts(splitDir)) {
                rows += rows(p);
            }
            return rows == manifest.getLong("rows") ? null : "its parts hold " + rows + " rows, its manifest says "
                    + manifest.getLong("rows");
        } catch (IOException | RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    /** Moves a damaged split out of the way, to {@code DATASET/_quarantine/}, and returns where it went. */
    public Path quarantine(Path splitDir) throws IOException {
        return HadoopFiles.quarantine(fs(splitDir), splitDir, new Path(splitDir.getParent(), "_quarantine"));
    }

    /** Clears what a previous, interrupted attempt left of a split, so it is regenerated whole. */
    public void clearIncomplete(DatasetSpec ds, String split) throws IOException {
        Path dir = splitDir(ds, split);
        fs(dir).delete(dir, true);
        Path staging = stagingDir(ds, split);
        fs(staging).delete(staging, true);
    }

    /**
     * Moves the staged parts into place and writes the manifest. {@code parts} is how many part
     * files must be there, holding the split's rows between them; a missing part or a short one is an
     * error, not a silently short dataset. A split that is complete already (committed by another
     * writer meanwhile) is kept, and this one's staging dropped.
     */
    public void commit(DatasetSpec ds, DatasetSpec.SplitSpec split, int parts, Map<String, Object> extra)
            throws IOException {
        Path staging = stagingDir(ds, split.name());
        FileSystem fs = fs(staging);
        Path dir = splitDir(ds, split.name());
        if (isComplete(dir)) {
            fs.delete(staging, true);
            return;
        }
        long expected = ds.data().examples(split.split());
        long rows = 0;
        for (int p = 0; p < parts; p++) {
            Path part = new Path(staging, partName(p));
            if (!fs.exists(part)) {
                throw new IOException("cannot commit " + dir + ": part " + partName(p) + " is missing from " + staging);
            }
            rows += rows(part);
        }
        if (rows != expected) {
            throw new IOException("cannot commit " + dir + ": its " + parts + " parts hold " + rows + " rows, the split"
                    + " has " + expected);
        }
        fs.delete(dir, true);
        fs.mkdirs(dir.getParent());
        if (!fs.rename(staging, dir)) {
            throw new IOException("could not move " + staging + " to " + dir);
        }
        Path stagingRoot = staging.getParent();
        if (fs.listStatus(stagingRoot).length == 0) {
            fs.delete(stagingRoot, false);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", DatasetSpec.FORMAT_VERSION);
        m.put("dataset", ds.key());
        m.put("split", split.name());
        m.put("kind", split.split().name().toLowerCase());
        m.put("delay", split.delay());
        m.put("rows", ds.data().examples(split.split()));
        m.put("parts", parts);
        m.put("noise", ds.task().noise());
        m.put("vocab", ds.grammar().vocab());
        m.put("classes", ds.grammar().numStates());
        m.put("spec", ds.describe());
        m.put("code-version", CodeVersion.get());
        m.putAll(extra);
        writeManifest(dir, m);
    }

    public void writeManifest(Path dir, Map<String, Object> manifest) throws IOException {
        String json = ConfigFactory.parseMap(manifest).root().render(ConfigRenderOptions.concise().setFormatted(true));
        Path file = new Path(dir, MANIFEST);
        Path tmp = HadoopFiles.temporary(file);
        try {
            try (OutputStream out = fs(dir).create(tmp, true)) {
                out.write(json.getBytes(StandardCharsets.UTF_8));
            }
            HadoopFiles.replace(fs(dir), tmp, file); // a resumed sweep rewrites its manifest
        } finally {
            fs(dir).delete(tmp, false);
        }
    }

    public Config readManifest(Path dir) {
        Path file = new Path(dir, MANIFEST);
        try (InputStream in = fs(file).open(file)) {
            return ConfigFactory.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (java.io.FileNotFoundException e) {
            throw new IllegalStateException("dataset split " + dir + " is incomplete (no " + MANIFEST
                    + "); run 'selectivbench generate' for its config");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Part files of a complete split, in part order. */
    public List<Path> parts(Path splitDir) throws IOException {
        Config manifest = readManifest(splitDir);
        FileStatus[] files = fs(splitDir).globStatus(new Path(splitDir, "part-*.parquet"));
        List<Path> out = new ArrayList<>();
        for (FileStatus f : files) {
            out.add(f.getPath());
        }
        out.sort((a, b) -> a.getName().compareTo(b.getName()));
        if (out.size() != manifest.getInt("parts")) {
            throw new IllegalStateException(splitDir + " holds " + out.size() + " part files but its manifest says "
                    + manifest.getInt("parts") + "; delete the split and rerun 'selectivbench generate'");
        }
        return out;
    }

    public Configuration hadoopConf() {
        return conf;
    }

    FileSystem fs(Path p) throws IOException {
        return p.getFileSystem(conf);
    }
}
