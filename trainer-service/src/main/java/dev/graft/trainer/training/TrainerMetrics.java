package dev.graft.trainer.training;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Trainer metrics, the source of the training dashboard: jobs by outcome and their duration; per model
 * the phase running now (1, else 0), the epoch within it, each phase's duration; per model and phase
 * the latest epoch's loss, validation loss and metric, and images per second.
 */
// created at start, not on first use: an idle trainer of a pool exports its zeros too
@Startup
@ApplicationScoped
public class TrainerMetrics {
    /** The phases a training can report, in order; "features" is the frozen base's one pass when cached. */
    static final String[] PHASES = {"features", TrainingPlan.FROZEN, TrainingPlan.FINE_TUNE};
    /**
     * failed: validated, then failed; rejected: unreadable or invalid (dead-lettered); cancelled; duplicate:
     * a requestId already handled, answered again; released: stopped with its trainer, resumed by another.
     */
    static final String[] OUTCOMES = {"succeeded", "failed", "rejected", "cancelled", "duplicate", "released"};

    private final MeterRegistry registry;
    private final Map<Tags, AtomicReference<Double>> gauges = new ConcurrentHashMap<>();

    public TrainerMetrics(MeterRegistry registry) {
        this.registry = registry;
        // present from the start at zero, so increase() over a dashboard's range counts the first job too
        for (String outcome : OUTCOMES) {
            registry.counter("graft_training_jobs", "outcome", outcome);
            duration(outcome);
        }
    }

    public void phaseStarted(String model, String phase) {
        for (String each : PHASES) {
            gauge("graft_training_phase_active", model, each).set(each.equals(phase) ? 1.0 : 0.0);
        }
    }

    public void phaseEnded(String model, String phase, double seconds) {
        Timer.builder("graft_training_phase_duration").description("Wall time of one training phase")
                .tags("model", model, "phase", phase).register(registry).record(Duration.ofNanos((long) (seconds * 1e9)));
    }

    public void epoch(String model, EpochResult epoch) {
        gauge("graft_training_epoch", model, epoch.phase()).set((double) epoch.epoch());
        gauge("graft_training_epochs_planned", model, epoch.phase()).set((double) epoch.epochs());
        gauge("graft_training_loss", model, epoch.phase()).set(epoch.trainLoss());
        gauge("graft_training_validation_loss", model, epoch.phase()).set(epoch.validationLoss());
        gauge("graft_training_images_per_second", model, epoch.phase()).set(epoch.imagesPerSecond());
        gauge("graft_training_validation_" + epoch.metric(), model, epoch.phase()).set(epoch.validationMetric());
    }

    /** A job ended: counted by outcome with its duration; no phase of its model is running any more. */
    public void job(String model, String outcome, double seconds) {
        registry.counter("graft_training_jobs", "outcome", outcome).increment();
        duration(outcome).record(Duration.ofNanos((long) (seconds * 1e9)));
        if (model != null) {
            for (String phase : PHASES) {
                AtomicReference<Double> active = gauges.get(key("graft_training_phase_active", model, phase));
                if (active != null) {
                    active.set(0.0);
                }
            }
        }
    }

    private Timer duration(String outcome) {
        return Timer.builder("graft_training_duration").description("Wall time of one training request, by outcome")
                .tags("outcome", outcome).register(registry);
    }

    private AtomicReference<Double> gauge(String name, String model, String phase) {
        return gauges.computeIfAbsent(key(name, model, phase), t -> {
            AtomicReference<Double> value = new AtomicReference<>(Double.NaN);
            registry.gauge(name, Tags.of("model", model, "phase", phase), value, AtomicReference::get);
            return value;
        });
    }

    private static Tags key(String name, String model, String phase) {
        return Tags.of("name", name, "model", model, "phase", phase);
    }
}
