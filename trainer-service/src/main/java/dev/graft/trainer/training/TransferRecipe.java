package dev.graft.trainer.training;

import dev.graft.imaging.ImageLimits;
import dev.graft.contract.manifest.Task;
import dev.graft.trainer.base.Base;
import dev.graft.trainer.base.BaseFactory;
import dev.graft.trainer.base.BaseSurgery;
import dev.graft.trainer.base.BatchNorms;
import dev.graft.trainer.base.NewHead;
import dev.graft.trainer.config.TrainerConfig;
import dev.graft.trainer.dataset.DatasetReader;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

import java.util.Optional;
import java.util.Random;

/**
 * The Keras transfer-learning recipe, step by step: read the images, build the pretrained base, freeze
 * it under a new head, train the head, unfreeze the top of the base, train it at a lower rate,
 * evaluate. Validation follows every epoch, and the weights of the epoch with the lowest validation
 * loss are kept. Batch-norm layers of the base stay in inference mode in both phases, as in the Keras
 * guide.
 * <p>
 * A training the trainer stopped resumes from its {@link Checkpoint}: each phase starts its epoch
 * loop from the {@link Progress} kept there, and phase 1 is skipped once its end was kept.
 */
@ApplicationScoped
public class TransferRecipe {
    /** Images whose activations calibrate a random base's batch norm. */
    private static final int CALIBRATION_SAMPLE = 32;

    private final BaseFactory bases;
    private final DatasetReader datasets;
    private final long maxDatasetBytes;
    private final long maxFeatureCacheBytes;
    private final ImageLimits imageLimits;

    @Inject
    public TransferRecipe(BaseFactory bases, DatasetReader datasets, TrainerConfig config) {
        this(bases, datasets, config.trainer().maxDatasetBytes(), config.trainer().maxFeatureCacheBytes(),
                config.image().formats());
    }

    public TransferRecipe(BaseFactory bases, DatasetReader datasets, long maxDatasetBytes, long maxFeatureCacheBytes,
                          String imageFormats) {
        this.bases = bases;
        this.datasets = datasets;
        this.maxDatasetBytes = maxDatasetBytes;
        this.maxFeatureCacheBytes = maxFeatureCacheBytes;
        this.imageLimits = ImageLimits.DATASET.withFormats(ImageLimits.parseFormats(imageFormats));
    }

    /** Trains {@code plan}, resuming from what {@code checkpoint} holds of this request, and keeping its progress there. */
    public TrainedModel run(TrainingPlan plan, RecipeListener listener, Checkpoint checkpoint) {
        // 1. read the labelled images: training and validation, class weights, target scaling
        TrainingData data = TrainingData.read(plan, datasets);
        listener.dataset(data.train(), data.validation());

        // 2. build the pretrained base; a wrong fine-tune layer fails here, before any training
        Base base = bases.load(plan.base(), plan.seed());
        boolean fineTuning = plan.fineTune().epochs() > 0;
        String unfreezeVertex = fineTuning ? base.baseLayer(plan.unfreezeFrom()) : null;
        ImageSets images = data.decode(base, maxDatasetBytes, imageLimits);
        Optional<Checkpoint.Saved> endOfFrozen = fineTuning ? checkpoint.endOfFrozen() : Optional.empty();

        EpochLoop loop = new EpochLoop(plan, new Evaluator(plan.task(), plan.loss(), data.normalization()), listener,
                checkpoint, images);
        FeatureCache cache = new FeatureCache(plan, images, maxFeatureCacheBytes);
        HeadTraining.Trained head;
        if (endOfFrozen.isPresent()) {
            // resumed after phase 1: steps 3 and 4 were done
            head = new HeadTraining.Trained(endOfFrozen.get().network(), endOfFrozen.get().progress());
        } else {
            // 3. freeze the base and put a new head on it
            ComputationGraph frozen = BaseSurgery.withNewHead(calibrated(base, images, plan), newHead(plan, data.train().labels().size(), data.classWeights()),
                    plan.frozen().learningRate(), plan.seed());
            // 4. train the head on the frozen base
            head = new HeadTraining(plan, images, loop, cache, listener).train(frozen, base, unfreezeVertex,
                    checkpoint.lastEpoch(TrainingPlan.FROZEN));
            if (fineTuning) {
                checkpoint.saveEndOfFrozen(head.network(), head.progress());
            }
        }
        // 5. unfreeze the top of the base, and 6. train it with the head at a lower rate
        FineTuning.Tuned tuned = !fineTuning ? new FineTuning.Tuned(head.network(), head.progress(), null)
                : new FineTuning(plan, images, loop, cache).train(head.network(), unfreezeVertex, head.progress(),
                endOfFrozen.flatMap(saved -> checkpoint.lastEpoch(TrainingPlan.FINE_TUNE)));
        // 7. evaluate the kept weights on the validation images
        return Evaluation.of(plan, tuned.network(), base, data, images, tuned.progress(), tuned.mode());
    }

    /** Softmax with (optionally class-weighted) cross-entropy, or linear with the plan's regression loss. */
    public static NewHead newHead(TrainingPlan plan, int classes, INDArray classWeights) {
        return plan.task() == Task.CLASSIFICATION
                ? new NewHead(plan.headUnits(), plan.dropout(), classes, Activation.SOFTMAX, new LossMCXENT(classWeights))
                : new NewHead(plan.headUnits(), plan.dropout(), 1, Activation.IDENTITY, plan.loss().lossFunction());
    }

    /** A base of random weights gets batch-norm statistics from a sample of the images, so its features are not degenerate. */
    private static Base calibrated(Base base, ImageSets images, TrainingPlan plan) {
        if (base.weights().equals("random") && !BatchNorms.names(base.graph()).isEmpty()) {
            BatchNorms.calibrate(base.graph(), sample(images.trainImages(), CALIBRATION_SAMPLE, plan.seed()));
        }
        return base;
    }

    private static INDArray sample(INDArray images, int count, long seed) {
        int n = (int) images.size(0);
        long[] rows = EpochLoop.shuffled(n, new Random(seed)).subList(0, Math.min(n, count)).stream()
                .mapToLong(Integer::longValue).toArray();
        return images.get(NDArrayIndex.indices(rows));
    }
}
