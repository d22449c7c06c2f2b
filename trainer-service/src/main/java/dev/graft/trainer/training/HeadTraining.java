package dev.graft.trainer.training;

import dev.graft.trainer.base.Base;
import dev.graft.trainer.base.BaseLayers;
import dev.graft.trainer.base.BaseSurgery;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Locale;
import java.util.Optional;

/**
 * Phase 1: the new head trains on the frozen base. Without augmentation, and when they fit the cache,
 * the base's features are computed once and the head trains on them alone ({@link FrozenFeatures});
 * otherwise end to end with the base frozen. Resumed after the last epoch a checkpoint holds when
 * that was run the same way (cached features are then computed again: one forward pass).
 */
final class HeadTraining {
    /** The network after a phase, and the training's progress. */
    record Trained(ComputationGraph network, Progress progress) {
    }

    private final TrainingPlan plan;
    private final ImageSets images;
    private final EpochLoop loop;
    private final FeatureCache cache;
    private final RecipeListener listener;

    HeadTraining(TrainingPlan plan, ImageSets images, EpochLoop loop, FeatureCache cache, RecipeListener listener) {
        this.plan = plan;
        this.images = images;
        this.loop = loop;
        this.cache = cache;
        this.listener = listener;
    }

    /**
     * Trains {@code graph}'s head; {@code lastEpoch} is this phase's newest checkpoint, if any.
     * {@code unfreezeVertex} (null without phase 2) says which frozen layers' output phase 2 will take.
     * Returns the network with nothing frozen, so the next phase decides afresh what to freeze.
     */
    Trained train(ComputationGraph graph, Base base, String unfreezeVertex, Optional<Checkpoint.Saved> lastEpoch) {
        Trained trained = plan.frozen().epochs() == 0 ? new Trained(graph, Progress.start())
                : phase(graph, base, unfreezeVertex, lastEpoch);
        return new Trained(BaseSurgery.unfrozen(trained.network()), trained.progress().inPhase(null));
    }

    private Trained phase(ComputationGraph graph, Base base, String unfreezeVertex, Optional<Checkpoint.Saved> lastEpoch) {
        long start = System.nanoTime();
        InputType.InputTypeConvolutional featureType = BaseSurgery.featureType(base);
        long cacheBytes = FrozenFeatures.bytes(images.count(),
                new long[]{featureType.getChannels(), featureType.getHeight(), featureType.getWidth()});
        boolean cached = cache.fits(cacheBytes);
        // a checkpoint holds the head alone when cached, the whole network when not
        Optional<Checkpoint.Saved> resumed = lastEpoch
                .filter(saved -> saved.progress().frozenMode().startsWith(FeatureCache.CACHED) == cached);
        Progress progress = resumed.map(Checkpoint.Saved::progress).orElse(Progress.start());
        INDArray bestParams = resumed.map(Checkpoint.Saved::phaseBestParams).orElse(null);
        double earlier = progress.loop().secondsSoFar();
        if (!cached) {
            progress = progress.withFrozenMode(plan.augmentation() != null
                    ? FeatureCache.AUGMENTED
                    : "end to end: features need " + (cacheBytes >> 20) + " MiB, over graft.trainer.max-feature-cache-bytes ("
                    + (cache.maxBytes() >> 20) + " MiB)");
            ComputationGraph network = resumed.map(Checkpoint.Saved::network).orElse(graph);
            progress = loop.run(network, plan.frozen(), images.trainImages(), images.validationImages(), true, progress,
                    bestParams).progress();
            return new Trained(network, loop.ended(progress, plan.frozen().name(), earlier + EpochLoop.seconds(start)));
        }
        loop.stops().ifCancelled("features", 0);
        listener.phaseStarted("features");
        INDArray[] features = features(graph, base.featureVertex(), unfreezeVertex);
        double featurizeSeconds = EpochLoop.seconds(start);
        progress = loop.ended(progress, "features", featurizeSeconds).withForwardSecondsPerImage(featurizeSeconds / images.count())
                .withFrozenMode(FeatureCache.CACHED + ": the frozen base ran once over " + images.count() + " images in "
                        + String.format(Locale.ROOT, "%.1f s (%d MiB)", featurizeSeconds, cacheBytes >> 20));
        ComputationGraph head = resumed.map(Checkpoint.Saved::network).orElseGet(() ->
                FrozenFeatures.head(graph, featureType, plan.frozen().learningRate(), plan.seed()));
        long headStart = System.nanoTime();
        progress = loop.run(head, plan.frozen(), features[0], features[1], false, progress, bestParams).progress();
        progress = loop.ended(progress, plan.frozen().name(), earlier + EpochLoop.seconds(headStart));
        FrozenFeatures.copyHead(head, graph);
        return new Trained(graph, progress);
    }

    /**
     * The frozen base's output for the training and validation images. When phase 2 will fine-tune on
     * the output of one frozen vertex below the feature layer, that output is computed first and kept
     * for phase 2, and the features from it: the layers below it run once for both phases.
     */
    private INDArray[] features(ComputationGraph graph, String featureVertex, String unfreezeVertex) {
        Optional<String> boundary = unfreezeVertex == null ? Optional.empty() : cache.boundary(graph, unfreezeVertex);
        if (boundary.isEmpty()) {
            ComputationGraph baseOnly = FrozenFeatures.baseOnly(graph, featureVertex,
                    BaseLayers.ancestorsAndSelf(graph.getConfiguration(), featureVertex));
            return new INDArray[]{FrozenFeatures.featurize(baseOnly, images.trainImages()),
                    FrozenFeatures.featurize(baseOnly, images.validationImages())};
        }
        FineTuneFeatures.Cached below = cache.keep(graph, boundary.get());
        ComputationGraph top = FineTuneFeatures.top(graph, unfreezeVertex, boundary.get());
        ComputationGraph middle = FrozenFeatures.baseOnly(top, featureVertex,
                BaseLayers.ancestorsAndSelf(top.getConfiguration(), featureVertex));
        return new INDArray[]{FrozenFeatures.featurize(middle, below.train()),
                FrozenFeatures.featurize(middle, below.validation())};
    }
}
