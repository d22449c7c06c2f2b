package dev.graft.loop.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Every {@code graft.*} setting of the loop service, each default stated here once; from the environment
 * by the usual rule ({@code graft.live.window} is {@code GRAFT_LIVE_WINDOW}).
 */
@ConfigMapping(prefix = "graft")
public interface LoopConfig {

    Feedback feedback();

    Live live();

    Loop loop();

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
}
