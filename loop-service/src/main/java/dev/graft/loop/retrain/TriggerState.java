package dev.graft.loop.retrain;

/**
 * One model's retraining state, kept in a changelogged store so that a restart neither forgets a count nor
 * sends a request twice.
 *
 * @param sequence        retrainings sent so far (the last request's id ends with it)
 * @param newExamples     examples labelled since the last retraining
 * @param latestVersion   the newest version an example was answered by: the one serving
 * @param triggeredVersion the newest version when the last retraining was sent: live figures of it or older never trigger again
 */
record TriggerState(int sequence, int newExamples, int latestVersion, int triggeredVersion) {
    static final TriggerState NONE = new TriggerState(0, 0, 0, 0);

    TriggerState counted(int version) {
        return new TriggerState(sequence, newExamples + 1, Math.max(latestVersion, version), triggeredVersion);
    }

    TriggerState sent(int sent) {
        return new TriggerState(sent, 0, latestVersion, latestVersion);
    }
}
