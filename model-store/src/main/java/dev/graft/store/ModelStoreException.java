package dev.graft.store;

/** A model store operation failed: bad name, missing version, checksum mismatch, I/O error. */
public class ModelStoreException extends RuntimeException {
    public ModelStoreException(String message) {
        super(message);
    }

    public ModelStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
