package dev.graft.trainer.training;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a training has done so far: the report's history, each phase's seconds and early stop, how
 * phase 1 ran, the best validation loss across phases and its epoch, and the running phase's own
 * loop state. The epoch loop carries it forward; a checkpoint writes it as it is, and a resumed
 * training starts the loop from it.
 *
 * @param forwardSecondsPerImage one inference-mode pass per image through the whole network, for the ETA; NaN until measured
 * @param phase                  the running phase's loop state; null before its first epoch (and at the end of phase 1)
 */
public record Progress(List<EpochResult> history, Map<String, Double> phaseSeconds, Map<String, Integer> stoppedEarly,
                       String frozenMode, double bestLoss, TrainingReport.BestEpoch best, double forwardSecondsPerImage,
                       InPhase phase) {

    /**
     * A phase's loop state after {@code epochsDone} epochs: its lowest validation loss, the epochs since
     * it (what patience counts) and its seconds so far.
     */
    public record InPhase(int epochsDone, double phaseBest, int sinceBest, double secondsSoFar) {
        static final InPhase FIRST = new InPhase(0, Double.POSITIVE_INFINITY, 0, 0);

        /** After {@code epoch}, which ended with {@code validationLoss} and took {@code seconds}. */
        InPhase after(int epoch, double validationLoss, double seconds) {
            return validationLoss < phaseBest ? new InPhase(epoch, validationLoss, 0, secondsSoFar + seconds)
                    : new InPhase(epoch, phaseBest, sinceBest + 1, secondsSoFar + seconds);
        }

        /** Whether this epoch set the phase's best. */
        boolean improvedOn(InPhase before) {
            return phaseBest < before.phaseBest;
        }

        /** {@code patience} epochs (0: none) without a lower validation loss: early stopping ends the phase. */
        boolean patienceRunOut(int patience) {
            return patience > 0 && sinceBest >= patience;
        }

        /** An early stop kept as the phase's end, so a resumed phase does not train on. */
        InPhase asPhaseEnd(int epochs) {
            return new InPhase(epochs, phaseBest, sinceBest, secondsSoFar);
        }
    }

    static Progress start() {
        return new Progress(List.of(), Map.of(), Map.of(), null, Double.POSITIVE_INFINITY, null, Double.NaN, null);
    }

    /** Where the running phase's loop goes on from: its first epoch when {@link #phase} is null. */
    InPhase loop() {
        return phase != null ? phase : InPhase.FIRST;
    }

    Progress withEpoch(EpochResult epoch) {
        List<EpochResult> more = new ArrayList<>(history);
        more.add(epoch);
        return new Progress(List.copyOf(more), phaseSeconds, stoppedEarly, frozenMode, bestLoss, best,
                forwardSecondsPerImage, phase);
    }

    Progress inPhase(InPhase loop) {
        return new Progress(history, phaseSeconds, stoppedEarly, frozenMode, bestLoss, best, forwardSecondsPerImage, loop);
    }

    Progress withBest(TrainingReport.BestEpoch epoch) {
        return new Progress(history, phaseSeconds, stoppedEarly, frozenMode, bestLoss, epoch, forwardSecondsPerImage, phase);
    }

    Progress withBestLoss(double loss) {
        return new Progress(history, phaseSeconds, stoppedEarly, frozenMode, loss, best, forwardSecondsPerImage, phase);
    }

    Progress withPhaseSeconds(String name, double seconds) {
        return new Progress(history, put(phaseSeconds, name, seconds), stoppedEarly, frozenMode, bestLoss, best,
                forwardSecondsPerImage, phase);
    }

    Progress withStoppedEarly(String name, int epoch) {
        return new Progress(history, phaseSeconds, put(stoppedEarly, name, epoch), frozenMode, bestLoss, best,
                forwardSecondsPerImage, phase);
    }

    Progress withFrozenMode(String mode) {
        return new Progress(history, phaseSeconds, stoppedEarly, mode, bestLoss, best, forwardSecondsPerImage, phase);
    }

    Progress withForwardSecondsPerImage(double seconds) {
        return new Progress(history, phaseSeconds, stoppedEarly, frozenMode, bestLoss, best, seconds, phase);
    }

    /** In insertion order, as the report lists phases. */
    private static <V> Map<String, V> put(Map<String, V> map, String key, V value) {
        Map<String, V> copy = new LinkedHashMap<>(map);
        copy.put(key, value);
        return Collections.unmodifiableMap(copy);
    }
}
