package dev.graft.shared.image;

/** Bad input: the bytes are not an image this system can read; the message says why, for a 4xx or a failed event. */
public class InvalidImageException extends IllegalArgumentException {
    public InvalidImageException(String message) {
        super(message);
    }

    public InvalidImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
