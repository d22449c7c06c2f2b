package dev.graft.inference.endpoint;

import dev.graft.inference.versions.ModelManager;
import dev.graft.shared.manifest.InputShape;
import dev.graft.shared.manifest.TargetNormalization;
import dev.graft.shared.manifest.Task;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** {@code GET /api/models}: every serving model with its version and how to read its outputs. */
@Path("/api/models")
public class ModelsResource {
    private final ModelManager manager;

    public ModelsResource(ModelManager manager) {
        this.manager = manager;
    }

    public record ServingModel(String model, int version, Task task, List<String> labels,
                               TargetNormalization targetNormalization, InputShape inputShape,
                               Map<String, Double> validationMetrics, String requestId, Instant createdAt) {
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public List<ServingModel> list() {
        return manager.serving().stream().map(m -> {
            var manifest = m.manifest();
            return new ServingModel(manifest.model(), manifest.version(), manifest.task(), manifest.labels(),
                    manifest.targetNormalization(), manifest.inputShape(), manifest.metrics(), manifest.requestId(),
                    manifest.createdAt());
        }).toList();
    }
}
