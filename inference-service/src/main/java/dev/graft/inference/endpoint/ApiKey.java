package dev.graft.inference.endpoint;

import jakarta.ws.rs.container.ContainerRequestContext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

/**
 * Keys that may open a group of endpoints, from configuration only (environment or properties),
 * compared in constant time and never logged. With no key configured the group is either open
 * (predictions) or off, answering 403 with {@code whenOff} (the admin endpoints: closed by default).
 */
record ApiKey(List<String> keys, String header, Optional<String> whenOff) {
    static ApiKey of(String header, List<Optional<String>> configured, Optional<String> whenOff) {
        return new ApiKey(configured.stream().flatMap(Optional::stream).filter(k -> !k.isBlank()).toList(), header, whenOff);
    }

    boolean off() {
        return keys.isEmpty() && whenOff.isPresent();
    }

    /** Aborts the request with a JSON 401 unless it carries one of the keys, or a 403 when the group is off. */
    void check(ContainerRequestContext request) {
        if (keys.isEmpty()) {
            whenOff.ifPresent(reason -> request.abortWith(ApiError.response(403, reason)));
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
