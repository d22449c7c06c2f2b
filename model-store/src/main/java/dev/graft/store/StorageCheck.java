package dev.graft.store;

import java.time.Duration;
import java.util.Optional;

/**
 * Whether storage can be used, for a readiness check: asks at most once per {@code every}, so a
 * probe every second costs one request per interval, and keeps the last answer's reason.
 */
public final class StorageCheck {
    private final Runnable check;
    private final long everyNanos;
    private long checkedAt;
    private Optional<String> problem = Optional.of("not checked yet");

    public StorageCheck(Runnable check, Duration every) {
        this.check = check;
        this.everyNanos = every.toNanos();
        this.checkedAt = System.nanoTime() - everyNanos;
    }

    /** Empty when usable; else what is wrong, e.g. "the bucket 'x' does not exist". */
    public synchronized Optional<String> problem() {
        if (System.nanoTime() - checkedAt >= everyNanos) {
            try {
                check.run();
                problem = Optional.empty();
            } catch (RuntimeException e) {
                problem = Optional.of(e.getMessage() != null ? e.getMessage() : e.toString());
            }
            checkedAt = System.nanoTime();
        }
        return problem;
    }
}
