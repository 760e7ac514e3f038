package org.selectivbench.data;

import java.io.IOException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.DistributedFileSystem;

/**
 * Commits of finished files onto their final names, on every Hadoop file system we write to.
 *
 * <p>A plain {@code rename} onto an existing file behaves differently per file system: the local
 * one replaces it, HDFS refuses (returns false), S3A refuses too. HDFS has an atomic replacing
 * rename; elsewhere the old file is deleted first, so a crash in between leaves no file rather
 * than a half-written one, and readers treat a missing file as "not done".
 */
public final class HadoopFiles {
    private HadoopFiles() {
    }

    /** Moves {@code tmp} onto {@code target}, replacing it. */
    public static void replace(FileSystem fs, Path tmp, Path target) throws IOException {
        if (fs instanceof DistributedFileSystem dfs) {
            dfs.rename(tmp, target, Options.Rename.OVERWRITE);
            return;
        }
        if (fs.rename(tmp, target)) {
            return;
        }
        fs.delete(target, false);
        if (!fs.rename(tmp, target)) {
            throw new IOException("could not move " + tmp + " to " + target);
        }
    }
}
