package dev.graft.inference.versions;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Where one version of a model is in its life here. The usual path is discovered -> loading -> ready ->
 * serving -> ready (replaced, kept for rollback); under the live gate, ready -> shadow -> serving, or back to ready
 * when held back -> draining (unloaded, its last requests finishing) ->
 * retired; a load ends in failed instead of ready, and a failure for a passing reason goes back to
 * discovered for its next attempt. Any other move is a bug and throws.
 */
public enum VersionState {
    /** Known from the store or an event, not in memory. */
    DISCOVERED,
    /** Being read, verified and warmed. */
    LOADING,
    /** In memory and warmed: serves requests that name it, and can swap in without a load. */
    READY,
    /** Answers a share of the requests the serving version answers, beside it; its answers are logged, never returned. */
    SHADOW,
    /** Answers requests that name no version. */
    SERVING,
    /** Unloaded; requests that hold it finish before its memory is freed. */
    DRAINING,
    /** Out of memory: least recently used beyond keep-versions, or removed from the store. */
    RETIRED,
    /** Its load failed; the reason and the attempts say whether and when it is tried again. */
    FAILED;

    private Set<VersionState> next() {
        return switch (this) {
            case DISCOVERED -> EnumSet.of(LOADING, RETIRED, FAILED);   // failed: its manifest could not be read
            case LOADING -> EnumSet.of(READY, FAILED);
            case READY -> EnumSet.of(SERVING, SHADOW, DRAINING);
            case SHADOW -> EnumSet.of(SERVING, READY, DRAINING);
            case SERVING -> EnumSet.of(READY, DRAINING);
            case DRAINING -> EnumSet.of(RETIRED, LOADING);
            case RETIRED -> EnumSet.of(LOADING, DISCOVERED);
            case FAILED -> EnumSet.of(DISCOVERED, RETIRED);
        };
    }

    public boolean canMoveTo(VersionState next) {
        return next().contains(next);
    }

    /** In memory: a request can take it without a load. */
    public boolean loaded() {
        return this == READY || this == SHADOW || this == SERVING;
    }

    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
