package dev.graft.inference.endpoint;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.ext.Provider;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.List;
import java.util.Optional;

/**
 * Checks the admin key on {@link AdminOnly} endpoints when one is configured ({@code graft.admin.api-key},
 * e.g. from the environment variable GRAFT_ADMIN_API_KEY).
 */
@Provider
@AdminOnly
public class ApiKeyFilter implements ContainerRequestFilter {
    private final ApiKey admin;

    public ApiKeyFilter(@ConfigProperty(name = "graft.admin.api-key") Optional<String> apiKey,
                        @ConfigProperty(name = "graft.admin.api-key-header", defaultValue = "X-Graft-Api-Key") String header) {
        this.admin = ApiKey.of(header, List.of(apiKey));
    }

    @Override
    public void filter(ContainerRequestContext request) {
        admin.check(request);
    }
}
