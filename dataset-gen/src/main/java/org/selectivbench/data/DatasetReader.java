package org.selectivbench.data;

import com.typesafe.config.Config;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetReader;

/**
 * Streams a complete dataset split from Parquet on an executor, with the Parquet library alone
 * (no Spark session): examples in index order, grouped into minibatches and encoded.
 *
 * <p>Index order is a fine training order: every example is an independent draw.
 */
public final class DatasetReader implements Iterator<TaskExample>, Closeable {
    private final List<Path> parts;
    private final DatasetStore store;
    private final Config manifest;
    private int nextPart;
    private ParquetReader<TaskExample> current;
    private TaskExample pending;

    public DatasetReader(DatasetStore store, Path splitDir) throws IOException {
        this.store = store;
        this.manifest = store.readManifest(splitDir);
        this.parts = store.parts(splitDir);
    }

    /** The split's manifest: rows, vocab, classes, noise, references, the spec. */
    public Config manifest() {
        return manifest;
    }

    /** The encoder for this split: noise level and vocabulary come from the manifest. */
    public BatchEncoder encoder() {
        return new BatchEncoder(manifest.getInt("vocab"), manifest.getDouble("noise"));
    }

    @Override
    public boolean hasNext() {
        try {
            while (pending == null) {
                if (current != null) {
                    pending = current.read();
                    if (pending != null) {
                        break;
                    }
                    current.close();
                    current = null;
                }
                if (nextPart >= parts.size()) {
                    return false;
                }
                current = ExampleParquet.reader(parts.get(nextPart++), store.hadoopConf());
            }
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + parts.get(Math.max(0, nextPart - 1)), e);
        }
    }

    @Override
    public TaskExample next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        TaskExample ex = pending;
        pending = null;
        return ex;
    }

    /** Up to {@code size} next examples (fewer at the end; empty when done). */
    public List<TaskExample> nextBatch(int size) {
        List<TaskExample> out = new ArrayList<>(size);
        while (out.size() < size && hasNext()) {
            out.add(next());
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        if (current != null) {
            current.close();
            current = null;
        }
    }
}
