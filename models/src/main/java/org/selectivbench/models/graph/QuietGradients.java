package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * Creates a graph's gradient function without SameDiff M2.1's "Added differentiated op ..." line per
 * op on stdout (thousands per model). Only those lines are dropped: the driver of a local sweep
 * shares the JVM and prints its progress meanwhile (muting all of stdout lost some of those lines).
 */
final class QuietGradients {
    private static final String NOISE = "Added differentiated op";

    private QuietGradients() {
    }

    static void create(SameDiff sd) {
        synchronized (QuietGradients.class) {
            PrintStream out = System.out;
            System.setOut(new PrintStream(new LineFilter(out), true, StandardCharsets.UTF_8));
            try {
                sd.createGradFunction();
            } finally {
                System.out.flush();
                System.setOut(out);
            }
        }
    }

    /** Passes whole lines to {@code target} unless they are SameDiff's per-op noise. */
    static final class LineFilter extends OutputStream {
        private final PrintStream target;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        LineFilter(PrintStream target) {
            this.target = target;
        }

        @Override
        public synchronized void write(int b) {
            line.write(b);
            if (b == '\n') {
                emit();
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                write(b[i]);
            }
        }

        @Override
        public synchronized void flush() {
            if (line.size() > 0) {
                emit();
            }
            target.flush();
        }

        private void emit() {
            String s = line.toString(StandardCharsets.UTF_8);
            line.reset();
            if (!s.startsWith(NOISE)) {
                target.print(s);
            }
        }
    }
}
