package dev.graft.trainer.job;

import java.time.Duration;

/** A wait between tries that gives up quietly when the thread is interrupted (the trainer stopping). */
public final class Pause {
    private Pause() {
    }

    public static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
