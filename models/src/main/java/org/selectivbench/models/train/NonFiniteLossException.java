package org.selectivbench.models.train;

/** Training stopped because the loss or the gradient norm became NaN or infinite. */
public final class NonFiniteLossException extends RuntimeException {
    private final long update;

    public NonFiniteLossException(long update, String what, double value) {
        super("training diverged at update " + update + ": " + what + " is " + value);
        this.update = update;
    }

    public long update() {
        return update;
    }
}
