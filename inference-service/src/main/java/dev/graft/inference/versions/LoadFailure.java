package dev.graft.inference.versions;

import dev.graft.inference.config.ServingSettings;
import dev.graft.store.ModelStoreException;
import dev.graft.store.StorageUnavailableException;

import java.time.Duration;

/**
 * What a failed load (or manifest read) means for its version: whether it is tried again and after
 * how long, or why it is not. Pure, so the retry rule is read in one place.
 *
 * @param attempt       this failure's number since the version was last discovered or announced
 * @param retryAfter    the pause before the next attempt; null when none is made
 * @param ofStoredBytes what the store holds for the version is unusable (see {@link #ofStoredBytes(Throwable)})
 */
record LoadFailure(String reason, int attempt, Duration retryAfter, boolean ofStoredBytes) {

    static LoadFailure of(RuntimeException cause, int attempt, ServingSettings.LoadRetries retries) {
        boolean passing = passing(cause);
        if (passing && attempt < retries.maxAttempts()) {
            return new LoadFailure(cause.getMessage(), attempt, retries.backoff(attempt), false);
        }
        String reason = cause.getMessage() + (passing
                ? " (gave up after " + attempt + " attempts; announce the version again or restart)" : "");
        return new LoadFailure(reason, attempt, null, !passing && ofStoredBytes(cause));
    }

    /**
     * The store's answer, or the bytes it gave, are unusable (a manifest, size or checksum the store refuses, a
     * zip that does not open or restore): what it holds for the version, which announcing it again cannot change.
     * Other failures (a warm-up, native memory) may pass.
     */
    private static boolean ofStoredBytes(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ModelStoreException || t instanceof java.io.IOException) {
                return true;
            }
        }
        return false;
    }

    /** Storage that could not be read for a while: worth trying again. A bad checksum or manifest is not. */
    private static boolean passing(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof StorageUnavailableException) {
                return true;
            }
        }
        return false;
    }
}
