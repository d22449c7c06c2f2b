package dev.graft.inference.endpoint;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.ext.Provider;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.List;
import java.util.Optional;

/**
 * Checks a key on {@link PredictionKey} endpoints when {@code graft.predict.api-key} is set (e.g.
 * GRAFT_PREDICT_API_KEY); the admin key opens them too. Unset, predictions are open.
 */
@Provider
@PredictionKey
public class PredictionKeyFilter implements ContainerRequestFilter {
    private final ApiKey predict;

    public PredictionKeyFilter(@ConfigProperty(name = "graft.predict.api-key") Optional<String> predictKey,
                               @ConfigProperty(name = "graft.admin.api-key") Optional<String> adminKey,
                               @ConfigProperty(name = "graft.admin.api-key-header", defaultValue = "X-Graft-Api-Key") String header) {
        boolean required = predictKey.filter(key -> !key.isBlank()).isPresent();
        this.predict = ApiKey.of(header, required ? List.of(predictKey, adminKey) : List.of());
    }

    @Override
    public void filter(ContainerRequestContext request) {
        predict.check(request);
    }
}
