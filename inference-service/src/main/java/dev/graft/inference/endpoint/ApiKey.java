package dev.graft.inference.endpoint;

import jakarta.ws.rs.container.ContainerRequestContext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

/**
 * Keys that may open a group of endpoints, from configuration only (environment or properties),
 * compared in constant time and never logged. No key configured: the endpoints are open.
 */
record ApiKey(List<String> keys, String header) {
    static ApiKey of(String header, List<Optional<String>> configured) {
        return new ApiKey(configured.stream().flatMap(Optional::stream).filter(k -> !k.isBlank()).toList(), header);
    }

    /** Aborts the request with a JSON 401 unless it carries one of the keys (when any is configured). */
    void check(ContainerRequestContext request) {
        if (keys.isEmpty()) {
            return;
        }
        String given = request.getHeaderString(header);
        if (given == null || keys.stream().noneMatch(key -> MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
                key.getBytes(StandardCharsets.UTF_8)))) {
            request.abortWith(ApiError.response(401, (given == null ? "missing" : "wrong") + " API key: send it in the "
                    + header + " header"));
        }
    }
}
