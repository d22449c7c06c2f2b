package dev.graft.trainer.training;

import java.util.List;
import java.util.Optional;

/**
 * The learning rate of each epoch of a phase, set before the epoch starts (so a phase resumed from a
 * checkpoint goes on at the rate it would have had). Adam's moments are kept across the changes.
 */
public enum LearningRateSchedule {
    /** The phase's rate in every epoch. */
    CONSTANT {
        @Override
        double rate(double initial, int epoch, int epochs) {
            return initial;
        }
    },
    /**
     * Half a cosine from the phase's rate towards 0 (Loshchilov and Hutter's SGDR without restarts,
     * Keras' CosineDecay): epoch 1 trains at the full rate, the last at a few percent of it.
     */
    COSINE {
        @Override
        double rate(double initial, int epoch, int epochs) {
            return initial * 0.5 * (1 + Math.cos(Math.PI * (epoch - 1) / epochs));
        }
    };

    public static final List<String> NAMES = WireNames.all(values());

    /** The rate of epoch {@code epoch} (1-based) of {@code epochs}, starting from {@code initial}. */
    abstract double rate(double initial, int epoch, int epochs);

    public String wireName() {
        return WireNames.of(this);
    }

    /** Null (not given) is constant; an unknown name is empty. */
    static Optional<LearningRateSchedule> parse(String name) {
        return WireNames.parse(values(), name, CONSTANT);
    }
}
