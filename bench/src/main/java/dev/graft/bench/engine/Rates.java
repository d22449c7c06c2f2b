package dev.graft.bench.engine;

/**
 * Images per second of a training step at batch 32 (of the whole network; of its top as the fine-tune phase trains
 * it on cached features, NaN where not measured) and of forward passes at batch 16 and 1.
 */
record Rates(double train, double trainTop, double forward16, double forward1) {
    Rates mean(Rates other) {
        return new Rates((train + other.train) / 2, (trainTop + other.trainTop) / 2, (forward16 + other.forward16) / 2,
                (forward1 + other.forward1) / 2);
    }
}
