package dev.graft.trainer.storage;

import dev.graft.trainer.config.TrainerConfig;
import dev.graft.store.ModelStore;
import dev.graft.store.S3Settings;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;


/**
 * The storage this trainer works on: the model store it publishes to ({@code graft.store.uri}, a
 * folder or {@code s3://BUCKET/PREFIX}) and how to reach S3 ({@code graft.s3.*}).
 */
public class StorageProducer {
    @Produces
    @Singleton
    S3Settings s3(TrainerConfig config) {
        return config.s3().settings();
    }

    @Produces
    @Singleton
    ModelStore modelStore(TrainerConfig config, S3Settings s3) {
        return ModelStore.open(config.store().uri(), s3, config.trainer().cacheDir().resolve("models"),
                config.store().cacheMaxBytes());
    }
}
