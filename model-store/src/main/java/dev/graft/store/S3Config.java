package dev.graft.store;

import io.smallrye.config.WithDefault;

import java.util.Optional;

/**
 * How to reach S3-compatible storage where a location is {@code s3://}: the {@code graft.s3.*} group
 * every service's configuration shares, so that the settings mean the same everywhere.
 */
public interface S3Config {
    /** Empty: AWS itself; MinIO or the local server: their URL. */
    Optional<String> endpoint();

    @WithDefault(S3Settings.DEFAULT_REGION)
    String region();

    /** Path-style addressing, which MinIO and the local server need. */
    @WithDefault("false")
    boolean pathStyle();

    /** Empty, with the secret: the standard AWS credentials chain (environment, profile, role). */
    Optional<String> accessKeyId();

    Optional<String> secretAccessKey();

    /** Attempts per storage call, with backoff between them, before it fails. */
    @WithDefault(S3Settings.DEFAULT_MAX_ATTEMPTS)
    int maxAttempts();

    default S3Settings settings() {
        return S3Settings.of(endpoint(), region(), pathStyle(), accessKeyId(), secretAccessKey(), maxAttempts());
    }
}
