package dev.graft.inference.predict;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Serving metrics, labelled by model (and version where one served). */
@ApplicationScoped
public class InferenceMetrics {
    private final MeterRegistry registry;
    private final Map<String, AtomicInteger> servingVersions = new ConcurrentHashMap<>();

    public InferenceMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** outcome: ok, bad_request, unknown_model, error. */
    public void prediction(String model, String version, String outcome, long nanos) {
        registry.counter("graft_predictions", "model", model, "version", version, "outcome", outcome).increment();
        Timer.builder("graft_prediction_latency")
                .description("Time from receiving the image to the prediction")
                .tags("model", model, "version", version)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    public void load(String model, String outcome, long nanos) {
        registry.counter("graft_model_loads", "model", model, "outcome", outcome).increment();
        registry.timer("graft_model_load_duration", "model", model, "outcome", outcome).record(nanos, TimeUnit.NANOSECONDS);
    }

    public void serving(String model, int version) {
        servingVersions.computeIfAbsent(model, m -> registry.gauge("graft_model_version",
                io.micrometer.core.instrument.Tags.of("model", m), new AtomicInteger())).set(version);
    }
}
