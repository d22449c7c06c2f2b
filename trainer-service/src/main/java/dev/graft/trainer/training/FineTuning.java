package dev.graft.trainer.training;

import dev.graft.trainer.base.BaseSurgery;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.util.Locale;
import java.util.Optional;

/**
 * Phase 2: the base unfrozen from a layer upward trains with the head at a lower rate, batch norms
 * kept in inference mode. On the cached output of the one frozen vertex the trained layers take
 * (see {@link FineTuneFeatures}) where there is one and it fits the cache, else end to end. Built on
 * a copy: if fine-tuning never beats phase 1, the model keeps phase 1's best weights.
 */
final class FineTuning {
    /** @param mode how the phase ran, for the report */
    record Tuned(ComputationGraph network, Progress progress, String mode) {
    }

    private final TrainingPlan plan;
    private final ImageSets images;
    private final EpochLoop loop;
    private final FeatureCache cache;

    FineTuning(TrainingPlan plan, ImageSets images, EpochLoop loop, FeatureCache cache) {
        this.plan = plan;
        this.images = images;
        this.loop = loop;
        this.cache = cache;
    }

    /**
     * Fine-tunes {@code graph} (phase 1's network, nothing frozen) from {@code unfreezeVertex}; {@code resumed}
     * is this phase's newest checkpoint, if any: it goes on the way it ran, whatever the cache's limit is now.
     */
    Tuned train(ComputationGraph graph, String unfreezeVertex, Progress progress, Optional<Checkpoint.Saved> resumed) {
        progress = resumed.map(Checkpoint.Saved::progress).orElse(progress);
        double earlier = progress.loop().secondsSoFar();
        ComputationGraph network = BaseSurgery.frozenBelow(BaseSurgery.unfrozen(graph), unfreezeVertex,
                plan.fineTune().learningRate(), plan.seed());
        long start = System.nanoTime();
        boolean resumedOnImages = resumed.isPresent() && resumed.get().network().getConfiguration().getNetworkInputs()
                .equals(network.getConfiguration().getNetworkInputs());
        Optional<String> boundary = resumed.isEmpty() ? cache.boundary(network, unfreezeVertex)
                : resumedOnImages ? Optional.empty()
                : Optional.of(resumed.get().network().getConfiguration().getNetworkInputs().get(0));
        EpochLoop.Result result;
        String mode;
        if (boundary.isPresent()) {
            FineTuneFeatures.Cached inputs = cache.boundaryFeatures(network, boundary.get());
            mode = String.format(Locale.ROOT, "%s: the frozen layers up to %s ran once over %d images in %.1f s (%d MiB)",
                    FeatureCache.CACHED, inputs.vertex(), inputs.train().size(0) + inputs.validation().size(0), inputs.seconds(),
                    (inputs.train().length() + inputs.validation().length()) * Float.BYTES >> 20);
            ComputationGraph top = resumed.map(Checkpoint.Saved::network)
                    .orElseGet(() -> FineTuneFeatures.top(network, unfreezeVertex, inputs.vertex()));
            // as costly per image as end to end: the train metric is taken on a sample
            result = loop.run(top, plan.fineTune(), inputs.train(), inputs.validation(), true, progress,
                    resumed.map(Checkpoint.Saved::phaseBestParams).orElse(null));
            FineTuneFeatures.copyLayers(top, network);
        } else {
            mode = endToEndBecause(network, unfreezeVertex);
            ComputationGraph trained = resumed.map(Checkpoint.Saved::network).orElse(network);
            result = loop.run(trained, plan.fineTune(), images.trainImages(), images.validationImages(), true, progress,
                    resumed.map(Checkpoint.Saved::phaseBestParams).orElse(null));
            // assigned, not set: DL4J's setParams fails on the batch norms kept in inference mode
            network.params().assign(trained.params());
        }
        progress = loop.ended(result.progress(), plan.fineTune().name(), earlier + EpochLoop.seconds(start));
        return new Tuned(result.improved() ? BaseSurgery.unfrozen(network) : graph, progress, mode);
    }

    private String endToEndBecause(ComputationGraph network, String unfreezeVertex) {
        return plan.augmentation() != null ? FeatureCache.AUGMENTED
                : cache.boundary(network, unfreezeVertex).isPresent() ? "end to end, as it ran before the trainer restarted"
                : FineTuneFeatures.boundary(network, unfreezeVertex).isPresent()
                ? "end to end: the frozen layers' output is over graft.trainer.max-feature-cache-bytes"
                : "end to end: the trained layers take their input from more than one frozen layer, or the images";
    }
}
