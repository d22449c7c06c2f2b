package dev.graft.trainer.job;

/** When a job began: every outcome's job metric says how long the job took until then. */
final class Stopwatch {
    private final long started = System.nanoTime();

    double seconds() {
        return (System.nanoTime() - started) / 1e9;
    }
}
