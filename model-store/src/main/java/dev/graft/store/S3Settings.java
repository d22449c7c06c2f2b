package dev.graft.store;

import dev.graft.store.security.Secrets;

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

    public static final String DEFAULT_REGION = "us-east-1";
    public static final String DEFAULT_MAX_ATTEMPTS = "6";

    /**
     * As a service's {@code graft.s3.*} settings give it: a blank endpoint or key is none, and a
     * placeholder key (an example file's) is refused.
     */
    public static S3Settings of(Optional<String> endpoint, String region, boolean pathStyle, Optional<String> accessKeyId,
                                Optional<String> secretAccessKey, int maxAttempts) {
        return new S3Settings(endpoint.filter(e -> !e.isBlank()).map(URI::create), region, pathStyle,
                Secrets.requireReal("graft.s3.access-key-id", accessKeyId.filter(k -> !k.isEmpty())),
                Secrets.requireReal("graft.s3.secret-access-key", secretAccessKey.filter(k -> !k.isEmpty())),
                maxAttempts, Duration.ofMillis(500), Duration.ofSeconds(10));
    }

    /** From settings looked up by their names ({@code graft.s3.region} ...): the command line's, from the environment. */
    public static S3Settings from(Function<String, Optional<String>> config) {
        return of(config.apply("graft.s3.endpoint"), config.apply("graft.s3.region").orElse(DEFAULT_REGION),
                config.apply("graft.s3.path-style").map(Boolean::parseBoolean).orElse(false),
                config.apply("graft.s3.access-key-id"), config.apply("graft.s3.secret-access-key"),
                Integer.parseInt(config.apply("graft.s3.max-attempts").orElse(DEFAULT_MAX_ATTEMPTS)));
    }

    public static S3Settings local(String endpoint, String accessKey, String secretKey) {
        return new S3Settings(Optional.of(URI.create(endpoint)), "us-east-1", true, Optional.of(accessKey),
                Optional.of(secretKey), 6, Duration.ofMillis(500), Duration.ofSeconds(10));
    }

    public S3Settings withMaxAttempts(int attempts) {
        return new S3Settings(endpoint, region, pathStyle, accessKeyId, secretAccessKey, attempts, baseDelay, maxDelay);
    }
}
