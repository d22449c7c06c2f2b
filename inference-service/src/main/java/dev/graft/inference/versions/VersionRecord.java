package dev.graft.inference.versions;

import dev.graft.shared.manifest.ModelManifest;

import java.time.Instant;

/** What the manager knows of one version; read and written under its model's lock. */
final class VersionRecord {
    final int version;
    private VersionState state = VersionState.DISCOVERED;
    /** Why it is failed or retired; null otherwise. */
    String reason;
    /** Why the promotion rule holds it back; null when it does not. */
    String heldBack;
    /** Failed load attempts since it was last discovered or announced. */
    int failedAttempts;
    /** When a failure for a passing reason is tried again; null when no attempt is planned. */
    Instant nextAttempt;
    /**
     * Failed on what the store lists for it (its manifest or artifact), not on reaching the store: announcing
     * it again cannot change that, so an announcement does not start it again (a version announced before
     * the store listed it, or one that gave up while storage was away, does start again).
     */
    boolean lasting;
    /** Listed in the store at the last look (an announced version may not be there yet). */
    boolean inStore;
    /** Read when the promotion rule needs it or when loaded. */
    ModelManifest manifest;

    VersionRecord(int version, boolean inStore) {
        this.version = version;
        this.inStore = inStore;
    }

    VersionState state() {
        return state;
    }

    /** @throws IllegalStateException for a move the state machine does not have */
    void moveTo(VersionState next) {
        if (!state.canMoveTo(next)) {
            throw new IllegalStateException("version " + version + " cannot go from " + state.jsonName() + " to "
                    + next.jsonName());
        }
        state = next;
    }
}
