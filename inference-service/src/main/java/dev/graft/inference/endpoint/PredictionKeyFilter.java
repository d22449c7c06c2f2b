package dev.graft.inference.endpoint;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.ext.Provider;

/**
 * Checks a key on {@link PredictionKey} endpoints when {@code graft.predict.api-key} is set (e.g.
 * GRAFT_PREDICT_API_KEY); the admin key opens them too. Unset, predictions are open.
 */
@Provider
@PredictionKey
public class PredictionKeyFilter implements ContainerRequestFilter {
    private final AccessKeys keys;

    public PredictionKeyFilter(AccessKeys keys) {
        this.keys = keys;
    }

    @Override
    public void filter(ContainerRequestContext request) {
        keys.predict().check(request);
    }
}
