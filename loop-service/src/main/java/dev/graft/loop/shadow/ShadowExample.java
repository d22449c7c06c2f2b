package dev.graft.loop.shadow;

import dev.graft.contract.events.LabelledExample;
import dev.graft.contract.events.PredictionRecord;
import dev.graft.contract.manifest.Task;

import java.time.Instant;
import java.util.Optional;

/**
 * One live example that a version in shadow answered too: the same image, the same feedback, both
 * versions' answers scored against it. Keyed by model between the join and {@link ShadowComparer}.
 *
 * @param servingError a regressor's distance from the true value (0 for a classifier); likewise candidateError
 */
public record ShadowExample(String predictionId, String model, int serving, int candidate, Task task, boolean servingRight,
                            boolean candidateRight, double servingError, double candidateError, Instant labelledAt) {

    /** The example with the shadow answer scored beside it; empty if the shadow answer does not fit the example's task. */
    public static Optional<ShadowExample> of(LabelledExample example, PredictionRecord shadow) {
        if (!shadow.model().equals(example.model()) || shadow.task() != example.task() || shadow.version() == example.version()) {
            return Optional.empty();
        }
        if (example.task() == Task.REGRESSION) {
            if (shadow.value() == null || example.value() == null || example.predictedValue() == null) {
                return Optional.empty();
            }
            return Optional.of(new ShadowExample(example.predictionId(), example.model(), example.version(), shadow.version(),
                    Task.REGRESSION, false, false, example.absoluteError(), Math.abs(shadow.value() - example.value()),
                    example.labelledAt()));
        }
        if (shadow.label() == null || example.label() == null) {
            return Optional.empty();
        }
        return Optional.of(new ShadowExample(example.predictionId(), example.model(), example.version(), shadow.version(),
                Task.CLASSIFICATION, example.correct(), example.label().equals(shadow.label()), 0, 0, example.labelledAt()));
    }

    /** Its key in the comparer's store: one per answer the caller got and candidate. */
    String id() {
        return predictionId + "|" + candidate;
    }
}
