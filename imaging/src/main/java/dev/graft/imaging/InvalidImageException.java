package dev.graft.imaging;

/** Bad input: the bytes are not an image this system can read; the message says why, for a 4xx or a failed event. */
public class InvalidImageException extends IllegalArgumentException {

    /** What is wrong, so that a server can answer with the right status. */
    public enum Kind {
        /** no bytes at all */
        EMPTY,
        /** not an image, or a broken one */
        UNREADABLE,
        /** an image in a format that is not accepted */
        FORMAT_NOT_ALLOWED,
        /** its header announces more pixels than the limits allow; the pixels were never decoded */
        TOO_LARGE
    }

    private final Kind kind;

    public InvalidImageException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public InvalidImageException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
