package dev.graft.trainer.training;

import dev.graft.trainer.dataset.LabeledImages;

/**
 * What the recipe tells while it runs (the data once read, each phase's start and end, every epoch),
 * and what it asks: whether to stop, before every batch.
 */
@FunctionalInterface
public interface RecipeListener {
    void epoch(EpochResult epoch);

    default void dataset(LabeledImages train, LabeledImages validation) {
    }

    /** A phase begins: "features" (the frozen base's one pass, when cached), then each training phase. */
    default void phaseStarted(String phase) {
    }

    default void phaseEnded(String phase, double seconds) {
    }

    /** True once the request is cancelled: the recipe then throws {@link TrainingCancelledException}. */
    default boolean cancelled() {
        return false;
    }

    /**
     * True once the trainer is shutting down: the recipe finishes the epoch under way only when it
     * ends within {@link StopCheck#STOP_GRACE}, keeps a checkpoint at that epoch's end, and
     * throws {@link TrainingStoppedException}; the request is then released for another trainer.
     */
    default boolean stopping() {
        return false;
    }
}
