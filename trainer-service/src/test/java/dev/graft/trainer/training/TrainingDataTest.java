package dev.graft.trainer.training;

import dev.graft.contract.events.TrainingRequest;
import dev.graft.contract.manifest.Task;
import dev.graft.testing.TestImages;
import dev.graft.trainer.dataset.DatasetReader;
import dev.graft.trainer.dataset.RemoteDatasets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TrainingDataTest {
    @TempDir
    Path data;

    @Test
    void feedbackExamplesJoinTheTrainingImagesAndNeverTheValidationOnes() throws IOException {
        TestImages.classFolders(data.resolve("train"), 4, 1);
        TestImages.classFolders(data.resolve("captured/m"), 1, 2);
        List<String> rows;
        try (var files = Files.list(data.resolve("captured/m/vertical"))) {
            rows = files.map(f -> "vertical/" + f.getFileName() + ",horizontal").toList();
        }
        Files.write(data.resolve("captured/m/feedback-1.csv"), java.util.stream.Stream.concat(
                java.util.stream.Stream.of("file,label"), rows.stream()).toList());
        TrainingPlan plan = TrainingRequestValidator.validate(new TrainingRequest("r", "m", Task.CLASSIFICATION,
                new TrainingRequest.Dataset("train", null, 0.25, null, null, "captured/m/feedback-1.csv"),
                new TrainingRequest.Base("small-convnet", "random", 8, 8), null, new TrainingRequest.FrozenPhase(1, 0.1, 4),
                null, null, null, null, 1L));

        TrainingData read = TrainingData.read(plan, new DatasetReader(data.toString(), RemoteDatasets.none()));

        assertThat(read.validation().size()).as("a quarter of the 8 training images").isEqualTo(2);
        assertThat(read.train().size()).as("the other 6, and the feedback row").isEqualTo(7);
        assertThat(read.train().files()).contains(data.resolve("captured/m/" + rows.get(0).split(",")[0]));
        assertThat(read.validation().files()).noneMatch(f -> f.startsWith(data.resolve("captured")));
        assertThat(read.train().countsByLabel()).containsEntry("horizontal", 4).containsEntry("vertical", 3);
    }
}
