package dev.graft.inference.predict;

/**
 * A request that failed after a version was chosen to serve it: the failure, and that version, which
 * the answer names as a successful one does (and the metrics label it with).
 */
public class ServedFailure extends RuntimeException {
    private final int version;

    ServedFailure(int version, RuntimeException cause) {
        super(cause.getMessage(), cause, false, false);
        this.version = version;
    }

    public int version() {
        return version;
    }

    @Override
    public synchronized RuntimeException getCause() {
        return (RuntimeException) super.getCause();
    }
}
