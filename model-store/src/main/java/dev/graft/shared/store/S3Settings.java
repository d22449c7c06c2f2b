package dev.graft.shared.store;

import dev.graft.shared.security.Secrets;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/**
 * How to reach S3-compatible storage. Empty endpoint: AWS itself. Empty keys: the standard AWS
 * credentials chain (environment, profile, container or instance role). Path-style access is what
 * MinIO and the local server need.
 */
public record S3Settings(Optional<URI> endpoint, String region, boolean pathStyle, Optional<String> accessKeyId,
                         Optional<String> secretAccessKey, int maxAttempts, Duration baseDelay, Duration maxDelay) {

    public S3Settings {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("S3 max attempts must be at least 1");
        }
        if (accessKeyId.isPresent() != secretAccessKey.isPresent()) {
            throw new IllegalArgumentException("set both the S3 access key id and the secret access key, or neither");
        }
    }

    /**
     * From a service's configuration ({@code graft.s3.*}; each service's application.properties
     * states the defaults).
     */
    public static S3Settings from(Function<String, Optional<String>> config) {
        return new S3Settings(config.apply("graft.s3.endpoint").filter(e -> !e.isBlank()).map(URI::create),
                config.apply("graft.s3.region").orElse("us-east-1"),
                config.apply("graft.s3.path-style").map(Boolean::parseBoolean).orElse(false),
                Secrets.requireReal("graft.s3.access-key-id", config.apply("graft.s3.access-key-id").filter(k -> !k.isEmpty())),
                Secrets.requireReal("graft.s3.secret-access-key",
                        config.apply("graft.s3.secret-access-key").filter(k -> !k.isEmpty())),
                config.apply("graft.s3.max-attempts").map(Integer::parseInt).orElse(6),
                Duration.ofMillis(500), Duration.ofSeconds(10));
    }

    public static S3Settings local(String endpoint, String accessKey, String secretKey) {
        return new S3Settings(Optional.of(URI.create(endpoint)), "us-east-1", true, Optional.of(accessKey),
                Optional.of(secretKey), 6, Duration.ofMillis(500), Duration.ofSeconds(10));
    }

    public S3Settings withMaxAttempts(int attempts) {
        return new S3Settings(endpoint, region, pathStyle, accessKeyId, secretAccessKey, attempts, baseDelay, maxDelay);
    }
}
