package dev.graft.inference.metrics;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import org.bytedeco.javacpp.Pointer;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Serving metrics, labelled by model and version (version "none" where no version was involved). */
@ApplicationScoped
public class InferenceMetrics {
    private final MeterRegistry registry;
    private final Map<String, AtomicInteger> servingVersions = new ConcurrentHashMap<>();
    /** The one state gauge of each model@version. */
    private final Map<String, Meter> versionStates = new ConcurrentHashMap<>();

    public InferenceMetrics(MeterRegistry registry) {
        this.registry = registry;
        // JavaCPP's Pointer and Loader initialise each other: a scrape initialising Pointer while the first model's
        // load initialises Loader deadlocked both (seen once in DashboardMetricsTest). Both are initialised here,
        // on one thread, before any load can start (the model manager is built with these metrics).
        Pointer.totalBytes();
        // JavaCPP counts the native memory it allocated (tensors, networks) and the process's physical memory
        Gauge.builder("graft_native_memory_bytes", Pointer::totalBytes)
                .description("Native memory allocated through JavaCPP (ND4J tensors and networks)").register(registry);
        Gauge.builder("graft_native_physical_memory_bytes", Pointer::physicalBytes)
                .description("Physical memory (RSS) of the process as JavaCPP reads it").register(registry);
    }

    private Timer histogram(String name, String description, String model, String version) {
        return Timer.builder(name).description(description).tags("model", model, "version", version)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
    }

    /** One answer of a predict or inference endpoint; outcome: ok, bad_request, unauthorized, too_large, unsupported_format, unknown_model, not_loadable, error. */
    public void prediction(String model, String version, String outcome, long nanos) {
        registry.counter("graft_predictions", "model", model, "version", version, "outcome", outcome).increment();
        histogram("graft_prediction_latency", "Time from receiving a request to its answer, images decoded and batched",
                model, version).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** One answer of the feedback endpoint; outcome: accepted, bad_request, unauthorized, unknown_prediction, expired, too_large, unavailable, error. */
    public void feedback(String model, String outcome) {
        registry.counter("graft_feedback", "model", model, "outcome", outcome).increment();
    }

    /** One forward pass of the batch scheduler. */
    public void batch(String model, String version, long[] queueNanos, long computeNanos, int images) {
        Timer queue = histogram("graft_prediction_queue_latency",
                "Time a request waited for its batch to close and the network to be free", model, version);
        for (long nanos : queueNanos) {
            queue.record(nanos, TimeUnit.NANOSECONDS);
        }
        histogram("graft_prediction_compute_latency", "Time of one forward pass over a batch", model, version)
                .record(computeNanos, TimeUnit.NANOSECONDS);
        DistributionSummary.builder("graft_prediction_batch_size").description("Images per forward pass")
                .tags("model", model, "version", version)
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128)
                .register(registry).record(images);
    }

    /** outcome: succeeded, failed. */
    public void load(String model, int version, String outcome, long nanos) {
        String v = Integer.toString(version);
        registry.counter("graft_model_loads", "model", model, "version", v, "outcome", outcome).increment();
        registry.timer("graft_model_load_duration", "model", model, "version", v, "outcome", outcome)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    public void warmUp(String model, int version) {
        registry.counter("graft_model_warmups", "model", model, "version", Integer.toString(version)).increment();
    }

    public void heldBack(String model, int version) {
        registry.counter("graft_model_held_back", "model", model, "version", Integer.toString(version)).increment();
    }

    /**
     * A version's state: {@code graft_model_version_state{model, version, state}} is 1 for its current
     * state only (the previous state's series goes away), so counting by state is a sum.
     */
    public void versionState(String model, int version, String state) {
        String v = Integer.toString(version);
        Meter gauge = Gauge.builder("graft_model_version_state", () -> 1)
                .description("1 for each model version's current state: discovered, loading, ready, serving, draining, "
                        + "retired or failed")
                .tags("model", model, "version", v, "state", state).register(registry);
        Meter replaced = versionStates.put(model + "@" + v, gauge);
        if (replaced != null && replaced != gauge) {
            registry.remove(replaced);
        }
    }

    /** The version now serving, for a "serving version over time" graph. */
    public void serving(String model, int version) {
        servingVersions.computeIfAbsent(model, m -> registry.gauge("graft_model_version", Tags.of("model", m),
                new AtomicInteger())).set(version);
        registry.counter("graft_model_swaps", "model", model, "version", Integer.toString(version)).increment();
    }
}
