package dev.graft.inference.endpoint;

import dev.graft.inference.config.InferenceConfig;
import dev.graft.store.security.Secrets;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Optional;

/**
 * The keys of the admin and prediction endpoints, from the configuration. A bean of its own because
 * the filters are built before the runtime configuration is read: they reach it through this
 * bean's proxy on their first request. Built at start, so that a placeholder or too short a key stops
 * the service there rather than guarding it badly.
 */
@Startup
@ApplicationScoped
public class AccessKeys {
    private static final Logger LOG = Logger.getLogger(AccessKeys.class);
    static final int MIN_LENGTH = 16;
    static final String ADMIN_OFF = "the admin endpoints are off: set graft.admin.api-key (environment variable "
            + "GRAFT_ADMIN_API_KEY, at least " + MIN_LENGTH + " characters) to turn them on, then send it in the ";

    private final ApiKey admin;
    private final ApiKey predict;

    public AccessKeys(InferenceConfig config) {
        String header = config.admin().apiKeyHeader();
        Optional<String> adminKey = checked("graft.admin.api-key", config.admin().apiKey());
        Optional<String> predictKey = checked("graft.predict.api-key", config.predict().apiKey());
        this.admin = ApiKey.of(header, List.of(adminKey), Optional.of(ADMIN_OFF + header + " header"));
        // the admin key opens the prediction endpoints too, once they need a key at all
        this.predict = ApiKey.of(header, predictKey.isPresent() ? List.of(predictKey, adminKey) : List.of(), Optional.empty());
        if (admin.off()) {
            LOG.warn("admin endpoints (pinning and unpinning versions) are off: no graft.admin.api-key is set");
        }
        if (predictKey.isEmpty()) {
            LOG.info("predictions are open: no graft.predict.api-key is set");
        }
    }

    static Optional<String> checked(String property, Optional<String> key) {
        Secrets.requireReal(property, key).ifPresent(k -> {
            if (k.length() < MIN_LENGTH) {
                throw new IllegalArgumentException(property + " is " + k.length() + " characters long; use at least "
                        + MIN_LENGTH + " (e.g. 'openssl rand -hex 32')");
            }
        });
        return key;
    }

    ApiKey admin() {
        return admin;
    }

    ApiKey predict() {
        return predict;
    }
}
