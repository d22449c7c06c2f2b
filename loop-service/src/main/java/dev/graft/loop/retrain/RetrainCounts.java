package dev.graft.loop.retrain;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Retrainings the loop started, in {@code graft_retrain_requests_total{model, reason}} (examples, accuracy,
 * mae), and those it could not, in {@code graft_retrain_skipped_total{model, outcome}} (no_images: none of
 * the examples has a kept image; failed: the store refused the CSV, tried again on the next example or sweep).
 * Counted as processed: a transaction processed again counts twice (the requests themselves are exactly once).
 */
@ApplicationScoped
public class RetrainCounts {
    private final MeterRegistry registry;

    public RetrainCounts(MeterRegistry registry) {
        this.registry = registry;
    }

    void sent(String model, String reason) {
        registry.counter("graft_retrain_requests", "model", model, "reason", reason).increment();
    }

    void skipped(String model, String outcome) {
        registry.counter("graft_retrain_skipped", "model", model, "outcome", outcome).increment();
    }
}
