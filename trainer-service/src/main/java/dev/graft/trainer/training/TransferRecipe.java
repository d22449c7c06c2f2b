package dev.graft.trainer.training;

import jakarta.inject.Inject;
import dev.graft.trainer.config.TrainerConfig;
import dev.graft.shared.image.ImageLimits;
import dev.graft.shared.manifest.BaseLineage;
import dev.graft.shared.manifest.InputShape;
import dev.graft.shared.manifest.TargetNormalization;
import dev.graft.shared.manifest.Task;
import dev.graft.trainer.base.Base;
import dev.graft.trainer.base.BaseFactory;
import dev.graft.trainer.base.BaseLayers;
import dev.graft.trainer.base.BatchNorms;
import dev.graft.shared.events.TrainingRequest;
import dev.graft.trainer.dataset.DatasetReader;
import dev.graft.trainer.dataset.ImageTensors;
import dev.graft.trainer.dataset.LabeledImages;
import jakarta.enterprise.context.ApplicationScoped;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.FrozenVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.Locale;

/**
 * The Keras transfer-learning recipe: a base with a new head; phase 1 trains the head on the frozen
 * base, phase 2 unfreezes the base from a named layer upward and trains with a lower rate;
 * validation after every epoch, and the weights of the epoch with the lowest validation loss kept.
 * <p>
 * Without augmentation, phase 1 runs the frozen base once and trains the head on its cached output
 * ({@link FrozenFeatures}); with augmentation every epoch sees new images, so it runs end to end.
 * Batch-norm layers of the base stay in inference mode in both phases, as in the Keras guide.
 */
@ApplicationScoped
public class TransferRecipe {
    static final String HEAD_DENSE = "graft_dense";
    static final String HEAD_OUTPUT = "graft_output";
    private static final String CACHED = "cached features";
    /** At shutdown the epoch under way is finished and kept when it should end within this (Kubernetes waits 30 s by default). */
    static final Duration STOP_GRACE = Duration.ofSeconds(20);
    private static final int INFERENCE_BATCH = 64;
    /** Training images scored for the train metric in end-to-end phases (all of them on cached features). */
    private static final int TRAIN_METRIC_SAMPLE = 2000;
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

    /**
     * Trains {@code plan}, resuming from {@code checkpoint} where it holds this request's progress:
     * after the end of phase 1, phase 1 is not run again; after a fine-tune epoch, fine-tuning goes
     * on with the next one, with the optimizer state and best weights it had; likewise after an epoch
     * of phase 1. The end of phase 1, and epochs of both phases, are kept in it.
     */
    public TrainedModel run(TrainingPlan plan, TrainingListener listener, Checkpoint checkpoint) {
        boolean classification = plan.task() == Task.CLASSIFICATION;
        List<LabeledImages> split = readDatasets(plan);
        LabeledImages trainFiles = split.get(0);
        LabeledImages validationFiles = split.get(1);
        INDArray classWeights = classification ? classWeights(plan, trainFiles) : null;
        TargetNormalization normalization = classification ? null
                : TargetNormalization.fit(Arrays.stream(trainFiles.target()).boxed().toList());
        listener.dataset(trainFiles, validationFiles);

        Base base = bases.load(plan.base(), plan.seed());
        boolean fineTuning = plan.fineTune().epochs() > 0;
        // resolve the fine-tune layer before any training, so a wrong name costs nothing
        String unfreezeVertex = fineTuning ? base.baseLayer(plan.unfreezeFrom()) : null;

        InputShape shape = base.inputShape();
        MultiDataSet train = ImageTensors.load(trainFiles, shape, base.preprocessing(), normalization, maxDatasetBytes, imageLimits);
        MultiDataSet validation = ImageTensors.load(validationFiles, shape, base.preprocessing(), normalization, maxDatasetBytes, imageLimits);
        Optional<Checkpoint.Saved> afterFrozen = fineTuning ? checkpoint.endOfFrozen() : Optional.empty();
        if (afterFrozen.isEmpty() && base.weights().equals("random") && !BatchNorms.names(base.graph()).isEmpty()) {
            BatchNorms.calibrate(base.graph(), sample(train.getFeatures(0), CALIBRATION_SAMPLE, plan.seed()));
        }
        int outputs = classification ? trainFiles.labels().size() : 1;
        Run run = new Run(plan, new Evaluator(plan.task(), plan.loss(), normalization), listener, train, validation);

        ComputationGraph graph;
        if (afterFrozen.isPresent()) {
            graph = afterFrozen.get().network();
            run.restore(afterFrozen.get().state());
        } else {
            graph = withNewHead(base, plan, outputs, classWeights);
            if (plan.frozen().epochs() > 0) {
                graph = run.frozenPhase(graph, base, unfreezeVertex, checkpoint);
            }
            graph = unfrozen(graph);
            if (fineTuning) {
                checkpoint.saveEndOfFrozen(graph, run.state(null));
            }
        }
        if (fineTuning) {
            Optional<Checkpoint.Saved> lastEpoch = afterFrozen.isPresent()
                    ? checkpoint.lastEpoch(plan.fineTune().name()) : Optional.empty();
            lastEpoch.ifPresent(saved -> run.restore(saved.state()));
            // built on a copy: if fine-tuning never beats phase 1, graph keeps phase 1's best weights
            ComputationGraph fineTuned = frozenBelow(unfrozen(graph), unfreezeVertex, plan.fineTune().learningRate(),
                    plan.seed());
            if (run.fineTunePhase(fineTuned, unfreezeVertex, lastEpoch.orElse(null), checkpoint)) {
                graph = unfrozen(fineTuned);
            }
        }
        return run.finish(graph, base, trainFiles, validationFiles, shape, normalization);
    }

    /** Train and validation images: two datasets, or one split with the seed. */
    private List<LabeledImages> readDatasets(TrainingPlan plan) {
        TrainingRequest.Dataset dataset = plan.dataset();
        boolean classification = plan.task() == Task.CLASSIFICATION;
        LabeledImages train = classification ? datasets.classFolders(dataset.train(), null)
                : datasets.csvTargets(dataset.train(), dataset.fileColumn(), dataset.targetColumn());
        if (dataset.validation() == null) {
            return train.split(dataset.validationSplit(), plan.seed());
        }
        LabeledImages validation = classification ? datasets.classFolders(dataset.validation(), train.labels())
                : datasets.csvTargets(dataset.validation(), dataset.fileColumn(), dataset.targetColumn());
        return List.of(train, validation);
    }

    /** The loss weight of each class, or null for none: "balanced" is n / (classes * count). */
    static INDArray classWeights(TrainingPlan plan, LabeledImages train) {
        List<String> labels = train.labels();
        double[] weights = new double[labels.size()];
        if (plan.balancedClasses()) {
            int[] counts = train.classCounts();
            for (int i = 0; i < weights.length; i++) {
                weights[i] = (double) train.size() / (labels.size() * counts[i]);
            }
        } else if (!plan.classWeights().isEmpty()) {
            List<String> unknown = plan.classWeights().keySet().stream().filter(l -> !labels.contains(l)).toList();
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("classWeights name labels the training data does not have: " + unknown
                        + "; labels: " + labels);
            }
            for (int i = 0; i < weights.length; i++) {
                weights[i] = plan.classWeights().getOrDefault(labels.get(i), 1.0);
            }
        } else {
            return null;
        }
        return Nd4j.create(weights).castTo(DataType.FLOAT).reshape(1, weights.length);
    }

    /** The state of one training across its phases: history, the best weights so far, timings. */
    private final class Run {
        private final TrainingPlan plan;
        private final Evaluator evaluator;
        private final TrainingListener listener;
        private final MultiDataSet train;
        private final MultiDataSet validation;
        private final long[] trainMetricRows;
        private final List<EpochResult> history = new ArrayList<>();
        private final Map<String, Double> phaseSeconds = new LinkedHashMap<>();
        private final Map<String, Integer> stoppedEarly = new LinkedHashMap<>();
        private String frozenMode;
        private String fineTuneMode;
        /** The output of the vertex phase 2 trains on, computed with phase 1's features; phase 2 takes it. */
        private FineTuneFeatures.Cached boundaryFeatures;
        private double bestLoss = Double.POSITIVE_INFINITY;
        private TrainingReport.BestEpoch best;
        /** Seconds of one inference-mode forward pass per image through the whole network, for the ETA. */
        private double forwardSecondsPerImage = Double.NaN;

        Run(TrainingPlan plan, Evaluator evaluator, TrainingListener listener, MultiDataSet train, MultiDataSet validation) {
            this.plan = plan;
            this.evaluator = evaluator;
            this.listener = listener;
            this.train = train;
            this.validation = validation;
            int n = (int) train.getFeatures(0).size(0);
            List<Integer> rows = shuffled(n, new Random(plan.seed()));
            this.trainMetricRows = rows.subList(0, Math.min(n, TRAIN_METRIC_SAMPLE)).stream().sorted()
                    .mapToLong(Integer::longValue).toArray();
        }

        /** Takes on what a checkpoint says was done before the trainer stopped. */
        void restore(Checkpoint.RunState state) {
            history.clear();
            history.addAll(state.history());
            phaseSeconds.clear();
            phaseSeconds.putAll(state.phaseSeconds());
            stoppedEarly.clear();
            stoppedEarly.putAll(state.stoppedEarly());
            frozenMode = state.frozenMode();
            bestLoss = state.bestLoss();
            best = state.best();
            forwardSecondsPerImage = state.forwardSecondsPerImage();
        }

        Checkpoint.RunState state(Checkpoint.PhaseProgress phase) {
            return new Checkpoint.RunState(List.copyOf(history), Map.copyOf(phaseSeconds), Map.copyOf(stoppedEarly),
                    frozenMode, bestLoss, best, forwardSecondsPerImage, phase);
        }

        /**
         * Phase 1 on cached features where it can, else end to end with the base frozen; resumed
         * after the last epoch {@code checkpoint} holds when that was run the same way (the cached
         * features are computed again: one forward pass). Returns the network phase 1 trained.
         */
        ComputationGraph frozenPhase(ComputationGraph graph, Base base, String unfreezeVertex, Checkpoint checkpoint) {
            long start = System.nanoTime();
            InputType.InputTypeConvolutional featureType = featureType(base);
            long[] featureShape = {featureType.getChannels(), featureType.getHeight(), featureType.getWidth()};
            long images = train.getFeatures(0).size(0) + validation.getFeatures(0).size(0);
            long cacheBytes = FrozenFeatures.bytes(images, featureShape);
            boolean cached = plan.augmentation() == null && cacheBytes <= maxFeatureCacheBytes;
            // a checkpoint holds the head alone when cached, the whole network when not
            Optional<Checkpoint.Saved> resumed = checkpoint.lastEpoch(plan.frozen().name())
                    .filter(saved -> saved.state().frozenMode().startsWith(CACHED) == cached);
            resumed.ifPresent(saved -> restore(saved.state()));
            double earlier = resumed.map(saved -> saved.state().phase().secondsSoFar()).orElse(0.0);
            if (cached) {
                stopIfCancelled("features", 0);
                listener.phaseStarted("features");
                INDArray[] features = features(graph, base.featureVertex(), unfreezeVertex);
                INDArray trainFeatures = features[0];
                INDArray validationFeatures = features[1];
                double featurizeSeconds = ended("features", start, 0);
                forwardSecondsPerImage = featurizeSeconds / images;
                frozenMode = CACHED + ": the frozen base ran once over " + images + " images in "
                        + String.format(Locale.ROOT, "%.1f s (%d MiB)", featurizeSeconds, cacheBytes >> 20);
                ComputationGraph head = resumed.map(Checkpoint.Saved::network).orElseGet(() ->
                        FrozenFeatures.head(graph, featureType, plan.frozen().learningRate(), plan.seed()));
                long headStart = System.nanoTime();
                phase(head, plan.frozen(), trainFeatures, validationFeatures, false, resumed.orElse(null), checkpoint);
                ended(plan.frozen().name(), headStart, earlier);
                FrozenFeatures.copyHead(head, graph);
                return graph;
            }
            frozenMode = plan.augmentation() != null ? "end to end: augmentation changes the images every epoch"
                    : "end to end: features need " + (cacheBytes >> 20)
                    + " MiB, over graft.trainer.max-feature-cache-bytes (" + (maxFeatureCacheBytes >> 20) + " MiB)";
            ComputationGraph network = resumed.map(Checkpoint.Saved::network).orElse(graph);
            phase(network, plan.frozen(), train.getFeatures(0), validation.getFeatures(0), true, resumed.orElse(null),
                    checkpoint);
            ended(plan.frozen().name(), start, earlier);
            return network;
        }

        /**
         * The frozen base's output for the training and validation images. When phase 2 will fine-tune on
         * the output of one frozen vertex below the feature layer, that output is computed first and kept
         * for phase 2, and the features from it: the layers below it run once for both phases.
         */
        private INDArray[] features(ComputationGraph graph, String featureVertex, String unfreezeVertex) {
            Optional<String> boundary = unfreezeVertex == null ? Optional.empty() : cacheableBoundary(graph, unfreezeVertex);
            if (boundary.isEmpty()) {
                ComputationGraph baseOnly = FrozenFeatures.baseOnly(graph, featureVertex,
                        BaseLayers.ancestorsAndSelf(graph.getConfiguration(), featureVertex));
                return new INDArray[]{FrozenFeatures.featurize(baseOnly, train.getFeatures(0)),
                        FrozenFeatures.featurize(baseOnly, validation.getFeatures(0))};
            }
            boundaryFeatures = boundaryFeatures(graph, boundary.get());
            ComputationGraph top = FineTuneFeatures.top(graph, unfreezeVertex, boundary.get());
            ComputationGraph middle = FrozenFeatures.baseOnly(top, featureVertex,
                    BaseLayers.ancestorsAndSelf(top.getConfiguration(), featureVertex));
            return new INDArray[]{FrozenFeatures.featurize(middle, boundaryFeatures.train()),
                    FrozenFeatures.featurize(middle, boundaryFeatures.validation())};
        }

        /** The one frozen vertex fine-tuning from {@code unfreezeVertex} would train on, if its output fits the cache. */
        private Optional<String> cacheableBoundary(ComputationGraph network, String unfreezeVertex) {
            INDArray images = train.getFeatures(0);
            InputType imageType = InputType.convolutional(images.size(2), images.size(3), images.size(1));
            return plan.augmentation() != null ? Optional.empty()
                    : FineTuneFeatures.boundary(network, unfreezeVertex).filter(vertex -> FrozenFeatures.bytes(
                    images.size(0) + validation.getFeatures(0).size(0),
                    FineTuneFeatures.boundaryType(network, vertex, imageType).getShape(false)) <= maxFeatureCacheBytes);
        }

        private FineTuneFeatures.Cached boundaryFeatures(ComputationGraph network, String boundary) {
            long start = System.nanoTime();
            INDArray trainInputs = FineTuneFeatures.featurize(network, boundary, train.getFeatures(0));
            INDArray validationInputs = FineTuneFeatures.featurize(network, boundary, validation.getFeatures(0));
            return new FineTuneFeatures.Cached(boundary, trainInputs, validationInputs, seconds(start));
        }

        /**
         * Phase 2 on {@code network} (frozen below {@code unfreezeVertex}): on the cached output of the one
         * frozen vertex the trained layers take (see {@link FineTuneFeatures}) where there is one and it fits
         * the cache, else end to end. Resumed as {@code resumed} was run. Returns whether it beat phase 1;
         * {@code network} then holds its best weights.
         */
        boolean fineTunePhase(ComputationGraph network, String unfreezeVertex, Checkpoint.Saved resumed,
                              Checkpoint checkpoint) {
            long start = System.nanoTime();
            double earlier = resumed != null ? resumed.state().phase().secondsSoFar() : 0;
            // a resumed phase goes on the way it ran, whatever the cache's limit is now
            boolean resumedOnImages = resumed != null && resumed.network().getConfiguration().getNetworkInputs()
                    .equals(network.getConfiguration().getNetworkInputs());
            Optional<String> boundary = resumed == null ? cacheableBoundary(network, unfreezeVertex)
                    : resumedOnImages ? Optional.empty()
                    : Optional.of(resumed.network().getConfiguration().getNetworkInputs().get(0));
            boolean cached = boundary.isPresent();
            boolean improved;
            if (cached) {
                String vertex = boundary.get();
                // phase 1 left them when it computed its features from them
                FineTuneFeatures.Cached inputs = boundaryFeatures != null && boundaryFeatures.vertex().equals(vertex)
                        ? boundaryFeatures : boundaryFeatures(network, vertex);
                boundaryFeatures = null;
                fineTuneMode = String.format(Locale.ROOT, "%s: the frozen layers up to %s ran once over %d images in %.1f s"
                                + " (%d MiB)", CACHED, vertex, inputs.train().size(0) + inputs.validation().size(0),
                        inputs.seconds(), (inputs.train().length() + inputs.validation().length()) * Float.BYTES >> 20);
                ComputationGraph top = resumed != null ? resumed.network()
                        : FineTuneFeatures.top(network, unfreezeVertex, vertex);
                // as costly per image as end to end: the train metric is taken on a sample
                improved = phase(top, plan.fineTune(), inputs.train(), inputs.validation(), true, resumed, checkpoint);
                FineTuneFeatures.copyLayers(top, network);
            } else {
                fineTuneMode = plan.augmentation() != null ? "end to end: augmentation changes the images every epoch"
                        : cacheableBoundary(network, unfreezeVertex).isPresent() ? "end to end, as it ran before the trainer restarted"
                        : FineTuneFeatures.boundary(network, unfreezeVertex).isPresent()
                        ? "end to end: the frozen layers' output is over graft.trainer.max-feature-cache-bytes"
                        : "end to end: the trained layers take their input from more than one frozen layer, or the images";
                ComputationGraph trained = resumed != null ? resumed.network() : network;
                improved = phase(trained, plan.fineTune(), train.getFeatures(0), validation.getFeatures(0), true, resumed,
                        checkpoint);
                // assigned, not set: DL4J's setParams fails on the batch norms kept in inference mode
                network.params().assign(trained.params());
            }
            ended(plan.fineTune().name(), start, earlier);
            return improved;
        }

        private void stopIfCancelled(String phase, int epoch) {
            if (listener.cancelled()) {
                throw new TrainingCancelledException("cancelled in the " + phase + " phase"
                        + (epoch > 0 ? ", epoch " + epoch : "") + "; nothing was stored");
            }
        }

        /**
         * Records a phase's wall time since {@code start}, plus {@code earlier} seconds it ran before a
         * restart, for the report and the listener, and returns it.
         */
        double ended(String phase, long start, double earlier) {
            double seconds = earlier + seconds(start);
            phaseSeconds.put(phase, seconds);
            listener.phaseEnded(phase, seconds);
            return seconds;
        }

        /**
         * Epochs of one phase on {@code network}, whose inputs are images or cached features; with
         * patience, the phase stops once that many epochs bring no lower validation loss. If the phase
         * beat every earlier one, {@code network} ends with its best epoch's weights and this returns
         * true; else it returns false and the caller keeps the earlier phase's network.
         * <p>
         * {@code resumed}, when not null, is this phase's checkpoint: the loop goes on after its last
         * epoch. Each epoch shuffles with its own seed, so a resumed phase sees the batches an
         * uninterrupted one would have. Epochs are kept in {@code checkpoint}.
         */
        boolean phase(ComputationGraph network, TrainingPlan.Phase phase, INDArray trainInputs, INDArray validationInputs,
                      boolean endToEnd, Checkpoint.Saved resumed, Checkpoint checkpoint) {
            listener.phaseStarted(phase.name());
            int n = (int) trainInputs.size(0);
            INDArray labels = train.getLabels(0);
            boolean augment = endToEnd && plan.augmentation() != null;
            int firstEpoch = 1;
            double phaseSecondsSoFar = 0;
            int sinceBest = 0;
            double phaseBest = Double.POSITIVE_INFINITY;
            INDArray phaseBestParams = null;
            if (resumed != null) {
                Checkpoint.PhaseProgress progress = resumed.state().phase();
                firstEpoch = progress.epochsDone() + 1;
                phaseSecondsSoFar = progress.secondsSoFar();
                sinceBest = progress.sinceBest();
                phaseBest = progress.phaseBest();
                phaseBestParams = resumed.phaseBestParams();
            }
            int epochsThisRun = 0;
            for (int epoch = firstEpoch; epoch <= phase.epochs(); epoch++) {
                long start = System.nanoTime();
                // the mean epoch of this run, to judge at shutdown whether the one under way ends within the grace
                double meanEpochSeconds = epochsThisRun == 0 ? Double.NaN
                        : (phaseSecondsSoFar - (resumed != null ? resumed.state().phase().secondsSoFar() : 0)) / epochsThisRun;
                double learningRate = phase.learningRate(epoch);
                if (phase.schedule() != LearningRateSchedule.CONSTANT) {
                    network.setLearningRate(learningRate);
                }
                Random random = new Random(plan.seed() + 31L * phase.name().hashCode() + epoch);
                List<Integer> order = shuffled(n, random);
                double lossSum = 0;
                for (int from = 0; from < n; from += phase.batchSize()) {
                    stopIfCancelled(phase.name(), epoch);
                    // NaN (no epoch ended in this run yet) compares false: it stops at once
                    if (listener.stopping() && !(meanEpochSeconds - seconds(start) < STOP_GRACE.toSeconds())) {
                        throw new TrainingStoppedException("the trainer stopped in the " + phase.name() + " phase, during epoch "
                                + epoch + ", which would not end within " + STOP_GRACE.toSeconds() + " s");
                    }
                    long[] rows = order.subList(from, Math.min(n, from + phase.batchSize())).stream()
                            .mapToLong(Integer::longValue).toArray();
                    INDArray inputs = trainInputs.get(NDArrayIndex.indices(rows));
                    if (augment) {
                        inputs = plan.augmentation().apply(inputs, random);
                    }
                    network.fit(new MultiDataSet(inputs, labels.get(NDArrayIndex.indices(rows))));
                    lossSum += network.score() * rows.length;
                }
                double trainSeconds = seconds(start);
                Evaluator.Scores trainScores = endToEnd
                        ? evaluator.score(output(network, trainInputs.get(NDArrayIndex.indices(trainMetricRows))),
                        labels.get(NDArrayIndex.indices(trainMetricRows)))
                        : evaluator.score(output(network, trainInputs), labels);
                long validationStart = System.nanoTime();
                Evaluator.Scores scores = evaluator.score(output(network, validationInputs), validation.getLabels(0));
                if (endToEnd && Double.isNaN(forwardSecondsPerImage)) {
                    forwardSecondsPerImage = seconds(validationStart) / validationInputs.size(0);
                }
                double epochSeconds = seconds(start);
                phaseSecondsSoFar += epochSeconds;
                double eta = phaseSecondsSoFar / epoch * (phase.epochs() - epoch) + laterPhasesSeconds(phase);
                EpochResult result = new EpochResult(phase.name(), epoch, phase.epochs(), lossSum / n,
                        evaluator.metricName(), trainScores.metric(), scores.loss(), scores.metric(), scores.rmse(),
                        n / trainSeconds, epochSeconds, eta, learningRate);
                if (!Double.isFinite(result.trainLoss()) || !Double.isFinite(result.validationLoss())) {
                    throw new IllegalStateException("training diverged: the loss is not a number in the " + phase.name()
                            + " phase, epoch " + epoch + "; lower its learning rate");
                }
                history.add(result);
                listener.epoch(result);
                if (scores.loss() < phaseBest) {
                    phaseBest = scores.loss();
                    phaseBestParams = network.params().dup();
                    sinceBest = 0;
                    if (beats(phaseBest, bestLoss)) {
                        best = new TrainingReport.BestEpoch(phase.name(), epoch, scores.loss());
                    }
                } else {
                    sinceBest++;
                }
                boolean stopEarly = plan.patience() > 0 && sinceBest >= plan.patience() && epoch < phase.epochs();
                if (stopEarly) {
                    stoppedEarly.put(phase.name(), epoch);
                }
                // an early stop is kept as the phase's end, so a resumed phase does not train on
                int done = stopEarly ? phase.epochs() : epoch;
                epochsThisRun++;
                Checkpoint.RunState kept = state(new Checkpoint.PhaseProgress(done, phaseBest, sinceBest, phaseSecondsSoFar));
                if (listener.stopping() && done < phase.epochs()) {
                    checkpoint.saveEpochNow(phase.name(), done, network, phaseBestParams, kept);
                    throw new TrainingStoppedException("the trainer stopped after " + phase.name() + " epoch " + done
                            + ", kept as a checkpoint");
                }
                checkpoint.saveEpoch(phase.name(), done, network, phaseBestParams, kept);
                if (stopEarly) {
                    break;
                }
            }
            if (!beats(phaseBest, bestLoss)) {
                return false;
            }
            bestLoss = phaseBest;
            network.setParams(phaseBestParams);
            return true;
        }

        /**
         * Whether a phase's best validation loss beats an earlier phase's: by more than float rounding, which
         * differs between the whole network and the cached part of it that computed the two.
         */
        private static boolean beats(double loss, double earlier) {
            return Double.isInfinite(earlier) ? loss < earlier : loss < earlier - 1e-6 * Math.abs(earlier);
        }

        /** Estimated seconds of the phases after {@code current}: a fine-tune epoch costs about three forward passes. */
        private double laterPhasesSeconds(TrainingPlan.Phase current) {
            if (!current.name().equals(TrainingPlan.FROZEN) || plan.fineTune().epochs() == 0
                    || Double.isNaN(forwardSecondsPerImage)) {
                return 0;
            }
            long n = train.getFeatures(0).size(0);
            double images = 3.0 * n + validation.getFeatures(0).size(0) + Math.min(n, TRAIN_METRIC_SAMPLE);
            return plan.fineTune().epochs() * images * forwardSecondsPerImage;
        }

        TrainedModel finish(ComputationGraph graph, Base base, LabeledImages trainFiles, LabeledImages validationFiles,
                            InputShape shape, TargetNormalization normalization) {
            boolean classification = plan.task() == Task.CLASSIFICATION;
            INDArray predictions = output(graph, validation.getFeatures(0));
            Evaluator.Scores scores = evaluator.score(predictions, validation.getLabels(0));
            Map<String, Double> metrics = new LinkedHashMap<>();
            metrics.put("loss", scores.loss());
            metrics.put(evaluator.metricName(), scores.metric());
            int[][] confusion = null;
            Map<String, Double> residuals = null;
            double[][] predictedVsActual = null;
            if (classification) {
                confusion = Evaluator.confusion(predictions, validation.getLabels(0), trainFiles.labels().size());
            } else {
                metrics.put("rmse", scores.rmse());
                predictedVsActual = evaluator.realValues(predictions, validation.getLabels(0));
                residuals = Evaluator.residualSummary(predictedVsActual[0], predictedVsActual[1]);
            }
            TrainingReport report = new TrainingReport(plan.requestId(), plan.model(), plan.task(), trainFiles.labels(),
                    trainFiles.size(), validationFiles.size(),
                    classification ? trainFiles.countsByLabel() : null,
                    classification ? validationFiles.countsByLabel() : null,
                    List.copyOf(history), best, metrics, confusion, residuals, phaseSeconds, frozenMode, fineTuneMode,
                    stoppedEarly.isEmpty() ? null : stoppedEarly, List.of());
            return new TrainedModel(graph, trainFiles.labels(), normalization, shape, base.preprocessing(), metrics,
                    new BaseLineage(base.architectureId(), base.weights(), base.featureVertex()), report,
                    predictedVsActual);
        }
    }

    private static InputType.InputTypeConvolutional featureType(Base base) {
        InputShape shape = base.inputShape();
        InputType features = base.graph().getConfiguration().getLayerActivationTypes(
                InputType.convolutional(shape.height(), shape.width(), shape.channels())).get(base.featureVertex());
        if (!(features instanceof InputType.InputTypeConvolutional map)) {
            throw new IllegalArgumentException("the base must end in a convolutional layer, " + base.featureVertex()
                    + " gives " + features);
        }
        return map;
    }

    private static List<Integer> shuffled(int n, Random random) {
        List<Integer> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        Collections.shuffle(order, random);
        return order;
    }

    private static INDArray sample(INDArray images, int count, long seed) {
        int n = (int) images.size(0);
        long[] rows = shuffled(n, new Random(seed)).subList(0, Math.min(n, count)).stream().mapToLong(Integer::longValue).toArray();
        return images.get(NDArrayIndex.indices(rows));
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /**
     * The base with everything after its feature layer replaced by the Keras head: flatten, dense,
     * dropout, output (softmax with optionally class-weighted cross-entropy, or linear with the plan's loss).
     */
    static ComputationGraph withNewHead(Base base, TrainingPlan plan, int outputs, INDArray classWeights) {
        ComputationGraph graph = base.graph();
        ComputationGraphConfiguration conf = graph.getConfiguration();
        InputType.InputTypeConvolutional map = featureType(base);

        TransferLearning.GraphBuilder builder = new TransferLearning.GraphBuilder(graph)
                .fineTuneConfiguration(fineTune(plan.frozen().learningRate(), plan.seed()))
                .setFeatureExtractor(base.featureVertex());
        Set<String> keep = BaseLayers.ancestorsAndSelf(conf, base.featureVertex());
        for (String vertex : conf.getVertices().keySet()) {
            if (!keep.contains(vertex)) {
                builder.removeVertexAndConnections(vertex);
            }
        }
        boolean classification = plan.task() == Task.CLASSIFICATION;
        OutputLayer.Builder output = new OutputLayer.Builder()
                .lossFunction(classification ? new LossMCXENT(classWeights) : plan.loss().lossFunction())
                .nIn(plan.headUnits()).nOut(outputs)
                .activation(classification ? Activation.SOFTMAX : Activation.IDENTITY)
                .weightInit(WeightInit.XAVIER);
        if (plan.dropout() > 0) {
            output.dropOut(1 - plan.dropout()); // DL4J takes the probability of keeping an activation
        }
        return builder
                .addLayer(HEAD_DENSE, new DenseLayer.Builder().nIn(map.getHeight() * map.getWidth() * map.getChannels())
                                .nOut(plan.headUnits()).activation(Activation.RELU).weightInit(WeightInit.RELU).build(),
                        new CnnToFeedForwardPreProcessor(map.getHeight(), map.getWidth(), map.getChannels()),
                        base.featureVertex())
                .addLayer(HEAD_OUTPUT, output.build(), HEAD_DENSE)
                .setOutputs(HEAD_OUTPUT)
                .build();
    }

    /**
     * Freezes every vertex {@code unfreezeVertex} depends on ({@link FineTuneFeatures#below}); the rest trains.
     * Batch-norm layers above it stay in inference mode, as the Keras guide asks: each becomes the
     * per-channel affine map it computes in inference mode (a frozen 1x1 depthwise convolution), which
     * passes exact gradients to the layers below it. DL4J's own batch-norm backward pass assumes batch
     * statistics and fails after an inference-mode forward pass.
     */
    static ComputationGraph frozenBelow(ComputationGraph graph, String unfreezeVertex, double learningRate, long seed) {
        List<String> below = FineTuneFeatures.below(graph, unfreezeVertex);
        TransferLearning.GraphBuilder builder = new TransferLearning.GraphBuilder(graph)
                .fineTuneConfiguration(fineTune(learningRate, seed));
        if (!below.isEmpty()) {
            builder.setFeatureExtractor(below.toArray(String[]::new));
        }
        ComputationGraph network = builder.build();
        List<String> trainableNorms = BatchNorms.names(network).stream()
                .filter(name -> !(network.getLayer(name) instanceof org.deeplearning4j.nn.layers.FrozenLayer))
                .toList();
        if (trainableNorms.isEmpty()) {
            return network;
        }
        ComputationGraphConfiguration conf = network.getConfiguration().clone();
        for (String name : trainableNorms) {
            LayerVertex vertex = (LayerVertex) conf.getVertices().get(name);
            BatchNormalization norm = (BatchNormalization) vertex.getLayerConf().getLayer();
            // the conf's parameter names are the batch norm's until cleared: DL4J's setParams would look them up
            vertex.getLayerConf().clearVariables();
            vertex.getLayerConf().setLayer(new FrozenLayerWithBackprop(new DepthwiseConvolution2D.Builder(1, 1)
                    .nIn(norm.getNOut()).depthMultiplier(1).activation(Activation.IDENTITY).hasBias(true)
                    .convolutionMode(ConvolutionMode.Truncate)
                    .weightInit(WeightInit.ONES).updater(new NoOp()).name(name).build()));
        }
        return withWeights(network, conf, trainableNorms, BatchNorms::asAffine);
    }

    /**
     * A graph of {@code conf}, which is {@code from}'s with the layers {@code swapped} replaced, holding
     * {@code from}'s weights: {@code convert} writes those of each swapped layer, the others are copied.
     */
    private static ComputationGraph withWeights(ComputationGraph from, ComputationGraphConfiguration conf,
                                                Collection<String> swapped,
                                                BiConsumer<org.deeplearning4j.nn.api.Layer, org.deeplearning4j.nn.api.Layer> convert) {
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        for (org.deeplearning4j.nn.api.Layer layer : from.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            if (swapped.contains(name)) {
                convert.accept(layer, graph.getLayer(name));
            } else if (layer.numParams() > 0) {
                graph.getLayer(name).params().assign(layer.params());
            }
        }
        return graph;
    }

    /**
     * The same network and weights with every frozen wrapper removed, so the next phase, and a later
     * training using this model as its base, decide afresh what to freeze. A batch norm fine-tuning kept
     * in inference mode (an affine map, see {@link #frozenBelow}) becomes a batch norm again computing
     * that map, so the stored model is the architecture it was, and a later training freezes it as one.
     */
    static ComputationGraph unfrozen(ComputationGraph graph) {
        ComputationGraphConfiguration conf = graph.getConfiguration().clone();
        conf.getVertices().replaceAll((name, vertex) -> vertex instanceof FrozenVertex frozen ? frozen.getUnderlying() : vertex);
        Set<String> affine = new java.util.HashSet<>();
        conf.getVertices().forEach((name, vertex) -> {
            if (vertex instanceof LayerVertex layerVertex) {
                var layer = layerVertex.getLayerConf().getLayer();
                if (layer instanceof FrozenLayer frozen) {
                    layerVertex.getLayerConf().setLayer(frozen.getLayer());
                } else if (layer instanceof FrozenLayerWithBackprop frozen
                        && frozen.getUnderlying() instanceof DepthwiseConvolution2D map) {
                    layerVertex.getLayerConf().clearVariables();
                    layerVertex.getLayerConf().setLayer(BatchNorms.forAffine(name, map.getNIn()));
                    affine.add(name);
                } else if (layer instanceof FrozenLayerWithBackprop frozen) {
                    layerVertex.getLayerConf().setLayer(frozen.getUnderlying());
                }
            }
        });
        if (affine.isEmpty()) {
            ComputationGraph copy = new ComputationGraph(conf);
            copy.init(graph.params().dup(), false);
            return copy;
        }
        return withWeights(graph, conf, affine, BatchNorms::fromAffine);
    }

    /** Inference in bounded batches, so validation memory does not grow with the validation set. */
    static INDArray output(ComputationGraph graph, INDArray features) {
        int n = (int) features.size(0);
        List<INDArray> parts = new ArrayList<>();
        for (int from = 0; from < n; from += INFERENCE_BATCH) {
            parts.add(graph.output(false, features.get(NDArrayIndex.interval(from, Math.min(n, from + INFERENCE_BATCH))))[0]);
        }
        return Nd4j.concat(0, parts.toArray(INDArray[]::new));
    }

    private static FineTuneConfiguration fineTune(double learningRate, long seed) {
        return new FineTuneConfiguration.Builder().updater(new Adam(learningRate)).seed(seed).build();
    }
}
