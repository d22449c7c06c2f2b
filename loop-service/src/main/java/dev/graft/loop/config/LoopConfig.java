package dev.graft.loop.config;

import dev.graft.store.S3Config;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Every {@code graft.*} setting of the loop service, each default stated here once; from the environment
 * by the usual rule ({@code graft.live.window} is {@code GRAFT_LIVE_WINDOW}).
 */
@ConfigMapping(prefix = "graft")
public interface LoopConfig {

    Feedback feedback();

    Live live();

    Loop loop();

    /** Retraining that starts itself: where feedback datasets go, and a policy per model (docs/loop.md#retraining). */
    Retrain retrain();

    /** How to reach S3-compatible storage, where {@code graft.retrain.captured} is {@code s3://}. */
    S3Config s3();

    interface Feedback {
        /**
         * Feedback joins a prediction made at most this long before it (the inference service's own
         * graft.feedback.window, which refuses older ids with 410); predictions are kept this long.
         */
        @WithDefault("P7D")
        Duration window();

        /**
         * How much longer predictions and waiting feedback are kept, by this service's clock: feedback given at
         * the window's end, or read after an outage of the loop service shorter than this, still joins.
         */
        @WithDefault("P1D")
        Duration grace();
    }

    interface Live {
        /** Live accuracy, MAE and confusion count the examples labelled within this sliding window. */
        @WithDefault("PT1H")
        Duration window();
    }

    interface Loop {
        /** How often expired predictions and feedback are swept and the live figures computed again. */
        @WithDefault("10s")
        Duration sweepInterval();

        /** Kafka Streams' application id: the consumer group, and the prefix of its changelog topics. */
        @WithDefault("graft-loop")
        String applicationId();

        /** The local copies of the join's stores (restored from their changelogs when missing). */
        @WithDefault(".graft/loop-state")
        Path stateDir();
    }

    interface Retrain {
        /**
         * Where the inference service keeps captured images (its graft.capture.location): a folder or
         * {@code s3://BUCKET/PREFIX/}. Each retraining's feedback CSV is written beside the model's images.
         */
        @WithDefault(".graft/data/captured")
        String captured();

        /**
         * How a training request names that location: relative to the trainer's data root (the default
         * suits bin/graft's layout), or the same {@code s3://} location.
         */
        @WithDefault("captured")
        String capturedAs();

        /** How long a labelled example stays in its model's feedback dataset (by when it was labelled). */
        @WithDefault("P90D")
        Duration keep();

        /** A policy per model name; models without one are never retrained by the loop. */
        Map<String, Policy> models();

        interface Policy {
            /** A training request as JSON (the one that trained the model, typically): what each retraining sends. */
            Path request();

            /** Retrain after this many new labelled examples of the model. */
            Optional<Integer> afterExamples();

            /** Retrain when the newest version's live accuracy falls below this (a classifier). */
            Optional<Double> belowAccuracy();

            /** Retrain when the newest version's live MAE rises above this (a regressor). */
            Optional<Double> aboveMae();

            /** Live figures of fewer examples than this never trigger a retraining. */
            @WithDefault("20")
            int minExamples();

            /** {@code request}: train from the request's base; {@code serving}: from the version of the latest labelled prediction. */
            @WithDefault("request")
            String from();
        }
    }
}
