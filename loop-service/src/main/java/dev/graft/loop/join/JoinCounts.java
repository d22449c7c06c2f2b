package dev.graft.loop.join;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * What became of each feedback record, in {@code graft_feedback_joined_total{model, outcome}}: joined
 * (a first answer for its prediction), replaced (a later answer, which counts instead), superseded (an
 * answer a newer one replaced before it joined, or that came after a newer one), late (more than the
 * window after its prediction), unmatched (its prediction never came within the window and grace),
 * invalid (to the dead-letter topic; under the model of the prediction it names, else {@code _unknown}, so
 * that records produced straight onto the topic cannot make up label values). Predictions the join could not use:
 * {@code graft_predictions_unreadable_total}. Counted as processed: a transaction aborted and processed
 * again counts twice (the records themselves are exactly once).
 */
@ApplicationScoped
public class JoinCounts {
    /** Not a model name: those start with a letter or digit. */
    static final String UNKNOWN_MODEL = "_unknown";

    private final MeterRegistry registry;

    public JoinCounts(MeterRegistry registry) {
        this.registry = registry;
    }

    void feedback(String model, String outcome) {
        registry.counter("graft_feedback_joined", "model", model == null ? UNKNOWN_MODEL : model, "outcome", outcome).increment();
    }

    void unreadablePrediction() {
        registry.counter("graft_predictions_unreadable").increment();
    }
}
