package dev.graft.loop.retrain;

import java.time.Instant;

/**
 * One model's retraining state, kept in a changelogged store so that a restart neither forgets a count nor
 * sends a request twice.
 *
 * @param epoch            when this state began (base 36 milliseconds), in every request id: a loop whose state was
 *                         reset (a new application id, lost changelogs) never reuses an id the trainers have answered
 * @param sequence         retrainings sent so far (the last request's id ends with it)
 * @param newExamples      examples labelled since the last retraining
 * @param servingVersion   the version of the latest prediction an example has: the one serving
 * @param servingSince     that prediction's time
 * @param triggeredVersion the last version a retraining answered (its live figures, or the count while it served): its
 *                         live figures never trigger another
 */
record TriggerState(String epoch, int sequence, int newExamples, int servingVersion, Instant servingSince,
                    int triggeredVersion) {

    /** A state written before a field existed reads with its neutral value. */
    TriggerState {
        epoch = epoch == null ? "0" : epoch;
        servingSince = servingSince == null ? Instant.EPOCH : servingSince;
    }

    static TriggerState first(long nowMillis) {
        return new TriggerState(Long.toString(nowMillis, 36), 0, 0, 0, Instant.EPOCH, 0);
    }

    TriggerState counted(int version, Instant predictedAt) {
        boolean later = predictedAt != null && predictedAt.isAfter(servingSince);
        return new TriggerState(epoch, sequence, newExamples + 1, later ? version : servingVersion,
                later ? predictedAt : servingSince, triggeredVersion);
    }

    /** The next retraining's id part: EPOCH-SEQ. */
    String next() {
        return epoch + "-" + (sequence + 1);
    }

    /** A retraining sent (or skipped): the count starts again, and {@code triggered}'s figures are answered. */
    TriggerState sent(boolean counted, int triggered) {
        return new TriggerState(epoch, counted ? sequence + 1 : sequence, 0, servingVersion, servingSince,
                Math.max(triggeredVersion, triggered));
    }
}
