package dev.graft.loop.join;

import dev.graft.loop.config.LoopConfig;

import java.time.Duration;

/** The join's windows as plain values, so that its topology can be built and run outside the service. */
public record JoinSettings(Duration window, Duration liveWindow, Duration sweepInterval) {
    public JoinSettings {
        if (window.isNegative() || window.isZero() || liveWindow.isNegative() || liveWindow.isZero()
                || sweepInterval.isNegative() || sweepInterval.isZero()) {
            throw new IllegalArgumentException("graft.feedback.window, graft.live.window and graft.loop.sweep-interval"
                    + " must be positive");
        }
    }

    public static JoinSettings of(LoopConfig config) {
        return new JoinSettings(config.feedback().window(), config.live().window(), config.loop().sweepInterval());
    }
}
