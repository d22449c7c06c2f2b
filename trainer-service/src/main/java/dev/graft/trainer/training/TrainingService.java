package dev.graft.trainer.training;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.shared.events.ModelVersionEvent;
import dev.graft.shared.events.TrainingEvent;
import dev.graft.shared.events.TrainingRequest;
import dev.graft.shared.json.Json;
import dev.graft.shared.manifest.ModelManifest;
import dev.graft.shared.store.ModelStore;
import dev.graft.trainer.messaging.TrainingEventPublisher;
import jakarta.enterprise.context.ApplicationScoped;
import org.deeplearning4j.util.ModelSerializer;
import org.jboss.logging.Logger;

import java.util.Locale;

/**
 * One request from JSON to outcome: validate, train, store a version, announce it. Never throws:
 * every failure becomes a failed event with the reason, and the consumer goes on.
 */
@ApplicationScoped
public class TrainingService {
    private static final Logger LOG = Logger.getLogger(TrainingService.class);

    private final TransferRecipe recipe;
    private final ModelStore store;
    private final TrainingEventPublisher publisher;
    private final TrainerMetrics metrics;

    public TrainingService(TransferRecipe recipe, ModelStore store, TrainingEventPublisher publisher,
                           TrainerMetrics metrics) {
        this.recipe = recipe;
        this.store = store;
        this.publisher = publisher;
        this.metrics = metrics;
    }

    public void handle(String json) {
        TrainingPlan plan;
        try {
            plan = TrainingRequestValidator.validate(Json.read(json, TrainingRequest.class));
        } catch (IllegalArgumentException e) {
            reject(json, e.getMessage());
            return;
        }
        String requestId = plan.requestId();
        publisher.progress(TrainingEvent.accepted(requestId, plan.model(), "training " + plan.model() + " ("
                + plan.task().jsonName() + ") on " + plan.base().weights() + " base"));
        long started = System.nanoTime();
        try {
            TrainedModel trained = recipe.run(plan, epoch -> {
                metrics.epoch(plan.model(), epoch);
                publisher.progress(TrainingEvent.epoch(requestId, plan.model(), epoch.phase(), epoch.epoch(),
                        epoch.epochs(), epoch.trainLoss(), epoch.metric(), epoch.validationLoss(),
                        epoch.validationMetric(), epoch.imagesPerSecond()));
            });
            ModelManifest manifest = store.publish(ModelManifest.draft(plan.model(), plan.task(), trained.labels(),
                            trained.targetNormalization(), trained.inputShape(), trained.metrics(), trained.lineage(),
                            requestId),
                    artifact -> ModelSerializer.writeModel(trained.graph(), artifact.toFile(), false));
            publisher.version(ModelVersionEvent.of(manifest));
            publisher.outcome(TrainingEvent.succeeded(requestId, plan.model(), manifest.version(),
                    String.format(Locale.ROOT, "stored %s version %d in %.0f s; validation %s", plan.model(),
                            manifest.version(), (System.nanoTime() - started) / 1e9, manifest.metrics())));
            metrics.job("succeeded");
            LOG.infof("request %s: stored %s version %d, metrics %s", requestId, plan.model(), manifest.version(),
                    manifest.metrics());
        } catch (IllegalArgumentException e) {
            // a problem with the request or its data: the message says it all
            LOG.warnf("request %s failed: %s", requestId, e.getMessage());
            fail(requestId, plan.model(), e.getMessage());
        } catch (RuntimeException | OutOfMemoryError e) {
            String reason = e.getMessage() != null ? e.getMessage() : e.toString();
            LOG.errorf(e, "request %s failed: %s", requestId, reason);
            fail(requestId, plan.model(), reason);
        }
    }

    /** An invalid request: name it as well as the JSON allows, so the sender can match the failure. */
    private void reject(String json, String reason) {
        String requestId = null;
        String model = null;
        try {
            JsonNode node = Json.MAPPER.readTree(json);
            requestId = node.path("requestId").isTextual() ? node.get("requestId").asText() : null;
            model = node.path("model").isTextual() ? node.get("model").asText() : null;
        } catch (Exception notJson) {
            // the reason already says the record is not JSON
        }
        LOG.warnf("rejected request %s: %s", requestId, reason);
        fail(requestId, model, reason);
    }

    private void fail(String requestId, String model, String reason) {
        metrics.job("failed");
        try {
            publisher.outcome(TrainingEvent.failed(requestId, model, reason));
        } catch (RuntimeException e) {
            LOG.errorf(e, "could not publish the failure of request %s", requestId);
        }
    }
}
