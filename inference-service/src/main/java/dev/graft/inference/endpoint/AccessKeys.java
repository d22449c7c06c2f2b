package dev.graft.inference.endpoint;

import dev.graft.inference.config.InferenceConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Optional;

/**
 * The keys of the admin and prediction endpoints, from the configuration. A bean of its own because
 * the filters are built before the runtime configuration is read: they reach it through this
 * bean's proxy on their first request.
 */
@ApplicationScoped
public class AccessKeys {
    private final ApiKey admin;
    private final ApiKey predict;

    public AccessKeys(InferenceConfig config) {
        this.admin = ApiKey.of(config.admin().apiKeyHeader(), List.of(config.admin().apiKey()));
        Optional<String> predictKey = config.predict().apiKey();
        boolean required = predictKey.filter(key -> !key.isBlank()).isPresent();
        // the admin key opens the prediction endpoints too, once they need a key at all
        this.predict = ApiKey.of(config.admin().apiKeyHeader(),
                required ? List.of(predictKey, config.admin().apiKey()) : List.of());
    }

    ApiKey admin() {
        return admin;
    }

    ApiKey predict() {
        return predict;
    }
}
