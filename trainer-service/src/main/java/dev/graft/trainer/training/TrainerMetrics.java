package dev.graft.trainer.training;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/** Trainer metrics: jobs by outcome, and per model and phase the current loss and images per second. */
@ApplicationScoped
public class TrainerMetrics {
    private final MeterRegistry registry;
    private final Map<Tags, AtomicReference<Double>> gauges = new ConcurrentHashMap<>();

    public TrainerMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void job(String outcome) {
        registry.counter("graft_training_jobs", "outcome", outcome).increment();
    }

    public void epoch(String model, EpochResult epoch) {
        gauge("graft_training_loss", model, epoch.phase()).set(epoch.trainLoss());
        gauge("graft_training_validation_loss", model, epoch.phase()).set(epoch.validationLoss());
        gauge("graft_training_images_per_second", model, epoch.phase()).set(epoch.imagesPerSecond());
        gauge("graft_training_validation_" + epoch.metric(), model, epoch.phase()).set(epoch.validationMetric());
    }

    private AtomicReference<Double> gauge(String name, String model, String phase) {
        Tags tags = Tags.of("name", name, "model", model, "phase", phase);
        return gauges.computeIfAbsent(tags, t -> {
            AtomicReference<Double> value = new AtomicReference<>(Double.NaN);
            registry.gauge(name, Tags.of("model", model, "phase", phase), value, AtomicReference::get);
            return value;
        });
    }
}
