package org.selectivbench.spark;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Prints a progress line every few seconds while a Spark job runs: count, percentage, rate and an
 * estimate of the time left. Lines, not a redrawn bar, because output usually goes to a log.
 */
final class Progress implements AutoCloseable {
    private final String what;
    private final String unit;
    private final long total;
    private final LongSupplier done;
    private final long started = System.nanoTime();
    private final ScheduledExecutorService timer;

    Progress(String what, String unit, long total, LongSupplier done, int intervalSeconds) {
        this.what = what;
        this.unit = unit;
        this.total = total;
        this.done = done;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "progress-" + what);
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(this::print, intervalSeconds, Math.max(1, intervalSeconds), TimeUnit.SECONDS);
    }

    void print() {
        System.out.println(line(done.getAsLong(), (System.nanoTime() - started) / 1e9));
    }

    String line(long n, double seconds) {
        double rate = seconds > 0 ? n / seconds : 0;
        String eta = rate > 0 ? duration((total - n) / rate) : "?";
        return String.format("%s: %,d / %,d %s (%.1f%%), %,.0f %s/s, %s elapsed, about %s left", what, n, total,
                unit, total == 0 ? 100.0 : 100.0 * n / total, rate, unit, duration(seconds), eta);
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format("%d:%02d", s / 60, s % 60);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        print();
    }
}
