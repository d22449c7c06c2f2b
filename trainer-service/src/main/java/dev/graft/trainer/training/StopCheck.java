package dev.graft.trainer.training;

import java.time.Duration;

/** Asked before every batch: a cancelled request ends at once; at shutdown, the epoch under way only ends if it ends soon. */
final class StopCheck {
    /** At shutdown the epoch under way is finished and kept when it should end within this (Kubernetes waits 30 s by default). */
    static final Duration STOP_GRACE = Duration.ofSeconds(20);

    private final RecipeListener listener;

    StopCheck(RecipeListener listener) {
        this.listener = listener;
    }

    void ifCancelled(String phase, int epoch) {
        if (listener.cancelled()) {
            throw new TrainingCancelledException("cancelled in the " + phase + " phase"
                    + (epoch > 0 ? ", epoch " + epoch : "") + "; nothing was stored");
        }
    }

    /**
     * Before a batch of {@code epoch}, which began {@code epochSeconds} ago: {@code meanEpochSeconds} is
     * this run's mean epoch, NaN before the first ended (which compares false: it stops at once).
     */
    void beforeBatch(String phase, int epoch, double meanEpochSeconds, double epochSeconds) {
        ifCancelled(phase, epoch);
        if (listener.stopping() && !(meanEpochSeconds - epochSeconds < STOP_GRACE.toSeconds())) {
            throw new TrainingStoppedException("the trainer stopped in the " + phase + " phase, during epoch "
                    + epoch + ", which would not end within " + STOP_GRACE.toSeconds() + " s");
        }
    }

    /** After an epoch that is not the phase's last: it is kept as a checkpoint, and the training stops. */
    boolean stopping() {
        return listener.stopping();
    }
}
