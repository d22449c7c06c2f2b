package dev.graft.inference.endpoint;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.ext.Provider;

/**
 * Checks the admin key on {@link AdminOnly} endpoints ({@code graft.admin.api-key}, e.g. from the environment
 * variable GRAFT_ADMIN_API_KEY); without one configured they answer 403.
 */
@Provider
@AdminOnly
public class ApiKeyFilter implements ContainerRequestFilter {
    private final AccessKeys keys;

    public ApiKeyFilter(AccessKeys keys) {
        this.keys = keys;
    }

    @Override
    public void filter(ContainerRequestContext request) {
        keys.admin().check(request);
    }
}
