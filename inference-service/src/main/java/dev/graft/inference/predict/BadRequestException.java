package dev.graft.inference.predict;

/** A request that cannot be served as sent (400); the message says what to change. */
public class BadRequestException extends RuntimeException {
    public BadRequestException(String message) {
        super(message);
    }
}
