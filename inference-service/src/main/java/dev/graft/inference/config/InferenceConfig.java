package dev.graft.inference.config;

import dev.graft.imaging.ImageLimits;
import dev.graft.store.S3Config;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * Every {@code graft.*} setting of the inference service, each default stated here once. Each one can
 * also be set from the environment by the usual rule: {@code graft.serving.keep-versions} is
 * {@code GRAFT_SERVING_KEEP_VERSIONS}.
 */
@ConfigMapping(prefix = "graft")
public interface InferenceConfig {

    Store store();

    /** How versions are chosen and kept, how requests are batched and limited. */
    Serving serving();

    Image image();

    Admin admin();

    /** How to reach S3-compatible storage, where a location is {@code s3://} (the group every service shares). */
    S3Config s3();

    Predict predict();

    /** The prediction log and the ids feedback names: the loop from live predictions back to training (docs/loop.md). */
    Predictions predictions();

    Feedback feedback();

    /** Images of logged predictions kept, once per sha256, for training on feedback (docs/loop.md#image-capture). */
    Capture capture();

    interface Capture {
        /** Keep the images of logged predictions. */
        @WithDefault("false")
        boolean images();

        /** A folder (the trainer's data root by default, so a dataset can name them) or {@code s3://BUCKET/PREFIX/}. */
        @WithDefault(".graft/data/captured")
        String location();

        /** Captured bytes at most (what is there at start counted); past it new images are not kept, and counted. */
        @WithDefault("1073741824")
        long maxBytes();

        /** Images waiting to be written; past it new ones are dropped, and counted. */
        @WithDefault("256")
        int buffer();

        /** Their bytes at most: past it new ones are dropped, and counted. */
        @WithDefault("67108864")
        long bufferBytes();
    }

    interface Predictions {
        Log log();

        /**
         * Signs prediction ids, so that any replica with the same key can check the id feedback names. Empty: a
         * random key of this process (feedback then works only on this replica until it restarts).
         */
        Optional<String> idKey();

        interface Log {
            /** Answered predictions published on graft.predictions. */
            @WithDefault("true")
            boolean enabled();

            /** The share of answered predictions published, 0..1, each drawn at random. */
            @WithDefault("1.0")
            double share();

            /** Per-model shares over {@link #share()}: {@code graft.predictions.log.model-share."NAME"=0.01}. */
            Map<String, Double> modelShare();

            /** Records waiting for Kafka; past it new ones are dropped (and counted), never waited for. */
            @WithDefault("10000")
            int buffer();
        }
    }

    interface Feedback {
        /** How long after a prediction feedback on it is taken; older ids get 410. */
        @WithDefault("P7D")
        Duration window();
    }

    interface Store {
        /** A folder, or {@code s3://BUCKET/PREFIX/} read through the local cache. */
        @WithDefault(".graft/models")
        String uri();

        /** Artifacts from object storage are downloaded, verified and loaded from here. */
        @WithDefault(".graft/cache/inference")
        Path cacheDir();

        /** The cache's size; least recently used artifacts go beyond it. */
        @WithDefault("10737418240")
        long cacheMaxBytes();
    }

    interface Image {
        /** Formats (ImageIO names) accepted; the trainer's list must be within it. */
        @WithDefault(ImageLimits.DEFAULT_FORMATS)
        String formats();
    }

    interface Admin {
        /** Pinning and unpinning need this key when it is set. */
        Optional<String> apiKey();

        /** The header that carries either key. */
        @WithDefault("X-Graft-Api-Key")
        String apiKeyHeader();
    }

    interface Predict {
        /** Predictions need this key (or the admin key) when it is set; open otherwise. */
        Optional<String> apiKey();
    }

    interface Serving {
        /** Versions of each model kept loaded, the serving one included; older ones are loaded again on demand. */
        @WithDefault("2")
        int keepVersions();

        /** Predictions on synthetic input that warm a loaded version up before it may serve. */
        @WithDefault("3")
        int warmupPredictions();

        /**
         * How often the store is listed beside the model-version events: versions written without an event
         * serve, removed ones are retired. 0 lists it only at start-up.
         */
        @WithDefault("30s")
        Duration rescanInterval();

        /** Loads that failed for a passing reason (storage unreadable) are tried again with a growing pause. */
        LoadRetries loadRetries();

        /** Models that must serve a warmed version before /q/health/ready is UP. */
        Optional<List<String>> requiredModels();

        /** Settings of every model that has no override under {@code graft.serving.models."NAME"}. */
        Defaults defaults();

        /** Per-model overrides of {@link #defaults()}. */
        Map<String, Overrides> models();

        Limits limits();

        interface Defaults {
            /** latest: every new version serves once warmed; gated: only if it beats the serving one. */
            @WithDefault("latest")
            ServingSettings.Policy promotion();

            /** The most images one forward pass takes; 1 turns dynamic batching off. */
            @WithDefault("16")
            int maxBatchSize();

            /** The longest a request waits for others to share its forward pass. */
            @WithDefault("5ms")
            Duration maxWait();

            /**
             * Above 0, a new version goes into shadow before it may serve: it answers this share of live requests
             * beside the serving version (logged, never returned) until the loop has compared both on live feedback.
             */
            @WithDefault("0")
            double shadowShare();

            /** Feedback-labelled live examples both versions answered before the live gate decides. */
            @WithDefault("50")
            int shadowMinExamples();
        }

        interface Overrides {
            Optional<ServingSettings.Policy> promotion();

            OptionalInt maxBatchSize();

            Optional<Duration> maxWait();

            OptionalDouble shadowShare();

            OptionalInt shadowMinExamples();
        }

        interface LoadRetries {
            /** Attempts in all, the first included; deterministic failures (sha256, manifest) get one. */
            @WithDefault("5")
            int maxAttempts();

            /** The pause after the first failure; it doubles after each further one. */
            @WithDefault("2s")
            Duration initialBackoff();

            @WithDefault("30s")
            Duration maxBackoff();
        }

        interface Limits {
            /** Checked from the image header before any pixel is decoded. */
            @WithDefault("8192")
            int maxImageSide();

            @WithDefault("40000000")
            long maxImagePixels();

            /** Images in one request (multipart files, JSON images, V2 batch). */
            @WithDefault("64")
            int maxImagesPerRequest();
        }
    }
}
