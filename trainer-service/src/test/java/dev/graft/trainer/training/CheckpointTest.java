package dev.graft.trainer.training;

import dev.graft.trainer.storage.TrainerState;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class CheckpointTest {
    @TempDir
    Path root;

    static ComputationGraph network() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).updater(new Adam(0.01))
                .graphBuilder().addInputs("in")
                .addLayer("dense", new DenseLayer.Builder().nIn(3).nOut(4).activation(Activation.RELU).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(4).nOut(1)
                        .activation(Activation.IDENTITY).build(), "dense")
                .setOutputs("out").build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        graph.fit(new org.nd4j.linalg.dataset.DataSet(Nd4j.rand(8, 3), Nd4j.rand(8, 1)));
        return graph;
    }

    static Progress state(Progress.InPhase phase) {
        EpochResult epoch = new EpochResult("frozen", 1, 1, 0.5, "accuracy", 0.7, 0.6, 0.65, Double.NaN, 100, 1.5, 3, 1e-3);
        return new Progress(List.of(epoch), Map.of("frozen", 1.5), Map.of(), "cached features", 0.6,
                new TrainingReport.BestEpoch("frozen", 1, 0.6), Double.NaN, phase);
    }

    @Test
    void theNewestFineTuneEpochComesBackWithItsOptimizerStateAndOlderOnesAreDropped() throws IOException {
        Checkpoints checkpoints = new Checkpoints(TrainerState.folder(root), Duration.ZERO);
        Checkpoint checkpoint = checkpoints.of("r-1", "{request}");
        assertThat(checkpoint.describe()).isEmpty();
        ComputationGraph network = network();
        checkpoint.saveEndOfFrozen(network, state(null));
        assertThat(checkpoints.of("r-1", "{request}").describe()).hasValue("the checkpoint at the end of phase 1");

        checkpoint.saveEpoch("fine-tune", 1, network, null, state(new Progress.InPhase(1, 0.7, 0, 2.0)));
        checkpoint.saveEpoch("fine-tune", 2, network, network.params().dup(), state(new Progress.InPhase(2, 0.55, 0, 4.0)));

        Checkpoint afterRestart = checkpoints.of("r-1", "{request}");
        assertThat(afterRestart.describe()).hasValue("the checkpoint after fine-tune epoch 2");
        Checkpoint.Saved saved = afterRestart.lastEpoch("fine-tune").orElseThrow();
        assertThat(saved.network().params()).isEqualTo(network.params());
        assertThat(saved.network().getUpdater().getStateViewArray()).isEqualTo(network.getUpdater().getStateViewArray());
        assertThat(saved.phaseBestParams()).isEqualTo(network.params());
        assertThat(saved.progress().phase()).isEqualTo(new Progress.InPhase(2, 0.55, 0, 4.0));
        assertThat(saved.progress().history()).hasSize(1);
        assertThat(saved.progress().forwardSecondsPerImage()).isNaN();
        assertThat(afterRestart.endOfFrozen()).isPresent();
        try (Stream<Path> folders = Files.list(root.resolve("checkpoints").toFile().listFiles()[0].toPath())) {
            assertThat(folders.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("request.sha256", "end-of-frozen", "fine-tune-2");
        }

        checkpoints.discard("r-1");
        assertThat(checkpoints.of("r-1", "{request}").describe()).isEmpty();
        assertThat(root.resolve("checkpoints")).isEmptyDirectory();
    }

    @Test
    void anotherRequestUnderTheSameIdOrABrokenCheckpointStartsFromTheBeginning() throws IOException {
        Checkpoints checkpoints = new Checkpoints(TrainerState.folder(root), Duration.ZERO);
        checkpoints.of("r-2", "{first}").saveEndOfFrozen(network(), state(null));

        Checkpoint other = checkpoints.of("r-2", "{changed}");
        assertThat(other.describe()).isEmpty();
        assertThat(other.endOfFrozen()).isEmpty();
        other.saveEndOfFrozen(network(), state(null));
        assertThat(checkpoints.of("r-2", "{first}").endOfFrozen()).isEmpty();

        try (Stream<Path> files = Files.walk(root.resolve("checkpoints"))) {
            Files.writeString(files.filter(f -> f.getFileName().toString().equals("network.zip")).findFirst().orElseThrow(),
                    "not a zip");
        }
        assertThat(checkpoints.of("r-2", "{changed}").endOfFrozen()).isEmpty();
    }

    @Test
    void aCheckpointThatCannotBeWrittenLeavesTrainingToGoOn() throws IOException {
        Path blocked = root.resolve("blocked");
        Files.writeString(blocked, "a file where the store's folder would go");
        Checkpoint checkpoint = new Checkpoints(TrainerState.folder(blocked), Duration.ZERO).of("r-3", "{request}");

        checkpoint.saveEndOfFrozen(network(), state(null));

        assertThat(checkpoint.describe()).isEmpty();
    }

    @Test
    void epochsAreKeptOnlyOnceTheIntervalHasPassedAndTheEndOfPhaseOneReplacesThem() {
        Checkpoints everyHour = new Checkpoints(TrainerState.folder(root), Duration.ofHours(1));
        Checkpoint hourly = everyHour.of("r-4", "{request}");
        hourly.saveEpoch("frozen", 1, network(), null, state(new Progress.InPhase(1, 0.6, 0, 0.1)));
        assertThat(hourly.describe()).isEmpty();

        Checkpoint always = new Checkpoints(TrainerState.folder(root), Duration.ZERO).of("r-5", "{request}");
        always.saveEpoch("frozen", 3, network(), null, state(new Progress.InPhase(3, 0.6, 0, 0.3)));
        assertThat(always.describe()).hasValue("the checkpoint after frozen epoch 3");
        assertThat(always.lastEpoch("fine-tune")).isEmpty();
        always.saveEndOfFrozen(network(), state(null));
        assertThat(always.describe()).hasValue("the checkpoint at the end of phase 1");
        assertThat(always.lastEpoch("frozen")).isEmpty();
    }
}
