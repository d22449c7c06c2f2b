package dev.graft.inference.loop;

import dev.graft.contract.events.FeedbackRecord;
import dev.graft.contract.events.Topics;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.Task;
import dev.graft.inference.config.InferenceConfig;
import dev.graft.inference.loop.FeedbackRefused.Kind;
import dev.graft.inference.versions.ModelManager;
import dev.graft.store.ModelStore;
import dev.graft.store.ModelStoreException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Feedback on one prediction: checked against the id (issued here for this model, within the window)
 * and the version it names (a label of that version for a classifier, a finite value for a regressor),
 * then published on {@link Topics#FEEDBACK} keyed by the prediction id, so that a second answer for the
 * same id replaces the first downstream. Its answers are counted by the HTTP layer, refusals before it
 * (unreadable JSON, a body over the limit, a missing key) included.
 */
@ApplicationScoped
public class Feedback {
    private static final int MAX_LABEL_LENGTH = 200;
    /** Past the feedback producer's metadata wait and delivery timeout: a failure is Kafka's answer, never a guess. */
    private static final long PUBLISH_TIMEOUT_MS = LoopProducers.MAX_BLOCK_MS + LoopProducers.FEEDBACK_DELIVERY_MS + 5000;
    private static final int MANIFESTS_KEPT = 1000;

    private final PredictionIds ids;
    private final ModelManager models;
    private final ModelStore store;
    private final LoopProducers producers;
    private final Duration window;
    private final Clock clock;
    /** Manifests are immutable: each version's is read from the store once. */
    private final Map<String, ModelManifest> manifests = new ConcurrentHashMap<>();

    @Inject
    public Feedback(PredictionIds ids, ModelManager models, ModelStore store, LoopProducers producers,
                    InferenceConfig config) {
        this(ids, models, store, producers, config.feedback().window(), Clock.systemUTC());
    }

    Feedback(PredictionIds ids, ModelManager models, ModelStore store, LoopProducers producers, Duration window, Clock clock) {
        this.ids = ids;
        this.models = models;
        this.store = store;
        this.producers = producers;
        this.window = window;
        this.clock = clock;
    }

    /** Takes the true label (classifier) or value (regressor) of a prediction; what was published. */
    public FeedbackRecord accept(String model, String predictionId, String label, Double value) {
        FeedbackRecord record = checked(model, predictionId, label, value);
        publish(record);
        return record;
    }

    private FeedbackRecord checked(String model, String predictionId, String label, Double value) {
        if (!models.knows(model)) {
            throw new FeedbackRefused(Kind.BAD_REQUEST, "no model '" + model + "' here: feedback is for a model this"
                    + " service serves (GET /api/models)");
        }
        if (predictionId == null || predictionId.isBlank()) {
            throw new FeedbackRefused(Kind.BAD_REQUEST, "predictionId is required: the id the prediction's answer carried"
                    + " (its predictionId field, or the X-Graft-Prediction-Id header)");
        }
        PredictionIds.Issued issued = ids.read(model, predictionId).orElseThrow(() -> new FeedbackRefused(
                Kind.UNKNOWN_PREDICTION, "no prediction of " + model + " has the id '" + abbreviated(predictionId) + "'"));
        Instant now = clock.instant();
        if (issued.time().plus(window).isBefore(now)) {
            throw new FeedbackRefused(Kind.EXPIRED, "prediction " + predictionId + " was made at " + issued.time()
                    + ", longer ago than the feedback window of " + window + " (graft.feedback.window)");
        }
        if (!issued.logged()) {
            throw new FeedbackRefused(Kind.NOT_LOGGED, "prediction " + predictionId + " was not logged (graft.predictions"
                    + ".log.share and model-share), so there is nothing to join feedback on it with");
        }
        ModelManifest manifest = manifest(model, issued.version());
        if (manifest.task() == Task.REGRESSION) {
            if (label != null || value == null || !Double.isFinite(value)) {
                throw new FeedbackRefused(Kind.BAD_REQUEST, model + " is a regressor: send the true \"value\", a finite"
                        + " number, and no label");
            }
        } else if (value != null || label == null || !manifest.labels().contains(label)) {
            throw new FeedbackRefused(Kind.BAD_REQUEST, model + " is a classifier: send the true \"label\", one of "
                    + manifest.labels() + " (version " + manifest.version() + "), and no value; got "
                    + (label == null ? "no label" : "'" + abbreviated(label) + "'"));
        }
        return new FeedbackRecord(predictionId, model, issued.version(), label, value, now, "http");
    }

    private ModelManifest manifest(String model, int version) {
        String key = model + "@" + version;
        ModelManifest cached = manifests.get(key);
        if (cached != null) {
            return cached;
        }
        try {
            ModelManifest manifest = store.manifest(model, version);
            if (manifests.size() >= MANIFESTS_KEPT) {
                manifests.clear();
            }
            manifests.put(key, manifest);
            return manifest;
        } catch (ModelStoreException e) {
            // signed here for this model and version, so the version was served: the store cannot say now
            throw new FeedbackRefused(Kind.UNAVAILABLE, "cannot read " + model + " version " + version
                    + " from the model store: " + e.getMessage(), e);
        }
    }

    private void publish(FeedbackRecord record) {
        try {
            producers.feedback().send(new ProducerRecord<>(Topics.FEEDBACK, record.predictionId(), Json.write(record)))
                    .get(PUBLISH_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new FeedbackRefused(Kind.UNAVAILABLE, "the feedback was not recorded (Kafka: " + cause
                    + "); sending it again is safe", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FeedbackRefused(Kind.UNAVAILABLE, "interrupted while recording the feedback; sending it again is safe", e);
        }
    }

    private static String abbreviated(String text) {
        return text.length() <= MAX_LABEL_LENGTH ? text : text.substring(0, MAX_LABEL_LENGTH) + "...";
    }
}
