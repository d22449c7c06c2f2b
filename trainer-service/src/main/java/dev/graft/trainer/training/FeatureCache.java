package dev.graft.trainer.training;

import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Optional;

/**
 * Whether a phase trains on cached activations of its frozen layers rather than end to end: only
 * without augmentation (which changes the images every epoch) and within
 * {@code graft.trainer.max-feature-cache-bytes}. Also hands phase 2 the activations phase 1 computed
 * on its way to the features, so the layers below them run once for both phases.
 */
final class FeatureCache {
    /** How a phase on cached features begins its line in the report. */
    static final String CACHED = "cached features";
    static final String AUGMENTED = "end to end: augmentation changes the images every epoch";

    private final TrainingPlan plan;
    private final ImageSets images;
    private final long maxBytes;
    private FineTuneFeatures.Cached boundary;

    FeatureCache(TrainingPlan plan, ImageSets images, long maxBytes) {
        this.plan = plan;
        this.images = images;
        this.maxBytes = maxBytes;
    }

    long maxBytes() {
        return maxBytes;
    }

    /** Whether features of {@code bytes} for all images may be cached. */
    boolean fits(long bytes) {
        return plan.augmentation() == null && bytes <= maxBytes;
    }

    /** The one frozen vertex fine-tuning from {@code unfreezeVertex} would train on, if its output fits the cache. */
    Optional<String> boundary(ComputationGraph network, String unfreezeVertex) {
        INDArray trainImages = images.trainImages();
        InputType imageType = InputType.convolutional(trainImages.size(2), trainImages.size(3), trainImages.size(1));
        return plan.augmentation() != null ? Optional.empty()
                : FineTuneFeatures.boundary(network, unfreezeVertex).filter(vertex -> FrozenFeatures.bytes(
                images.count(), FineTuneFeatures.boundaryType(network, vertex, imageType).getShape(false)) <= maxBytes);
    }

    /** {@code vertex}'s output for every image: computed now, or kept from phase 1 (then handed over once). */
    FineTuneFeatures.Cached boundaryFeatures(ComputationGraph network, String vertex) {
        FineTuneFeatures.Cached kept = boundary != null && boundary.vertex().equals(vertex) ? boundary : null;
        boundary = null;
        if (kept != null) {
            return kept;
        }
        long start = System.nanoTime();
        INDArray train = FineTuneFeatures.featurize(network, vertex, images.trainImages());
        INDArray validation = FineTuneFeatures.featurize(network, vertex, images.validationImages());
        return new FineTuneFeatures.Cached(vertex, train, validation, EpochLoop.seconds(start));
    }

    /** Phase 1 computed {@code vertex}'s output on its way: phase 2 takes it rather than computing it again. */
    FineTuneFeatures.Cached keep(ComputationGraph network, String vertex) {
        boundary = boundaryFeatures(network, vertex);
        return boundary;
    }
}
