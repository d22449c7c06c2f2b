package dev.graft.trainer.training;

import dev.graft.trainer.dataset.LabeledImages;

/** What the recipe tells while it runs: the data once read, then every epoch. */
@FunctionalInterface
public interface TrainingListener {
    void epoch(EpochResult epoch);

    default void dataset(LabeledImages train, LabeledImages validation) {
    }
}
