package dev.graft.contract.manifest;


import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything a reader needs to serve or reuse one stored model version. Written as manifest.json next
 * to the artifact; the store fills in version, artifact, size and sha256 when it publishes.
 *
 * @param labels              class names in output order (classification), else empty
 * @param preprocessing       the id of how its input pixels are scaled ({@link Preprocessing}); absent in
 *                            manifests older than the ids, read as {@code unit}
 * @param targetNormalization how regression outputs map back to real units (regression), else null
 * @param metrics             final validation metrics, e.g. accuracy, loss, mae
 * @param promotion           the request's rule for serving this version under a gated policy; null for the default
 */
public record ModelManifest(
        String model,
        int version,
        Task task,
        List<String> labels,
        TargetNormalization targetNormalization,
        InputShape inputShape,
        String preprocessing,
        Map<String, Double> metrics,
        BaseLineage base,
        String requestId,
        Instant createdAt,
        Promotion promotion,
        String artifact,
        long sizeBytes,
        String sha256) {

    public ModelManifest {
        labels = labels == null ? List.of() : List.copyOf(labels);
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
    }

    /** A manifest before publication: the store assigns version, artifact, size and checksum. */
    public static ModelManifest draft(String model, Task task, List<String> labels,
                                      TargetNormalization targetNormalization, InputShape inputShape,
                                      Preprocessing preprocessing, Map<String, Double> metrics, BaseLineage base,
                                      String requestId) {
        return new ModelManifest(model, 0, task, labels, targetNormalization, inputShape,
                preprocessing.id(), metrics, base, requestId, Instant.now(), null, null, 0, null);
    }

    /** How this model's input pixels are scaled; an unknown id throws, naming the valid ones. */
    public Preprocessing preprocessingMode() {
        return Preprocessing.of(preprocessing);
    }

    public ModelManifest withPromotion(Promotion rule) {
        return new ModelManifest(model, version, task, labels, targetNormalization, inputShape, preprocessing,
                metrics, base, requestId, createdAt, rule, artifact, sizeBytes, sha256);
    }

    public ModelManifest published(int version, String artifact, long sizeBytes, String sha256) {
        return new ModelManifest(model, version, task, labels, targetNormalization, inputShape, preprocessing,
                metrics, base, requestId, createdAt, promotion, artifact, sizeBytes, sha256);
    }
}
