package dev.graft.contract.events;

import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.Preprocessing;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.TargetNormalization;
import dev.graft.contract.manifest.Task;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrainingRequestJsonTest {

    @Test
    void readsTheDocumentedSampleRequest() {
        String json = """
                {"requestId": "cats-1", "model": "cats-vs-dogs", "task": "classification",
                 "dataset": {"train": "cats/train", "validation": "cats/validation"},
                 "base": {"architecture": "vgg16", "weights": "imagenet", "inputHeight": 150, "inputWidth": 150},
                 "frozen": {"epochs": 5, "learningRate": 0.001, "batchSize": 20},
                 "fineTune": {"epochs": 3, "learningRate": 0.00001, "batchSize": 20, "unfreezeFrom": "block5_conv1"},
                 "somethingNew": true}
                """;
        TrainingRequest request = Json.read(json, TrainingRequest.class);

        assertThat(request.task()).isEqualTo(Task.CLASSIFICATION);
        assertThat(request.base().inputHeight()).isEqualTo(150);
        assertThat(request.fineTune().unfreezeFrom()).isEqualTo("block5_conv1");
        assertThat(request.head()).isNull();
        assertThat(Json.read(Json.write(request), TrainingRequest.class)).isEqualTo(request);
    }

    @Test
    void readsSplitsAugmentationClassWeightsAndEarlyStopping() {
        TrainingRequest request = Json.read("""
                {"dataset": {"train": "hotdogs", "validationSplit": 0.2},
                 "augmentation": {"preset": "keras-little-data", "rotation": 10},
                 "classWeights": {"hotdog": 2.5, "not-hotdog": 1},
                 "earlyStopping": {"patience": 3}}
                """, TrainingRequest.class);
        assertThat(request.dataset().validationSplit()).isEqualTo(0.2);
        assertThat(request.augmentation().preset()).isEqualTo("keras-little-data");
        assertThat(request.augmentation().rotation()).isEqualTo(10.0);
        assertThat(request.classWeights()).isEqualTo(Map.of("hotdog", 2.5, "not-hotdog", 1));
        assertThat(request.earlyStopping().patience()).isEqualTo(3);
        assertThat(Json.read("{\"classWeights\": \"balanced\"}", TrainingRequest.class).classWeights()).isEqualTo("balanced");
    }

    @Test
    void anEpochEventRoundTripsWithItsNewFields() {
        TrainingEvent epoch = TrainingEvent.epoch("r", "m", "frozen", 1, 3, 0.5, "accuracy", 0.8, 0.6, 0.75, 900, 2.5, 5);
        TrainingEvent read = Json.read(Json.write(epoch), TrainingEvent.class);
        assertThat(read).isEqualTo(epoch);
        assertThat(read.trainMetric()).isEqualTo(0.8);
        assertThat(read.etaSeconds()).isEqualTo(5.0);
        TrainingEvent dataset = TrainingEvent.dataset("r", "m", 10, 4, Map.of("a", 6, "b", 4), "10 training images");
        assertThat(Json.read(Json.write(dataset), TrainingEvent.class).classCounts()).containsEntry("a", 6);
    }

    @Test
    void anUnknownTaskOrBrokenJsonIsAReadableError() {
        assertThatThrownBy(() -> Json.read("{\"task\": \"segmentation\"}", TrainingRequest.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("segmentation");
        assertThatThrownBy(() -> Json.read("{\"frozen\": {\"epochs\": \"many\"}}", TrainingRequest.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid JSON for TrainingRequest at frozen.epochs: ");
        String deep = "{\"a\":".repeat(100) + "1" + "}".repeat(100);
        assertThatThrownBy(() -> Json.read(deep, TrainingRequest.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nesting depth");
        assertThatThrownBy(() -> Json.read("{not json", TrainingRequest.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid JSON for TrainingRequest");
    }

    @Test
    void aModelVersionEventCarriesTheManifestAndRoundTrips() {
        ModelManifest manifest = ModelManifest.draft("prices", Task.REGRESSION, List.of(),
                        new TargetNormalization(150, 60), InputShape.rgb(48, 48), Preprocessing.UNIT, Map.of("mae", 9.1), null, "r-1")
                .published(3, "model.zip", 1234, "ab".repeat(32));

        ModelVersionEvent event = ModelVersionEvent.of(manifest);

        assertThat(event.artifactLocation()).isEqualTo("prices/3/model.zip");
        assertThat(event.targetNormalization().denormalize(1.0)).isEqualTo(210.0);
        assertThat(Json.read(Json.write(event), ModelVersionEvent.class)).isEqualTo(event);
    }
}
