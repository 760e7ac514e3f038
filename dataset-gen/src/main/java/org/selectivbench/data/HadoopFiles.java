package org.selectivbench.data;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.DistributedFileSystem;

/**
 * File operations that stay correct when writers race or die halfway, on every Hadoop file system
 * we write to: temporary names unique to one attempt, replacement of a finished file, creation that
 * fails when the file exists, and quarantine.
 */
public final class HadoopFiles {
    private HadoopFiles() {
    }

    /** A hidden temporary name beside {@code target}, unique to this attempt, so attempts never share one. */
    public static Path temporary(Path target) {
        return new Path(target.getParent(), "." + target.getName() + "." + UUID.randomUUID().toString().substring(0, 8)
                + ".tmp");
    }

    /**
     * Moves {@code tmp} onto {@code target}, replacing it. A plain {@code rename} onto an existing
     * file behaves differently per file system: the local one replaces it (in one step), HDFS and
     * S3A refuse. HDFS has an atomic replacing rename; elsewhere the old file is deleted first, so a
     * crash in between leaves no file rather than a half-written one, and readers treat a missing
     * file as "not done".
     */
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

    /**
     * Creates {@code file} holding {@code content} only when no such file exists; false when one
     * does. Atomic on HDFS (create without overwrite) and on a local file system (O_EXCL), where
     * Hadoop's own create checks and then creates.
     */
    public static boolean createNew(FileSystem fs, Path file, byte[] content) throws IOException {
        fs.mkdirs(file.getParent());
        if ("file".equals(fs.getScheme())) {
            try {
                java.nio.file.Files.write(java.nio.file.Path.of(fs.makeQualified(file).toUri()), content,
                        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                return true;
            } catch (FileAlreadyExistsException e) {
                return false;
            }
        }
        try (OutputStream out = fs.create(file, false)) {
            out.write(content);
            return true;
        } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            if (fs.exists(file)) { // HDFS reports an existing file as a RemoteException wrapping the above
                return false;
            }
            throw e;
        }
    }

    /**
     * Moves an unreadable file (or folder) out of the way into {@code quarantineDir}, keeping it for
     * a look, and returns where it went.
     */
    public static Path quarantine(FileSystem fs, Path file, Path quarantineDir) throws IOException {
        fs.mkdirs(quarantineDir);
        Path dest = new Path(quarantineDir, file.getName() + "." + System.currentTimeMillis());
        if (!fs.rename(file, dest)) {
            throw new IOException("could not quarantine " + file + " to " + dest);
        }
        Path crc = new Path(file.getParent(), "." + file.getName() + ".crc");
        if (fs.exists(crc)) {
            fs.delete(crc, false);
        }
        return dest;
    }
}
