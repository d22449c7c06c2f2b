package dev.graft.inference.versions;

/** A model or version that cannot serve a request; the message says why and what would. */
public class VersionUnavailableException extends RuntimeException {

    public enum Reason {
        /** no such model or version in the store: 404 */
        UNKNOWN,
        /** it exists but cannot be loaded (corrupt, failed warm-up): 409 */
        NOT_LOADABLE
    }

    private final Reason reason;

    public VersionUnavailableException(Reason reason, String message) {
        this(reason, message, null);
    }

    public VersionUnavailableException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
