package org.selectivbench.models.ops;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads of the Java kernels: a run's cores split a loop over independent items (sequences,
 * heads) into one contiguous range per thread. Every item is computed by one thread from its own
 * inputs, so results do not depend on the thread count or schedule (training stays bit-identical);
 * sums over items are taken in item order by the caller. Idle workers sleep (a blocking queue),
 * they never spin, so a neighbour on a core costs this run only that core's share.
 */
public final class Parallel {
    private static volatile int threads = 1;
    /** Grows with demand (concurrent runs in one executor each bring their own ranges); idle threads park. */
    private static final ExecutorService POOL = Executors.newCachedThreadPool(new ThreadFactory() {
        private final AtomicInteger id = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread th = new Thread(r, "kernel-" + id.incrementAndGet());
            th.setDaemon(true);
            return th;
        }
    });

    private Parallel() {
    }

    /** Sets the number of threads the kernels use (the run's cores). */
    public static synchronized void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads = " + n + ": must be >= 1");
        }
        threads = n;
    }

    public static int threads() {
        return threads;
    }

    /** A range of items [from, to). */
    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    /** Runs {@code body} over [0, n) in contiguous ranges, one per thread, and waits for all. */
    public static void forRange(int n, Range body) {
        int t = Math.min(threads, n);
        if (t <= 1) {
            body.run(0, n);
            return;
        }
        Future<?>[] rest = new Future<?>[t - 1];
        for (int i = 1; i < t; i++) {
            int from = (int) ((long) n * i / t), to = (int) ((long) n * (i + 1) / t);
            rest[i - 1] = POOL.submit(() -> body.run(from, to));
        }
        body.run(0, (int) ((long) n / t));
        for (Future<?> f : rest) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable c = e.getCause();
                throw c instanceof RuntimeException r ? r : new IllegalStateException(c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }
}
