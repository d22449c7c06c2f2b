package dev.graft.bench.engine;

/** Images per second of a training step at batch 32 and of forward passes at batch 16 and 1. */
record Rates(double train, double forward16, double forward1) {
    Rates mean(Rates other) {
        return new Rates((train + other.train) / 2, (forward16 + other.forward16) / 2, (forward1 + other.forward1) / 2);
    }
}
