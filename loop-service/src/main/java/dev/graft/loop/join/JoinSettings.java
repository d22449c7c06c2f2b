package dev.graft.loop.join;

import dev.graft.loop.config.LoopConfig;

import java.time.Duration;

/**
 * The join's windows as plain values, so that its topology can be built and run outside the service.
 *
 * @param grace how much longer than the window predictions and waiting feedback are kept (by this service's
 *              clock): feedback given at the window's end, or read late after an outage, still finds its prediction
 */
public record JoinSettings(Duration window, Duration grace, Duration liveWindow, Duration sweepInterval) {
    public JoinSettings {
        if (window.isNegative() || window.isZero() || grace.isNegative() || liveWindow.isNegative() || liveWindow.isZero()
                || sweepInterval.isNegative() || sweepInterval.isZero()) {
            throw new IllegalArgumentException("graft.feedback.window, graft.live.window and graft.loop.sweep-interval"
                    + " must be positive, graft.feedback.grace not negative");
        }
    }

    public static JoinSettings of(LoopConfig config) {
        return new JoinSettings(config.feedback().window(), config.feedback().grace(), config.live().window(),
                config.loop().sweepInterval());
    }
}
