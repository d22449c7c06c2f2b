package dev.graft.trainer.training;

import dev.graft.trainer.base.BaseSurgery;
import dev.graft.imaging.ImageLimits;
import dev.graft.contract.events.TrainingRequest;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.Preprocessing;
import dev.graft.contract.manifest.Task;
import dev.graft.store.ModelStore;
import dev.graft.testing.TestImages;
import dev.graft.trainer.base.BaseFactory;
import dev.graft.trainer.base.ImageNetWeights;
import dev.graft.trainer.dataset.DatasetReader;
import dev.graft.trainer.dataset.RemoteDatasets;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.FrozenLayer;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class TransferRecipeTest {
    @TempDir
    static Path data;
    @TempDir
    static Path models;

    static ModelStore store;
    static TransferRecipe recipe;

    @BeforeAll
    static void datasets() {
        writeDatasets(data);
        store = new ModelStore(models);
        recipe = recipe(1L << 30);
    }

    /** Stripes (classification: stripes/train, stripes/validation) and prices (regression: prices/*.csv) under {@code data}. */
    static void writeDatasets(Path data) {
        TestImages.classFolders(data.resolve("stripes/train"), 24, 1);
        TestImages.classFolders(data.resolve("stripes/validation"), 8, 2);
        TestImages.priceCsv(data.resolve("prices"), "train.csv", 48, 3);
        TestImages.priceCsv(data.resolve("prices"), "validation.csv", 16, 4);
    }

    static TransferRecipe recipe(long maxFeatureCacheBytes) {
        return recipe(data, store, maxFeatureCacheBytes);
    }

    static TransferRecipe recipe(Path data, ModelStore store, long maxFeatureCacheBytes) {
        DatasetReader datasets = new DatasetReader(data.toString(), RemoteDatasets.none());
        return new TransferRecipe(new BaseFactory(store, datasets, new ImageNetWeights(Path.of("target/no-weights")),
                Optional.empty(), Optional.empty(), Duration.ofSeconds(30)),
                datasets, 1L << 30, maxFeatureCacheBytes, ImageLimits.DEFAULT_FORMATS);
    }

    /** Random weights carry little signal, so learning here needs the whole network unfrozen in phase 2. */
    static TrainingRequest classifier(String architecture, String unfreezeFrom) {
        return new TrainingRequest("r-1", "stripes", Task.CLASSIFICATION,
                new TrainingRequest.Dataset("stripes/train", "stripes/validation", null, null, null),
                new TrainingRequest.Base(architecture, "random", TestImages.SIZE, TestImages.SIZE),
                new TrainingRequest.Head(32, 0.2),
                new TrainingRequest.FrozenPhase(3, 0.01, 16),
                new TrainingRequest.FineTunePhase(3, 0.003, 16, unfreezeFrom), null, null, null, 7L);
    }

    @Test
    void trainsBothPhasesReportsEveryEpochAndLeavesNoFrozenLayer() {
        List<EpochResult> epochs = new ArrayList<>();
        List<String> phases = new ArrayList<>();
        TrainedModel model = recipe.run(TrainingRequestValidator.validate(classifier("small-convnet", "block1_conv1")),
                new RecipeListener() {
                    @Override
                    public void epoch(EpochResult epoch) {
                        epochs.add(epoch);
                    }

                    @Override
                    public void phaseStarted(String phase) {
                        phases.add("start " + phase);
                    }

                    @Override
                    public void phaseEnded(String phase, double seconds) {
                        phases.add("end " + phase);
                    }
                }, Checkpoint.none());

        assertThat(epochs).extracting(EpochResult::phase)
                .containsExactly("frozen", "frozen", "frozen", "fine-tune", "fine-tune", "fine-tune");
        assertThat(phases).containsExactly("start features", "end features", "start frozen", "end frozen",
                "start fine-tune", "end fine-tune");
        assertThat(epochs).allSatisfy(e -> {
            assertThat(e.trainLoss()).isFinite();
            assertThat(e.validationMetric()).isBetween(0.0, 1.0);
            assertThat(e.imagesPerSecond()).isPositive();
        });
        assertThat(model.labels()).containsExactly("horizontal", "vertical");
        assertThat(model.metrics()).containsKeys("loss", "accuracy");
        // stripes are easy: the fine-tuned network must do better than chance
        assertThat(model.metrics().get("accuracy")).isGreaterThan(0.6);
        for (Layer layer : model.graph().getLayers()) {
            assertThat(layer).isNotInstanceOf(FrozenLayer.class);
        }
        assertThat(model.lineage().featureLayer()).isEqualTo("block3_pool");

        TrainingReport report = model.report();
        assertThat(report.history()).isEqualTo(epochs);
        assertThat(epochs).allSatisfy(e -> assertThat(e.trainMetric()).isBetween(0.0, 1.0));
        assertThat(report.frozenPhase()).startsWith("cached features");
        assertThat(report.phaseSeconds()).containsKeys("features", "frozen", "fine-tune");
        assertThat(report.classCounts()).containsEntry("horizontal", 24).containsEntry("vertical", 24);
        assertThat(Arrays.stream(report.confusionMatrix()).flatMapToInt(Arrays::stream).sum()).isEqualTo(16);
        // the kept weights are the best epoch's: the final validation loss is that epoch's
        double lowest = epochs.stream().mapToDouble(EpochResult::validationLoss).min().orElseThrow();
        assertThat(report.best().validationLoss()).isEqualTo(lowest);
        assertThat(report.finalMetrics().get("loss")).isCloseTo(lowest, within(1e-4));
    }

    /** Two frozen and four fine-tune epochs without dropout, so an uninterrupted and a resumed run make identical updates. */
    private static TrainingPlan fineTunePlan(String requestId) {
        return fineTunePlan(requestId, "block1_conv1");
    }

    /** From block1_conv1 fine-tuning runs end to end; from block3_conv1 on block2_pool's cached output. */
    private static TrainingPlan fineTunePlan(String requestId, String unfreezeFrom) {
        return TrainingRequestValidator.validate(new TrainingRequest(requestId, "stripes",
                Task.CLASSIFICATION, new TrainingRequest.Dataset("stripes/train", "stripes/validation", null, null, null),
                new TrainingRequest.Base("small-convnet", "random", TestImages.SIZE, TestImages.SIZE),
                new TrainingRequest.Head(16, 0.0), new TrainingRequest.FrozenPhase(2, 0.01, 16),
                new TrainingRequest.FineTunePhase(4, 0.003, 16, unfreezeFrom), null, null, null, 5L));
    }

    /**
     * Runs {@code plan} and shuts the trainer down once epoch {@code epoch} of {@code phase} has ended:
     * the recipe keeps that epoch as a checkpoint, whatever the interval, and stops.
     */
    private static void stopAfterEpoch(TransferRecipe recipe, TrainingPlan plan, Checkpoint checkpoint, String phase,
                                       int epoch) {
        List<EpochResult> done = new ArrayList<>();
        assertThatThrownBy(() -> recipe.run(plan, new RecipeListener() {
            @Override
            public void epoch(EpochResult result) {
                done.add(result);
            }

            @Override
            public boolean stopping() {
                return done.stream().anyMatch(e -> e.phase().equals(phase) && e.epoch() == epoch);
            }
        }, checkpoint)).isInstanceOf(TrainingStoppedException.class)
                .hasMessageContaining("after " + phase + " epoch " + epoch + ", kept as a checkpoint");
    }

    @ParameterizedTest
    @ValueSource(strings = {"block1_conv1", "block3_conv1"})
    void aTrainingStoppedDuringFineTuningResumesFromItsLastEpochAsIfNeverStopped(String unfreezeFrom,
                                                                                 @TempDir Path checkpoints) {
        // no dropout, so the uninterrupted and the resumed training make identical updates
        TrainingPlan plan = fineTunePlan("r-resume", unfreezeFrom);
        List<EpochResult> uninterrupted = new ArrayList<>();
        TrainedModel reference = recipe.run(plan, uninterrupted::add, Checkpoint.none());

        Checkpoint checkpoint = new Checkpoint(checkpoints.resolve("r-resume"), "the request", Duration.ZERO, () -> { });
        stopAfterEpoch(recipe, plan, checkpoint, "fine-tune", 2);
        assertThat(checkpoint.describe()).hasValue("the checkpoint after fine-tune epoch 2");

        List<EpochResult> afterRestart = new ArrayList<>();
        List<String> phases = new ArrayList<>();
        TrainedModel resumed = recipe.run(plan, new RecipeListener() {
            @Override
            public void epoch(EpochResult epoch) {
                afterRestart.add(epoch);
            }

            @Override
            public void phaseStarted(String phase) {
                phases.add(phase);
            }
        }, checkpoint);

        assertThat(phases).containsExactly("fine-tune");
        assertThat(afterRestart).extracting(e -> e.phase() + " " + e.epoch())
                .containsExactly("fine-tune 3", "fine-tune 4");
        assertThat(resumed.report().history()).extracting(e -> e.phase() + " " + e.epoch())
                .containsExactly("frozen 1", "frozen 2", "fine-tune 1", "fine-tune 2", "fine-tune 3", "fine-tune 4");
        for (int i = 0; i < uninterrupted.size(); i++) {
            assertThat(resumed.report().history().get(i).validationLoss()).as("epoch %d", i + 1)
                    .isCloseTo(uninterrupted.get(i).validationLoss(), within(1e-4));
        }
        assertThat(resumed.metrics().get("loss")).isCloseTo(reference.metrics().get("loss"), within(1e-4));
        assertThat(resumed.report().best().phase()).isEqualTo(reference.report().best().phase());
        assertThat(resumed.report().best().epoch()).isEqualTo(reference.report().best().epoch());
        // ran the same way both times (the cached run's times differ)
        assertThat(resumed.report().fineTunePhase().replaceAll(" in [0-9.]+ s", ""))
                .isEqualTo(reference.report().fineTunePhase().replaceAll(" in [0-9.]+ s", ""))
                .startsWith(unfreezeFrom.equals("block3_conv1") ? "cached features" : "end to end");
        assertThat(resumed.graph().params().sub(reference.graph().params()).amaxNumber().doubleValue()).isLessThan(1e-3);
    }

    @Test
    void aShutdownKeepsTheEpochThatEndsWithinTheGraceWhateverTheCheckpointInterval(@TempDir Path checkpoints) {
        TrainingPlan plan = fineTunePlan("r-shutdown");
        // an hour between checkpoints: only the end of phase 1 would be kept, but for the shutdown
        Checkpoint checkpoint = new Checkpoint(checkpoints.resolve("r-shutdown"), "the request", Duration.ofHours(1), () -> { });
        stopAfterEpoch(recipe, plan, checkpoint, "fine-tune", 1);
        assertThat(checkpoint.describe()).hasValue("the checkpoint after fine-tune epoch 1");
    }

    @ParameterizedTest
    @ValueSource(longs = {1L << 30, 0})
    void aTrainingStoppedDuringPhaseOneResumesFromItsLastEpochOnCachedFeaturesOrEndToEnd(long maxFeatureCacheBytes,
                                                                                         @TempDir Path checkpoints) {
        TransferRecipe recipe = recipe(maxFeatureCacheBytes);
        TrainingPlan plan = TrainingRequestValidator.validate(new TrainingRequest("r-resume-1", "stripes",
                Task.CLASSIFICATION, new TrainingRequest.Dataset("stripes/train", "stripes/validation", null, null, null),
                new TrainingRequest.Base("small-convnet", "random", TestImages.SIZE, TestImages.SIZE),
                new TrainingRequest.Head(16, 0.0), new TrainingRequest.FrozenPhase(4, 0.01, 16), null,
                null, null, null, 5L));
        List<EpochResult> uninterrupted = new ArrayList<>();
        recipe.run(plan, uninterrupted::add, Checkpoint.none());

        Checkpoint checkpoint = new Checkpoint(checkpoints.resolve("r-resume-1"), "the request", Duration.ZERO, () -> { });
        stopAfterEpoch(recipe, plan, checkpoint, "frozen", 2);
        assertThat(checkpoint.describe()).hasValue("the checkpoint after frozen epoch 2");

        List<EpochResult> afterRestart = new ArrayList<>();
        TrainedModel resumed = recipe.run(plan, afterRestart::add, checkpoint);

        assertThat(afterRestart).extracting(EpochResult::epoch).containsExactly(3, 4);
        assertThat(resumed.report().history()).extracting(EpochResult::epoch).containsExactly(1, 2, 3, 4);
        for (int i = 0; i < uninterrupted.size(); i++) {
            assertThat(resumed.report().history().get(i).validationLoss()).as("epoch %d", i + 1)
                    .isCloseTo(uninterrupted.get(i).validationLoss(), within(1e-4));
        }
    }

    @Test
    void cachedFeaturesTrainTheHeadExactlyAsEndToEndWithTheBaseFrozen() {
        // no dropout, so both ways see identical batches and make identical updates
        TrainingRequest request = new TrainingRequest("r-c", "stripes", Task.CLASSIFICATION,
                new TrainingRequest.Dataset("stripes/train", "stripes/validation", null, null, null),
                new TrainingRequest.Base("small-convnet", "random", TestImages.SIZE, TestImages.SIZE),
                new TrainingRequest.Head(16, 0.0), new TrainingRequest.FrozenPhase(3, 0.01, 8), null,
                null, null, null, 3L);
        TrainingPlan plan = TrainingRequestValidator.validate(request);
        List<EpochResult> cached = new ArrayList<>();
        TrainedModel fromCache = recipe.run(plan, cached::add, Checkpoint.none());
        List<EpochResult> endToEnd = new ArrayList<>();
        TrainedModel fromImages = recipe(0).run(plan, endToEnd::add, Checkpoint.none());

        assertThat(fromCache.report().frozenPhase()).startsWith("cached features");
        assertThat(fromImages.report().frozenPhase()).contains("over graft.trainer.max-feature-cache-bytes");
        for (int i = 0; i < 3; i++) {
            assertThat(cached.get(i).validationLoss()).isCloseTo(endToEnd.get(i).validationLoss(), within(1e-4));
            assertThat(cached.get(i).trainLoss()).isCloseTo(endToEnd.get(i).trainLoss(), within(1e-4));
        }
        assertThat(fromCache.graph().params().sub(fromImages.graph().params()).amaxNumber().doubleValue())
                .isLessThan(1e-3);
    }

    @Test
    void earlyStoppingEndsAPhaseThatStopsImprovingAndKeepsTheEarlierBestWeights() {
        // a learning rate too small to change float32 weights: fine-tuning can never improve
        TrainingRequest request = new TrainingRequest("r-e", "stripes", Task.CLASSIFICATION,
                new TrainingRequest.Dataset("stripes/train", null, 0.25, null, null),
                new TrainingRequest.Base("small-convnet", "random", TestImages.SIZE, TestImages.SIZE),
                new TrainingRequest.Head(16, 0.0), new TrainingRequest.FrozenPhase(2, 0.01, 8),
                new TrainingRequest.FineTunePhase(10, 1e-12, 8, "block3_conv1"), null, "balanced",
                new TrainingRequest.EarlyStopping(2), 5L);
        TrainedModel model = recipe.run(TrainingRequestValidator.validate(request), e -> { }, Checkpoint.none());

        TrainingReport report = model.report();
        assertThat(report.trainImages()).isEqualTo(36);
        assertThat(report.validationImages()).isEqualTo(12);
        assertThat(report.validationClassCounts()).containsEntry("horizontal", 6).containsEntry("vertical", 6);
        assertThat(report.history()).filteredOn(e -> e.phase().equals("fine-tune")).hasSize(3);
        assertThat(report.stoppedEarly()).containsEntry("fine-tune", 3);
        assertThat(report.best().phase()).isEqualTo("frozen");
        assertThat(report.finalMetrics().get("loss")).isCloseTo(report.best().validationLoss(), within(1e-4));
    }

    @Test
    void aCosineScheduleTrainsEachEpochAtItsRateAndTheNetworkEndsAtTheLastOne() {
        TrainingRequest request = new TrainingRequest("r-cos", "stripes", Task.CLASSIFICATION,
                new TrainingRequest.Dataset("stripes/train", "stripes/validation", null, null, null),
                new TrainingRequest.Base("small-convnet", "random", TestImages.SIZE, TestImages.SIZE),
                new TrainingRequest.Head(16, 0.0), new TrainingRequest.FrozenPhase(4, 0.01, 8, "cosine"),
                new TrainingRequest.FineTunePhase(3, 0.003, 8, "block1_conv1", "cosine"), null, null, null, 3L);
        TrainedModel model = recipe.run(TrainingRequestValidator.validate(request), e -> { }, Checkpoint.none());

        // half a cosine per phase: cos(pi * (epoch - 1) / epochs)
        assertThat(model.report().history()).extracting(EpochResult::learningRate)
                .usingElementComparator((a, b) -> Math.abs(a - b) < 1e-12 ? 0 : Double.compare(a, b)).containsExactly(
                0.01, 0.01 * 0.5 * (1 + Math.cos(Math.PI / 4)), 0.005, 0.01 * 0.5 * (1 + Math.cos(3 * Math.PI / 4)),
                0.003, 0.003 * 0.75, 0.003 * 0.25);
        // what DL4J's updater used in the last fine-tune epoch, not only what the report says
        var output = (org.deeplearning4j.nn.conf.layers.BaseLayer) model.graph().getLayer(BaseSurgery.HEAD_OUTPUT)
                .conf().getLayer();
        assertThat(output.getIUpdater().getLearningRate(0, 0)).isCloseTo(0.003 * 0.25, within(1e-9));
    }

    @Test
    void augmentationTrainsTheFrozenPhaseEndToEnd() {
        TrainingRequest request = new TrainingRequest("r-a", "stripes", Task.CLASSIFICATION,
                new TrainingRequest.Dataset("stripes/train", "stripes/validation", null, null, null),
                new TrainingRequest.Base("small-convnet", "random", TestImages.SIZE, TestImages.SIZE),
                new TrainingRequest.Head(16, 0.0), new TrainingRequest.FrozenPhase(1, 0.01, 8), null,
                new TrainingRequest.Augmentation("flip", null, 0.1, null, null, null, null), null, null, 3L);
        TrainedModel model = recipe.run(TrainingRequestValidator.validate(request), e -> { }, Checkpoint.none());
        assertThat(model.report().frozenPhase()).contains("augmentation");
        assertThat(model.report().history()).hasSize(1);
    }

    @Test
    void aRandomResNet50TrainsToFiniteLossesWithItsBatchNormInInferenceMode() {
        TrainingRequest request = new TrainingRequest("r-r", "stripes", Task.CLASSIFICATION,
                new TrainingRequest.Dataset("stripes/train", "stripes/validation", null, null, null),
                new TrainingRequest.Base("resnet50", "random", 70, 70),
                new TrainingRequest.Head(16, 0.0), new TrainingRequest.FrozenPhase(1, 0.001, 16),
                new TrainingRequest.FineTunePhase(1, 1e-4, 16, "conv5_block3_1_conv"), null, null, null, 3L);
        TrainingPlan plan = TrainingRequestValidator.validate(request);
        TrainedModel model = recipe.run(plan, e -> { }, Checkpoint.none());
        assertThat(model.report().history()).hasSize(2).allSatisfy(e -> {
            assertThat(e.trainLoss()).isFinite();
            assertThat(e.validationLoss()).isFinite();
        });
        assertThat(model.lineage().featureLayer()).isEqualTo("res5c_branch");

        // phase 2 from conv5_block3_1_conv: that conv trains, the batch norm right after it does not
        var base = new BaseFactory(store, new DatasetReader(data.toString(), RemoteDatasets.none()), new ImageNetWeights(Path.of("target/no-weights")), Optional.empty(), Optional.empty(), Duration.ofSeconds(30)).load(plan.base(), 3L);
        // as the recipe does for random weights: else activations overflow through 50 layers
        dev.graft.trainer.base.BatchNorms.calibrate(base.graph(), Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 8, 3, 70, 70));
        ComputationGraph fineTuned = BaseSurgery.frozenBelow(BaseSurgery.unfrozen(
                BaseSurgery.withNewHead(base, TransferRecipe.newHead(plan, 2, null), plan.frozen().learningRate(), plan.seed())), "res5c_branch2a", 1e-3, 3L);
        INDArray conv = fineTuned.getLayer("res5c_branch2a").params().dup();
        INDArray norm = fineTuned.getLayer("bn5c_branch2a").params().dup();
        INDArray below = fineTuned.getLayer("res5b_branch2a").params().dup();
        Nd4j.getRandom().setSeed(3);
        fineTuned.fit(new org.nd4j.linalg.dataset.MultiDataSet(Nd4j.rand(4, 3, 70, 70),
                Nd4j.createFromArray(new float[][]{{1, 0}, {0, 1}, {1, 0}, {0, 1}})));
        assertThat(fineTuned.getLayer("res5c_branch2a").params()).isNotEqualTo(conv);
        assertThat(fineTuned.getLayer("bn5c_branch2a").params()).isEqualTo(norm);
        assertThat(fineTuned.getLayer("res5b_branch2a").params()).isEqualTo(below);

        // stored with plain batch norms computing what the affine maps computed, and a later training (the
        // demo's regressor on its classifier) replaces its head as on any ResNet50
        ComputationGraph stored = BaseSurgery.unfrozen(fineTuned);
        assertThat(stored.getLayer("bn5c_branch2a").conf().getLayer())
                .isInstanceOf(org.deeplearning4j.nn.conf.layers.BatchNormalization.class);
        INDArray images = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 3, 70, 70);
        assertThat(stored.outputSingle(images).sub(fineTuned.outputSingle(images)).amaxNumber().doubleValue())
                .isLessThan(1e-5);
        ComputationGraph regressor = BaseSurgery.withNewHead(new dev.graft.trainer.base.Base(stored,
                dev.graft.trainer.base.Architecture.RESNET50, "res5c_branch", base.inputShape(), "model:r@1",
                Preprocessing.UNIT), TransferRecipe.newHead(plan, 3, null), plan.frozen().learningRate(), plan.seed());
        assertThat(regressor.getLayer("bn5c_branch2a").params()).isEqualTo(stored.getLayer("bn5c_branch2a").params());

        // from a block's first convolution, its shortcut convolution trains too (DL4J's order puts it earlier)
        assertThat(BaseSurgery.below(fineTuned, "res5a_branch2a")).contains("res4f_branch", "bn4f_branch2c")
                .doesNotContain("res5a_branch1", "bn5a_branch1", "res5a_branch2a");
        assertThat(FineTuneFeatures.boundary(fineTuned, "res5a_branch2a")).contains("res4f_branch");
    }

    @Test
    void aKerasModelIsABaseAndItsResultNeedsNoKerasClassesToServe() {
        dev.graft.trainer.KerasFiles.tinyVgg(data.resolve("tiny.h5"), TestImages.SIZE, 1);
        TrainingRequest request = new TrainingRequest("r-k", "stripes", Task.CLASSIFICATION,
                new TrainingRequest.Dataset("stripes/train", "stripes/validation", null, null, null),
                new TrainingRequest.Base(null, "keras:tiny.h5", TestImages.SIZE, TestImages.SIZE),
                new TrainingRequest.Head(16, 0.0), new TrainingRequest.FrozenPhase(2, 0.01, 8),
                new TrainingRequest.FineTunePhase(2, 1e-3, 8, "block2_conv1"), null, null, null, 3L);
        TrainedModel model = recipe.run(TrainingRequestValidator.validate(request), e -> { }, Checkpoint.none());
        assertThat(model.report().history()).hasSize(4).allSatisfy(e -> assertThat(e.validationLoss()).isFinite());
        assertThat(model.lineage().architecture()).isEqualTo("keras");
        assertThat(model.lineage().weights()).isEqualTo("keras:tiny.h5");
        assertThat(model.lineage().featureLayer()).isEqualTo("block2_pool");
        // the inference service has no Keras import on its classpath
        assertThat(model.graph().getConfiguration().toJson()).doesNotContain("modelimport");
    }

    @Test
    void balancedClassWeightsGrowWithRarity() {
        TrainingPlan plan = TrainingRequestValidator.validate(new TrainingRequest("r", "m", Task.CLASSIFICATION,
                new TrainingRequest.Dataset("t", "v", null, null, null),
                new TrainingRequest.Base("small-convnet", "random", 8, 8), null, new TrainingRequest.FrozenPhase(1, 0.1, 4),
                null, null, "balanced", null, 1L));
        var images = new dev.graft.trainer.dataset.LabeledImages(
                List.of(Path.of("a"), Path.of("b"), Path.of("c"), Path.of("d")), List.of("common", "rare"),
                new int[]{0, 0, 0, 1}, null);
        assertThat(TrainingData.classWeights(plan, images).toDoubleVector())
                .containsExactly(new double[]{4.0 / 6, 2.0}, within(1e-6));
    }

    @Test
    void phaseOneLeavesTheBaseUntouchedAndPhaseTwoTrainsOnlyFromTheNamedLayer() {
        // SqueezeNet's fire modules end in merge vertices, which DL4J freezes separately from layers.
        // Phase 1 barely learns (one epoch, a tiny rate), so phase 2 beats it and its weights are kept.
        TrainingRequest request = classifier("squeezenet", "fire9_sq1x1");
        TrainingPlan plan = TrainingRequestValidator.validate(new TrainingRequest(request.requestId(), request.model(),
                request.task(), request.dataset(), request.base(), request.head(),
                new TrainingRequest.FrozenPhase(1, 1e-5, 16), request.fineTune(), null, null, null, request.seed()));
        List<EpochResult> ignored = new ArrayList<>();
        var base = new BaseFactory(store, new DatasetReader(data.toString(), RemoteDatasets.none()), new ImageNetWeights(Path.of("target/no-weights")), Optional.empty(), Optional.empty(), Duration.ofSeconds(30))
                .load(plan.base(), plan.seed());
        ComputationGraph original = base.graph().clone();
        TrainedModel model = recipe.run(plan, ignored::add, Checkpoint.none());
        assertThat(model.report().best().phase()).isEqualTo("fine-tune");

        // conv1 is below fire9_sq1x1: frozen in both phases, so it keeps its initial weights
        assertThat(model.graph().getLayer("conv1").params()).isEqualTo(original.getLayer("conv1").params());
        // fire9_sq1x1 is trained in phase 2
        assertThat(model.graph().getLayer("fire9_sq1x1").params()).isNotEqualTo(original.getLayer("fire9_sq1x1").params());
    }

    @Test
    void aStoredClassifierIsTheBaseOfARegressorWhichKeepsItsPreprocessing() {
        TrainingRequest asked = classifier("small-convnet", "block3_conv1");
        TrainingRequest.Base tf = new TrainingRequest.Base("small-convnet", "random", TestImages.SIZE, TestImages.SIZE, "tf");
        TrainedModel classifier = recipe.run(TrainingRequestValidator.validate(new TrainingRequest(asked.requestId(),
                asked.model(), asked.task(), asked.dataset(), tf, asked.head(), asked.frozen(), asked.fineTune(), null,
                null, null, asked.seed())), e -> { }, Checkpoint.none());
        assertThat(classifier.preprocessing()).isEqualTo(Preprocessing.TF);
        ModelManifest stored = store.publish(ModelManifest.draft("stripes", Task.CLASSIFICATION, classifier.labels(), null,
                        classifier.inputShape(), classifier.preprocessing(), classifier.metrics(), classifier.lineage(), "r-1"),
                file -> ModelSerializer.writeModel(classifier.graph(), file.toFile(), false));

        TrainingRequest regressor = new TrainingRequest("r-2", "prices", Task.REGRESSION,
                new TrainingRequest.Dataset("prices/train.csv", "prices/validation.csv", null, null, "price"),
                new TrainingRequest.Base(null, "model:stripes@" + stored.version(), null, null),
                new TrainingRequest.Head(32, 0.0),
                new TrainingRequest.FrozenPhase(4, 0.01, 16), null, null, null, null, 7L);
        List<EpochResult> epochs = new ArrayList<>();
        TrainedModel model = recipe.run(TrainingRequestValidator.validate(regressor), epochs::add, Checkpoint.none());

        assertThat(epochs).hasSize(4).allSatisfy(e -> assertThat(e.metric()).isEqualTo("mae"));
        assertThat(model.targetNormalization()).isNotNull();
        assertThat(model.metrics()).containsKeys("loss", "mae", "rmse");
        assertThat(model.lineage().weights()).isEqualTo("model:stripes@" + stored.version());
        assertThat(model.lineage().architecture()).isEqualTo("small-convnet");
        assertThat(model.graph().getOutputLayer(0).getParam("W").shape()).containsExactly(32, 1);
        assertThat(model.preprocessing()).as("inherited from the stored base").isEqualTo(Preprocessing.TF);

        TrainingRequest.Base other = new TrainingRequest.Base(null, "model:stripes@" + stored.version(), null, null, "caffe");
        assertThatThrownBy(() -> recipe.run(TrainingRequestValidator.validate(new TrainingRequest("r-3", "prices",
                Task.REGRESSION, regressor.dataset(), other, regressor.head(), regressor.frozen(), null, null, null, null,
                7L)), e -> { }, Checkpoint.none()))
                .hasMessage("base.preprocessing 'caffe' differs from model:stripes@" + stored.version()
                        + "'s 'tf', which its layers were trained on; leave base.preprocessing out");
    }

    /**
     * Fine-tuning from block3 trains on block2_pool's output computed once; without dropout it makes the
     * updates fine-tuning on the images makes, and the network it returns has the trained weights.
     */
    @Test
    void cachedFineTuningTrainsTheTopExactlyAsEndToEnd() {
        TrainingPlan plan = TrainingRequestValidator.validate(new TrainingRequest("r-ft", "stripes", Task.CLASSIFICATION,
                new TrainingRequest.Dataset("stripes/train", "stripes/validation", null, null, null),
                new TrainingRequest.Base("small-convnet", "random", TestImages.SIZE, TestImages.SIZE),
                new TrainingRequest.Head(16, 0.0), new TrainingRequest.FrozenPhase(1, 0.01, 8),
                new TrainingRequest.FineTunePhase(3, 0.003, 8, "block3_conv1"), null, null, null, 3L));
        List<EpochResult> cached = new ArrayList<>();
        TrainedModel fromCache = recipe.run(plan, cached::add, Checkpoint.none());
        List<EpochResult> endToEnd = new ArrayList<>();
        TrainedModel fromImages = recipe(0).run(plan, endToEnd::add, Checkpoint.none());

        assertThat(fromCache.report().fineTunePhase())
                .startsWith("cached features: the frozen layers up to block2_pool ran once over 64 images");
        assertThat(fromImages.report().fineTunePhase()).contains("over graft.trainer.max-feature-cache-bytes");
        assertThat(cached).hasSize(4);
        for (int i = 0; i < 4; i++) {
            assertThat(cached.get(i).validationLoss()).as("epoch %d", i).isCloseTo(endToEnd.get(i).validationLoss(), within(1e-4));
            assertThat(cached.get(i).trainLoss()).as("epoch %d", i).isCloseTo(endToEnd.get(i).trainLoss(), within(1e-4));
        }
        // fine-tuning changed block3, and the stored network has what it learned
        assertThat(fromCache.report().best().phase()).isEqualTo("fine-tune");
        assertThat(fromCache.graph().params().sub(fromImages.graph().params()).amaxNumber().doubleValue()).isLessThan(1e-3);
    }

    @Test
    void aRegressorAskedForMaeMinimisesItAndKeepsTheEpochWithTheLowestValidationMae() {
        TrainingRequest regressor = new TrainingRequest("r-mae", "prices", Task.REGRESSION,
                new TrainingRequest.Dataset("prices/train.csv", "prices/validation.csv", null, null, "price"),
                new TrainingRequest.Base("small-convnet", "random", TestImages.SIZE, TestImages.SIZE),
                new TrainingRequest.Head(16, 0.0, "mae"), new TrainingRequest.FrozenPhase(3, 0.01, 16),
                new TrainingRequest.FineTunePhase(1, 1e-3, 16, "block3_conv1"), null, null, null, 7L);
        List<EpochResult> epochs = new ArrayList<>();
        TrainedModel model = recipe.run(TrainingRequestValidator.validate(regressor), epochs::add, Checkpoint.none());

        // in both phases (cached features, then end to end) the output layer minimises the absolute error
        var output = (org.deeplearning4j.nn.conf.layers.OutputLayer) model.graph().getLayer(BaseSurgery.HEAD_OUTPUT)
                .conf().getLayer();
        assertThat(output.getLossFn()).isInstanceOf(org.nd4j.linalg.lossfunctions.impl.LossMAE.class);
        // validation loss is the MAE on normalised targets, so the epoch kept is the one with the lowest MAE
        double std = model.targetNormalization().std();
        assertThat(epochs).hasSize(4).allSatisfy(e ->
                assertThat(e.validationLoss() * std).isCloseTo(e.validationMetric(), within(1e-3 * e.validationMetric())));
    }

    @Test
    void aWrongLayerNameFailsBeforeTrainingAndListsTheValidOnes() {
        assertThatThrownBy(() -> recipe.run(TrainingRequestValidator.validate(classifier("squeezenet", "block5_conv1")), e -> {
            throw new AssertionError("no epoch may run");
        }, Checkpoint.none())).hasMessageContaining("unknown layer 'block5_conv1' for squeezenet")
                .hasMessageContaining("fire9_sq1x1");
    }
}
