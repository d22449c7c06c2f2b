package dev.graft.inference.endpoint;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.ext.Provider;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * Checks the API key on {@link AdminOnly} endpoints when one is configured ({@code graft.admin.api-key},
 * e.g. from the environment variable GRAFT_ADMIN_API_KEY); the key is compared in constant time and never logged.
 */
@Provider
@AdminOnly
public class ApiKeyFilter implements ContainerRequestFilter {
    private final Optional<String> apiKey;
    private final String header;

    public ApiKeyFilter(@ConfigProperty(name = "graft.admin.api-key") Optional<String> apiKey,
                        @ConfigProperty(name = "graft.admin.api-key-header", defaultValue = "X-Graft-Api-Key") String header) {
        this.apiKey = apiKey.filter(key -> !key.isBlank());
        this.header = header;
    }

    @Override
    public void filter(ContainerRequestContext request) {
        if (apiKey.isEmpty()) {
            return;
        }
        String given = request.getHeaderString(header);
        if (given == null || !MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
                apiKey.get().getBytes(StandardCharsets.UTF_8))) {
            request.abortWith(ApiError.response(401, (given == null ? "missing" : "wrong") + " API key: send it in the "
                    + header + " header"));
        }
    }
}
