package dev.graft.store;

/** Storage could not be reached or answered with a server error: worth trying again later. */
public class StorageUnavailableException extends ModelStoreException {
    public StorageUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
