package dev.graft.inference.versions;

import dev.graft.contract.events.ShadowComparison;
import dev.graft.contract.manifest.ModelManifest;

import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One version's life here, as TF Serving's {@code LoaderHarness}: its state, why it is there, its
 * failed attempts and the next one, behind named transitions. A transition the state machine does
 * not have throws, so a bug shows where it happens rather than as a wrong state later. Not thread
 * safe: its model's {@link ModelVersions} calls it under its lock.
 */
final class VersionHarness {
    static final String NOT_IN_STORE = "not in the store";
    static final String REMOVED_BUT_SERVING = "removed from the store; serves until another version replaces it";

    private final int version;
    /** Hears every state this version enters (the state metric). */
    private final Consumer<VersionState> entered;
    private VersionState state = VersionState.DISCOVERED;
    /** Why it is failed or retired (or serves though removed); null otherwise. */
    private String reason;
    /** Why the promotion rule holds it back; null until it does. */
    private String heldBack;
    /** Failed attempts since it was last discovered or announced. */
    private int failedAttempts;
    /** When a failure for a passing reason is tried again; null when no attempt is planned. */
    private Instant nextAttempt;
    /**
     * Failed on what the store lists for it (its manifest or artifact), not on reaching the store: announcing
     * it again cannot change that, so an announcement does not start it again (a version announced before
     * the store listed it, or one that gave up while storage was away, does start again).
     */
    private boolean lasting;
    /** Listed in the store at the last look (an announced version may not be there yet). */
    private boolean inStore;
    /** Read when the promotion rule needs it or when loaded. */
    private ModelManifest manifest;

    VersionHarness(int version, boolean inStore, Consumer<VersionState> entered) {
        this.version = version;
        this.inStore = inStore;
        this.entered = entered;
        entered.accept(state);
    }

    int version() {
        return version;
    }

    VersionState state() {
        return state;
    }

    boolean inStore() {
        return inStore;
    }

    int failedAttempts() {
        return failedAttempts;
    }

    /** Why it failed and when it is tried again, if it is failed. */
    Optional<String> failure() {
        if (state != VersionState.FAILED) {
            return Optional.empty();
        }
        return Optional.of(reason + (nextAttempt != null ? "; tried again at " + nextAttempt : ""));
    }

    /** Announced again: a failure that announcing can mend gets a fresh start. */
    void announced(boolean listed) {
        inStore = listed;
        if (state == VersionState.FAILED && !lasting) {
            restart();
        }
    }

    /** Listed in the store after it was not: a new start, since the number may belong to another version now. */
    void storedAgain() {
        if (inStore) {
            return;
        }
        inStore = true;
        manifest = null;
        if (state == VersionState.RETIRED) {
            moveTo(VersionState.DISCOVERED, null);
        } else if (state == VersionState.FAILED) {
            restart();
        }
    }

    /** No longer listed in the store; {@code servesOn}: it serves or is pinned, and goes on serving. */
    void leftStore(boolean servesOn) {
        inStore = false;
        if (servesOn) {
            reason = REMOVED_BUT_SERVING;
        }
    }

    private void restart() {
        failedAttempts = 0;
        nextAttempt = null;
        lasting = false;
        moveTo(VersionState.DISCOVERED, null);
    }

    void manifestRead(ModelManifest read) {
        manifest = read;
    }

    /** The promotion rule holds it back for {@code why}. */
    void holdBack(String why) {
        heldBack = why;
    }

    void startLoading() {
        if (state == VersionState.FAILED) {
            moveTo(VersionState.DISCOVERED, null);   // a request asked for it again as it failed
        }
        moveTo(VersionState.LOADING, null);
    }

    void loaded(ModelManifest loaded) {
        manifest = loaded;
        failedAttempts = 0;
        moveTo(VersionState.READY, null);
    }

    /**
     * A load or manifest read failed; {@code next} is when it is tried again, null for never;
     * {@code ofStoredBytes}: what the store holds for it is unusable, rather than the store unreachable or
     * the load failing for a reason of its own.
     */
    void failed(String why, Instant next, boolean ofStoredBytes) {
        moveTo(VersionState.FAILED, why);
        failedAttempts++;
        lasting = ofStoredBytes && inStore;
        nextAttempt = next;
    }

    boolean attemptPlanned() {
        return nextAttempt != null;
    }

    /** Its planned attempt is due: a candidate again, its failed attempts still counted. */
    void attemptDue() {
        if (nextAttempt == null) {
            throw new IllegalStateException("version " + version + " has no attempt planned");
        }
        moveTo(VersionState.DISCOVERED, null);
        nextAttempt = null;
    }

    /** Answers requests that name no version from now on. */
    void serve() {
        moveTo(VersionState.SERVING, null);
        heldBack = null;
    }

    /** Answers a share of live requests beside the serving version, for the live gate; an old note no longer holds. */
    void shadow() {
        moveTo(VersionState.SHADOW, null);
        heldBack = null;
    }

    /** Out of shadow, still in memory. */
    void unshadow() {
        moveTo(VersionState.READY, null);
    }

    /** Another version serves instead; this one stays in memory for a rollback. */
    void replaced() {
        moveTo(VersionState.READY, null);
    }

    /** Taken out of memory; its last requests finish before it is freed. */
    void unloaded(String why) {
        moveTo(VersionState.DRAINING, why);
    }

    /** The last request of an unloaded instance ended; of an older instance (loaded again since), nothing. */
    void freed() {
        if (state == VersionState.DRAINING) {
            moveTo(VersionState.RETIRED, reason);
        }
    }

    /** Gone from the store and not in memory: no longer a candidate, no attempt planned. */
    void retire() {
        moveTo(VersionState.RETIRED, NOT_IN_STORE);
        nextAttempt = null;
    }

    /** @throws IllegalStateException for a move the state machine does not have */
    private void moveTo(VersionState next, String why) {
        if (!state.canMoveTo(next)) {
            throw new IllegalStateException("version " + version + " cannot go from " + state.jsonName() + " to "
                    + next.jsonName());
        }
        state = next;
        reason = why;
        entered.accept(next);
    }

    /** @param live how it compares with the serving version on live feedback; null when not compared */
    ServingPolicy.Version view(ShadowComparison.Pair live) {
        return new ServingPolicy.Version(version, state, inStore, manifest, heldBack, nextAttempt, live);
    }

    ModelStatus.VersionStatus status(ShadowComparison.Pair live) {
        return new ModelStatus.VersionStatus(version, state.jsonName(), inStore, reason, heldBack,
                failedAttempts > 0 ? failedAttempts : null, nextAttempt, live == null ? null : ModelStatus.Live.of(live));
    }
}
