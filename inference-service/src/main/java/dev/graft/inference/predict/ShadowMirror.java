package dev.graft.inference.predict;

import dev.graft.inference.config.ServingSettings;
import dev.graft.inference.loop.BackgroundQueue;
import dev.graft.inference.loop.PredictionLog;
import dev.graft.inference.versions.LoadedModel;
import dev.graft.inference.versions.ModelManager;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Mirrors answered requests to the model's version in shadow, off the request's path: a request only
 * offers its logged images to a bounded buffer, and one thread of its own has the shadow version answer
 * them and logs each answer under the id the caller got ({@code shadowOf}), never returning it. So a
 * shadow version that is slow, fails or is gone never delays or changes an answer. Every mirrored image
 * ends in one count of {@code graft_shadow_predictions_total{model,outcome}}: answered, dropped (buffer
 * full, or left at shutdown), failed, or gone (the version left shadow before its turn).
 */
@ApplicationScoped
public class ShadowMirror {
    private static final Logger LOG = Logger.getLogger(ShadowMirror.class);
    /** Requests waiting for the shadow version: beyond, mirroring drops rather than queue behind a slow version. */
    private static final int BUFFER = 256;
    private static final long BUFFER_BYTES = 64L << 20;
    private static final long ANSWER_TIMEOUT_SECONDS = 60;
    private static final int TOP_K = 5;

    private final ModelManager manager;
    private final ServingSettings settings;
    private final PredictionLog log;
    private final MeterRegistry registry;
    private final BackgroundQueue<Mirrored> queue;

    /** A request's logged images, with the ids their callers got, and its trace. */
    record Mirrored(String model, List<String> ids, List<byte[]> images, String traceId) {
        long bytes() {
            return images.stream().mapToLong(image -> image.length).sum();
        }
    }

    public ShadowMirror(ModelManager manager, ServingSettings settings, PredictionLog log, MeterRegistry registry) {
        this.manager = manager;
        this.settings = settings;
        this.log = log;
        this.registry = registry;
        this.queue = new BackgroundQueue<>("graft-shadow-mirror", BUFFER, BUFFER_BYTES, Mirrored::bytes, this::answer,
                mirrored -> count(mirrored, "dropped"));
    }

    void start(@Observes StartupEvent started) {
        queue.start(() -> { });
    }

    void stop(@Observes ShutdownEvent shutdown) throws InterruptedException {
        queue.stop(Duration.ofSeconds(2));
    }

    /**
     * Offers what the serving version answered (encoded images, logged, in order with their ids) to the
     * version in shadow, in the model's shadow share. Never blocks.
     */
    void offer(String model, List<String> ids, List<byte[]> images, String traceId) {
        if (ids.isEmpty() || !manager.hasShadow(model)) {
            return;
        }
        double share = settings.forModel(model).shadow().share();
        if (share < 1 && ThreadLocalRandom.current().nextDouble() >= share) {
            return;
        }
        Mirrored mirrored = new Mirrored(model, List.copyOf(ids), List.copyOf(images), traceId);
        if (!queue.offer(mirrored)) {
            count(mirrored, "dropped");
        }
    }

    private void answer(Mirrored mirrored) {
        LoadedModel shadow = manager.acquireShadow(mirrored.model()).orElse(null);
        if (shadow == null) {
            count(mirrored, "gone");
            return;
        }
        try {
            long start = System.nanoTime();
            INDArray output = shadow.submit(() -> PredictionService.decode(mirrored.images(), shadow.manifest(), settings))
                    .get(ANSWER_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            List<Prediction> predictions = Predictor.predictions(shadow.manifest(), output, TOP_K);
            double latencyMs = (System.nanoTime() - start) / 1e6;
            Instant now = Instant.now();
            for (int i = 0; i < predictions.size(); i++) {
                String id = mirrored.ids().get(i);
                log.offer(LogRecords.of(predictions.get(i).withId(id + "~shadow" + shadow.version()), latencyMs,
                        LogRecords.sha256(mirrored.images().get(i)), null, now, mirrored.traceId(), id));
            }
            count(mirrored, "answered");
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.warnf("%s version %d in shadow failed to answer: %s", mirrored.model(), shadow.version(), e.getMessage());
            count(mirrored, "failed");
        } finally {
            shadow.release();
        }
    }

    private void count(Mirrored mirrored, String outcome) {
        Counter.builder("graft_shadow_predictions").tag("model", mirrored.model()).tag("outcome", outcome)
                .description("Images mirrored to a version in shadow, by outcome: answered (logged, never returned), dropped"
                        + " (buffer full), failed, gone (no longer in shadow)")
                .register(registry).increment(mirrored.ids().size());
    }
}
