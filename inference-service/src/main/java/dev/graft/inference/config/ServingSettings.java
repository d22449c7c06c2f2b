package dev.graft.inference.config;

import dev.graft.imaging.ImageLimits;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The serving configuration as plain values, resolved per model, so that the version and predict
 * classes can be built in tests without a running application.
 */
public record ServingSettings(int keepVersions, int warmupPredictions, Duration rescanInterval, LoadRetries loadRetries,
                              List<String> requiredModels, ModelSettings defaults, Map<String, ModelSettings> models,
                              ImageLimits imageLimits, int maxImagesPerRequest) {

    public enum Policy {
        LATEST, GATED;

        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * @param maxBatchSize images per forward pass; 1 for no batching
     * @param shadow       whether a new version goes into shadow before it may serve, and on what evidence
     */
    public record ModelSettings(Policy promotion, int maxBatchSize, Duration maxWait, Shadow shadow) {
        public ModelSettings {
            if (maxBatchSize < 1 || maxWait.isNegative()) {
                throw new IllegalArgumentException("max-batch-size must be >= 1 and max-wait >= 0");
            }
        }

        /** Without shadow. */
        public ModelSettings(Policy promotion, int maxBatchSize, Duration maxWait) {
            this(promotion, maxBatchSize, maxWait, Shadow.OFF);
        }
    }

    /**
     * The live gate: with a share above 0, a version that would serve is first put in shadow. It answers
     * that share of the requests the serving version answers (its answers logged, never returned), and
     * serves only once the loop has compared both on at least {@code minExamples} feedback-labelled live
     * examples and it is at least as good; a worse one is held back.
     */
    public record Shadow(double share, int minExamples) {
        public static final Shadow OFF = new Shadow(0, 50);

        public Shadow {
            if (share < 0 || share > 1 || minExamples < 1) {
                throw new IllegalArgumentException("shadow-share must be within 0..1 and shadow-min-examples at least 1, not "
                        + share + " and " + minExamples);
            }
        }

        public boolean on() {
            return share > 0;
        }
    }

    /** Attempts for a load that failed for a passing reason, and the pause before each further one. */
    public record LoadRetries(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
        public LoadRetries {
            if (maxAttempts < 1 || initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
                throw new IllegalArgumentException("graft.serving.load-retries: max-attempts must be >= 1 and "
                        + "0 <= initial-backoff <= max-backoff");
            }
        }

        /** The pause after {@code failures} failed attempts: initial, doubled each time, at most max. */
        public Duration backoff(int failures) {
            Duration pause = initialBackoff;
            for (int i = 1; i < failures && pause.compareTo(maxBackoff) < 0; i++) {
                pause = pause.multipliedBy(2);
            }
            return pause.compareTo(maxBackoff) < 0 ? pause : maxBackoff;
        }
    }

    public ServingSettings {
        if (keepVersions < 1) {
            throw new IllegalArgumentException("graft.serving.keep-versions must be >= 1");
        }
        if (rescanInterval.isNegative()) {
            throw new IllegalArgumentException("graft.serving.rescan-interval must be >= 0");
        }
        requiredModels = List.copyOf(requiredModels);
        models = Map.copyOf(models);
    }

    public ModelSettings forModel(String model) {
        return models.getOrDefault(model, defaults);
    }

    /**
     * Defaults for tests: latest, batches of up to 16 within 5 ms, the default formats up to 8192 pixels a
     * side, a rescan every 30 s, 5 load attempts 100 ms apart at first (2 s in the service).
     */
    public static ServingSettings standard() {
        return new ServingSettings(2, 3, Duration.ofSeconds(30),
                new LoadRetries(5, Duration.ofMillis(100), Duration.ofSeconds(30)), List.of(),
                new ModelSettings(Policy.LATEST, 16, Duration.ofMillis(5)), Map.of(),
                new ImageLimits(8192, 40_000_000L, ImageLimits.parseFormats(ImageLimits.DEFAULT_FORMATS)), 64);
    }

    public ServingSettings withModel(String model, ModelSettings settings) {
        Map<String, ModelSettings> all = new HashMap<>(models);
        all.put(model, settings);
        return new ServingSettings(keepVersions, warmupPredictions, rescanInterval, loadRetries, requiredModels, defaults,
                all, imageLimits, maxImagesPerRequest);
    }

    public ServingSettings withKeepVersions(int keep) {
        return new ServingSettings(keep, warmupPredictions, rescanInterval, loadRetries, requiredModels, defaults, models,
                imageLimits, maxImagesPerRequest);
    }

    public ServingSettings withLoadRetries(LoadRetries retries) {
        return new ServingSettings(keepVersions, warmupPredictions, rescanInterval, retries, requiredModels, defaults, models,
                imageLimits, maxImagesPerRequest);
    }

    public ServingSettings withRescanInterval(Duration interval) {
        return new ServingSettings(keepVersions, warmupPredictions, interval, loadRetries, requiredModels, defaults, models,
                imageLimits, maxImagesPerRequest);
    }
}
