package dev.graft.inference.config;

import dev.graft.shared.image.ImageLimits;
import dev.graft.shared.store.ModelStore;
import dev.graft.shared.store.S3Settings;
import org.eclipse.microprofile.config.ConfigProvider;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Turns {@code graft.*} configuration into the objects the service is built from. */
public class ServingSettingsProducer {

    @Produces
    @Singleton
    ServingSettings settings(ServingConfig config,
                             @ConfigProperty(name = ImageLimits.FORMATS_PROPERTY, defaultValue = ImageLimits.DEFAULT_FORMATS)
                             String formats) {
        ServingConfig.Defaults d = config.defaults();
        ServingSettings.ModelSettings defaults = new ServingSettings.ModelSettings(d.promotion(), d.maxBatchSize(), d.maxWait());
        Map<String, ServingSettings.ModelSettings> models = new HashMap<>();
        config.models().forEach((model, o) -> models.put(model, new ServingSettings.ModelSettings(
                o.promotion().orElse(defaults.promotion()), o.maxBatchSize().orElse(defaults.maxBatchSize()),
                o.maxWait().orElse(defaults.maxWait()))));
        ServingConfig.Limits limits = config.limits();
        ServingConfig.LoadRetries retries = config.loadRetries();
        return new ServingSettings(config.keepVersions(), config.warmupPredictions(), config.rescanInterval(),
                new ServingSettings.LoadRetries(retries.maxAttempts(), retries.initialBackoff(), retries.maxBackoff()),
                config.requiredModels().orElse(List.of()), defaults, models,
                new ImageLimits(limits.maxImageSide(), limits.maxImagePixels(), ImageLimits.parseFormats(formats)),
                limits.maxImagesPerRequest());
    }

    /** {@code graft.store.uri}: a folder, or {@code s3://BUCKET/PREFIX} read through the local cache. */
    @Produces
    @Singleton
    ModelStore modelStore(@ConfigProperty(name = "graft.store.uri") String uri,
                          @ConfigProperty(name = "graft.store.cache-dir") Path cacheDir,
                          @ConfigProperty(name = "graft.store.cache-max-bytes") long cacheMaxBytes) {
        S3Settings s3 = S3Settings.from(name -> ConfigProvider.getConfig().getOptionalValue(name, String.class));
        return ModelStore.open(uri, s3, cacheDir, cacheMaxBytes);
    }
}
