package dev.graft.inference.config;

import dev.graft.imaging.ImageLimits;
import dev.graft.store.ModelStore;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Turns {@code graft.*} configuration into the objects the service is built from. */
public class ServingSettingsProducer {

    @Produces
    @Singleton
    ServingSettings settings(InferenceConfig all) {
        InferenceConfig.Serving config = all.serving();
        InferenceConfig.Serving.Defaults d = config.defaults();
        ServingSettings.ModelSettings defaults = new ServingSettings.ModelSettings(d.promotion(), d.maxBatchSize(), d.maxWait(),
                new ServingSettings.Shadow(d.shadowShare(), d.shadowMinExamples()));
        Map<String, ServingSettings.ModelSettings> models = new HashMap<>();
        config.models().forEach((model, o) -> models.put(model, new ServingSettings.ModelSettings(
                o.promotion().orElse(defaults.promotion()), o.maxBatchSize().orElse(defaults.maxBatchSize()),
                o.maxWait().orElse(defaults.maxWait()), new ServingSettings.Shadow(
                        o.shadowShare().orElse(defaults.shadow().share()),
                        o.shadowMinExamples().orElse(defaults.shadow().minExamples())))));
        InferenceConfig.Serving.Limits limits = config.limits();
        InferenceConfig.Serving.LoadRetries retries = config.loadRetries();
        return new ServingSettings(config.keepVersions(), config.warmupPredictions(), config.rescanInterval(),
                new ServingSettings.LoadRetries(retries.maxAttempts(), retries.initialBackoff(), retries.maxBackoff()),
                config.requiredModels().orElse(List.of()), defaults, models,
                new ImageLimits(limits.maxImageSide(), limits.maxImagePixels(), ImageLimits.parseFormats(all.image().formats())),
                limits.maxImagesPerRequest());
    }

    /** {@code graft.store.uri}: a folder, or {@code s3://BUCKET/PREFIX} read through the local cache. */
    @Produces
    @Singleton
    ModelStore modelStore(InferenceConfig config) {
        return ModelStore.open(config.store().uri(), config.s3().settings(), config.store().cacheDir(), config.store().cacheMaxBytes());
    }
}
