package dev.graft.inference.health;

import dev.graft.inference.config.ServingSettings;
import dev.graft.inference.versions.ModelManager;
import dev.graft.inference.versions.ModelVersionSource;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import java.util.List;

/**
 * Ready once the versions found in the store at start-up are loaded and warmed (or have failed) and
 * every model in {@code graft.serving.required-models} serves, so a load balancer sends no request
 * to a replica that would answer 404.
 */
@Readiness
@ApplicationScoped
public class ServingReadiness implements HealthCheck {
    private final ModelManager manager;
    private final ModelVersionSource source;
    private final ServingSettings settings;

    public ServingReadiness(ModelManager manager, ModelVersionSource source, ServingSettings settings) {
        this.manager = manager;
        this.source = source;
        this.settings = settings;
    }

    /** Required models that do not serve yet. */
    public List<String> missing() {
        List<String> serving = manager.servingModels();
        return settings.requiredModels().stream().filter(m -> !serving.contains(m)).toList();
    }

    public boolean ready() {
        return source.startupScanDone() && missing().isEmpty();
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("models")
                .status(ready())
                .withData("startupScanDone", source.startupScanDone())
                .withData("serving", String.join(",", manager.servingModels()))
                .withData("waitingFor", String.join(",", missing()))
                .build();
    }
}
