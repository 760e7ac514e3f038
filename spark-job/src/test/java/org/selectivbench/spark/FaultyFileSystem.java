package org.selectivbench.spark;

import java.io.IOException;
import java.net.URI;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * A local file system under the scheme {@code faulty:} whose writes fail at random: creating a
 * file, renaming and making folders throw "injected fault" with probability {@link #failureRate}.
 * Found by Hadoop through META-INF/services, so any path {@code faulty:///tmp/x} reaches it from the
 * driver and from local executors alike. Reads never fail.
 */
public final class FaultyFileSystem extends RawLocalFileSystem {
    static volatile double failureRate;
    static final AtomicLong INJECTED = new AtomicLong();
    private static final Random RANDOM = new Random(11);

    @Override
    public String getScheme() {
        return "faulty";
    }

    @Override
    public URI getUri() {
        return URI.create("faulty:///");
    }

    @Override
    public void initialize(URI uri, org.apache.hadoop.conf.Configuration conf) throws IOException {
        super.initialize(uri, conf);
        setConf(conf);
    }

    private static void maybeFail(String what, Path p) throws IOException {
        boolean fail;
        synchronized (RANDOM) {
            fail = failureRate > 0 && RANDOM.nextDouble() < failureRate;
        }
        if (fail) {
            INJECTED.incrementAndGet();
            throw new IOException("injected fault: " + what + " " + p + " failed");
        }
    }

    @Override
    public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite, int bufferSize,
                                     short replication, long blockSize, Progressable progress) throws IOException {
        maybeFail("create", f);
        return super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
    }

    @Override
    public FSDataOutputStream create(Path f, boolean overwrite, int bufferSize, short replication, long blockSize,
                                     Progressable progress) throws IOException {
        maybeFail("create", f);
        return super.create(f, overwrite, bufferSize, replication, blockSize, progress);
    }

    @Override
    public boolean rename(Path src, Path dst) throws IOException {
        maybeFail("rename", src);
        return super.rename(src, dst);
    }

    @Override
    public boolean mkdirs(Path f, FsPermission permission) throws IOException {
        maybeFail("mkdirs", f);
        return super.mkdirs(f, permission);
    }
}
