package dev.graft.trainer.training;

import dev.graft.shared.events.TrainingRequest;
import dev.graft.shared.manifest.ModelManifest;
import dev.graft.shared.manifest.Task;
import dev.graft.shared.store.ModelStore;
import dev.graft.trainer.TestImages;
import dev.graft.trainer.base.BaseFactory;
import dev.graft.trainer.dataset.DatasetReader;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.FrozenLayer;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TransferRecipeTest {
    @TempDir
    static Path data;
    @TempDir
    static Path models;

    static ModelStore store;
    static TransferRecipe recipe;

    @BeforeAll
    static void datasets() {
        TestImages.classFolders(data.resolve("stripes/train"), 24, 1);
        TestImages.classFolders(data.resolve("stripes/validation"), 8, 2);
        TestImages.priceCsv(data.resolve("prices"), "train.csv", 48, 3);
        TestImages.priceCsv(data.resolve("prices"), "validation.csv", 16, 4);
        store = new ModelStore(models);
        recipe = new TransferRecipe(new BaseFactory(store, Optional.empty(), Optional.empty(), Duration.ofSeconds(30)),
                new DatasetReader(data.toString()), 1L << 30);
    }

    /** Random weights carry little signal, so learning here needs the whole network unfrozen in phase 2. */
    static TrainingRequest classifier(String architecture, String unfreezeFrom) {
        return new TrainingRequest("r-1", "stripes", Task.CLASSIFICATION,
                new TrainingRequest.Dataset("stripes/train", "stripes/validation", null, null),
                new TrainingRequest.Base(architecture, "random", TestImages.SIZE, TestImages.SIZE),
                new TrainingRequest.Head(32, 0.2),
                new TrainingRequest.FrozenPhase(3, 0.01, 16),
                new TrainingRequest.FineTunePhase(3, 0.003, 16, unfreezeFrom), 7L);
    }

    @Test
    void trainsBothPhasesReportsEveryEpochAndLeavesNoFrozenLayer() {
        List<EpochResult> epochs = new ArrayList<>();
        TrainedModel model = recipe.run(TrainingRequestValidator.validate(classifier("small-convnet", "block1_conv1")), epochs::add);

        assertThat(epochs).extracting(EpochResult::phase)
                .containsExactly("frozen", "frozen", "frozen", "fine-tune", "fine-tune", "fine-tune");
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
    }

    @Test
    void phaseOneLeavesTheBaseUntouchedAndPhaseTwoTrainsOnlyFromTheNamedLayer() {
        // SqueezeNet's fire modules end in merge vertices, which DL4J freezes separately from layers
        TrainingPlan plan = TrainingRequestValidator.validate(classifier("squeezenet", "fire9_sq1x1"));
        List<EpochResult> ignored = new ArrayList<>();
        var base = new BaseFactory(store, Optional.empty(), Optional.empty(), Duration.ofSeconds(30))
                .load(plan.base(), plan.seed());
        ComputationGraph original = base.graph().clone();
        TrainedModel model = recipe.run(plan, ignored::add);

        // conv1 is below fire9_sq1x1: frozen in both phases, so it keeps its initial weights
        assertThat(model.graph().getLayer("conv1").params()).isEqualTo(original.getLayer("conv1").params());
        // fire9_sq1x1 is trained in phase 2
        assertThat(model.graph().getLayer("fire9_sq1x1").params()).isNotEqualTo(original.getLayer("fire9_sq1x1").params());
    }

    @Test
    void aStoredClassifierIsTheBaseOfARegressor() {
        TrainedModel classifier = recipe.run(TrainingRequestValidator.validate(
                classifier("small-convnet", "block3_conv1")), e -> { });
        ModelManifest stored = store.publish(ModelManifest.draft("stripes", Task.CLASSIFICATION, classifier.labels(), null,
                        classifier.inputShape(), classifier.metrics(), classifier.lineage(), "r-1"),
                file -> ModelSerializer.writeModel(classifier.graph(), file.toFile(), false));

        TrainingRequest regressor = new TrainingRequest("r-2", "prices", Task.REGRESSION,
                new TrainingRequest.Dataset("prices/train.csv", "prices/validation.csv", null, "price"),
                new TrainingRequest.Base(null, "model:stripes@" + stored.version(), null, null),
                new TrainingRequest.Head(32, 0.0),
                new TrainingRequest.FrozenPhase(4, 0.01, 16), null, 7L);
        List<EpochResult> epochs = new ArrayList<>();
        TrainedModel model = recipe.run(TrainingRequestValidator.validate(regressor), epochs::add);

        assertThat(epochs).hasSize(4).allSatisfy(e -> assertThat(e.metric()).isEqualTo("mae"));
        assertThat(model.targetNormalization()).isNotNull();
        assertThat(model.metrics()).containsKeys("loss", "mae", "rmse");
        assertThat(model.lineage().weights()).isEqualTo("model:stripes@" + stored.version());
        assertThat(model.lineage().architecture()).isEqualTo("small-convnet");
        assertThat(model.graph().getOutputLayer(0).getParam("W").shape()).containsExactly(32, 1);
    }

    @Test
    void aWrongLayerNameFailsBeforeTrainingAndListsTheValidOnes() {
        assertThatThrownBy(() -> recipe.run(TrainingRequestValidator.validate(classifier("squeezenet", "block5_conv1")), e -> {
            throw new AssertionError("no epoch may run");
        })).hasMessageContaining("unknown layer 'block5_conv1' for squeezenet")
                .hasMessageContaining("fire9_sq1x1");
    }
}
