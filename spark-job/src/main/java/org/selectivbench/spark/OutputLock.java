package org.selectivbench.spark;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.selectivbench.data.HadoopFiles;

/**
 * One writer per output root: {@code OUTPUT_ROOT/_LOCK.json}, created with overwrite off (an atomic
 * create on HDFS and locally), names the process that holds it. A second sweep, generate or train
 * on the same root is refused with a message naming the holder. The holder touches the file every
 * {@link #HEARTBEAT_SECONDS}; a lock whose process is gone (same host) or whose heartbeat stopped
 * for {@link #STALE_SECONDS} (a killed driver on another host) is taken over.
 */
final class OutputLock implements AutoCloseable {
    static final String FILE = "_LOCK.json";
    static final long HEARTBEAT_SECONDS = 30;
    static final long STALE_SECONDS = 600;

    /** Another live process holds the root; the command ends with its own exit status. */
    static final class Held extends IllegalStateException {
        Held(String message) {
            super(message);
        }
    }

    private final FileSystem fs;
    private final Path file;
    private final String token;
    private final ScheduledExecutorService heartbeat;
    private volatile boolean released;

    private OutputLock(FileSystem fs, Path file, String token) {
        this.fs = fs;
        this.file = file;
        this.token = token;
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "selectivbench-lock-heartbeat");
            t.setDaemon(true);
            return t;
        });
        heartbeat.scheduleAtFixedRate(this::touch, HEARTBEAT_SECONDS, HEARTBEAT_SECONDS, TimeUnit.SECONDS);
    }

    /** Takes the lock of {@code root} for {@code what} (e.g. "sweep 2026-01-02-ab12"), or fails naming the holder. */
    static OutputLock acquire(String root, Configuration conf, String what) throws IOException {
        Path file = new Path(new Path(root), FILE);
        FileSystem fs = file.getFileSystem(conf);
        String token = UUID.randomUUID().toString();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("holder", what);
        m.put("host", host());
        m.put("pid", ProcessHandle.current().pid());
        m.put("process-start", ProcessHandle.current().info().startInstant().map(Instant::toString).orElse(""));
        m.put("since", Instant.now().toString());
        m.put("token", token);
        byte[] content = ConfigFactory.parseMap(m).root().render(ConfigRenderOptions.concise().setFormatted(true))
                .getBytes(StandardCharsets.UTF_8);
        for (int attempt = 0; attempt < 2; attempt++) {
            if (HadoopFiles.createNew(fs, file, content)) {
                return new OutputLock(fs, file, token);
            }
            Optional<Config> holder = read(fs, file);
            if (holder.isEmpty()) {
                continue; // released meanwhile
            }
            String stale = staleness(fs, file, holder.get());
            if (stale == null) {
                Config h = holder.get();
                throw new Held("output root " + root + " is in use by " + h.getString("holder") + " (pid "
                        + h.getLong("pid") + " on " + h.getString("host") + ", since " + h.getString("since")
                        + "); wait for it to end. If it is not running any more, delete " + file);
            }
            System.out.println("taking over the lock of " + root + ": its holder " + holder.get().getString("holder")
                    + " " + stale);
            fs.delete(file, false);
        }
        throw new Held("could not take the lock " + file + ": another process keeps taking it");
    }

    /** Null when the holder is alive; else why it is not. */
    private static String staleness(FileSystem fs, Path file, Config holder) throws IOException {
        if (holder.getString("host").equals(host())) {
            Optional<ProcessHandle> p = ProcessHandle.of(holder.getLong("pid"));
            String started = p.flatMap(h -> h.info().startInstant()).map(Instant::toString).orElse("");
            if (p.isEmpty() || !p.get().isAlive() || !started.equals(holder.getString("process-start"))) {
                return "(pid " + holder.getLong("pid") + " on this host) is no longer running";
            }
            return null;
        }
        FileStatus st = fs.getFileStatus(file);
        long silent = (System.currentTimeMillis() - st.getModificationTime()) / 1000;
        return silent > STALE_SECONDS ? "has not renewed it for " + silent + " s" : null;
    }

    private static Optional<Config> read(FileSystem fs, Path file) throws IOException {
        try (InputStream in = fs.open(file)) {
            return Optional.of(ConfigFactory.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        } catch (java.io.FileNotFoundException e) {
            return Optional.empty();
        } catch (com.typesafe.config.ConfigException e) {
            // a holder killed while writing its lock: an empty or partial file that names no live process
            return Optional.of(ConfigFactory.parseMap(Map.of("holder", "an unknown process", "host", host(), "pid",
                    -1L, "since", "?", "process-start", "")));
        }
    }

    private void touch() {
        try {
            fs.setTimes(file, System.currentTimeMillis(), -1);
        } catch (IOException | RuntimeException e) {
            System.out.println("could not renew the lock " + file + ": " + e.getMessage());
        }
    }

    /** Releases the lock if this process still holds it. */
    @Override
    public synchronized void close() {
        if (released) {
            return;
        }
        released = true;
        heartbeat.shutdownNow();
        try {
            Optional<Config> holder = read(fs, file);
            if (holder.isPresent() && holder.get().hasPath("token") && token.equals(holder.get().getString("token"))) {
                fs.delete(file, false);
            }
        } catch (IOException | RuntimeException e) {
            System.out.println("could not release the lock " + file + ": " + e.getMessage());
        }
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown-host";
        }
    }
}
