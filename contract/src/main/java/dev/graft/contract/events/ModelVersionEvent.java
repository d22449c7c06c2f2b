package dev.graft.contract.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.TargetNormalization;
import dev.graft.contract.manifest.Task;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A new model version is in the store, published on {@link Topics#MODEL_VERSIONS} keyed by model.
 *
 * @param artifactLocation the artifact's path relative to the model store root, e.g. {@code fashion/3/model.zip}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelVersionEvent(
        String model,
        int version,
        Task task,
        List<String> labels,
        TargetNormalization targetNormalization,
        InputShape inputShape,
        Map<String, Double> validationMetrics,
        String artifactLocation,
        long sizeBytes,
        String sha256,
        String requestId,
        Instant createdAt) {

    public static ModelVersionEvent of(ModelManifest manifest) {
        return new ModelVersionEvent(manifest.model(), manifest.version(), manifest.task(), manifest.labels(),
                manifest.targetNormalization(), manifest.inputShape(), manifest.metrics(),
                manifest.model() + "/" + manifest.version() + "/" + manifest.artifact(), manifest.sizeBytes(),
                manifest.sha256(), manifest.requestId(), manifest.createdAt());
    }
}
