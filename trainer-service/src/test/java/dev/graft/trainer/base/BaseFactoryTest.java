package dev.graft.trainer.base;

import dev.graft.contract.events.TrainingRequest;
import dev.graft.store.ModelStore;
import dev.graft.trainer.KerasFiles;
import dev.graft.trainer.dataset.DatasetReader;
import dev.graft.trainer.dataset.RemoteDatasets;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.modelimport.keras.KerasModelImport;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.deeplearning4j.common.resources.DL4JResources;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BaseFactoryTest {
    @TempDir
    Path dir;

    @AfterEach
    void restoreZooDefaults() {
        DL4JResources.resetBaseDirectoryLocation();
        DL4JResources.setBaseDownloadURL("https://dl4jdata.blob.core.windows.net/");
    }

    @Test
    void offlineImagenetFailsFastNamingTheFileTheFolderAndTheSettings() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getByName("127.0.0.1"))) {
            closedPort = socket.getLocalPort();
        }
        Path cache = dir.resolve("zoo-cache");
        BaseFactory factory = new BaseFactory(new ModelStore(dir.resolve("models")), new DatasetReader(dir.toString(), RemoteDatasets.none()),
                new ImageNetWeights(Path.of("target/no-weights")), Optional.of(cache.toString()),
                Optional.of("http://127.0.0.1:" + closedPort + "/dl4j"), Duration.ofSeconds(30));

        long start = System.nanoTime();
        assertThatThrownBy(() -> factory.load(new TrainingRequest.Base("squeezenet", "imagenet", 64, 64), 1))
                .hasMessageContaining("imagenet weights for squeezenet are not available")
                .hasMessageContaining("http://127.0.0.1:" + closedPort + "/dl4j/models/squeezenet_dl4j_inference")
                .hasMessageContaining(cache.resolve("models").resolve("squeezenet").toString())
                .hasMessageContaining("graft.zoo.cache-dir")
                .hasMessageContaining("graft.zoo.mirror");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void tooSmallInputsAndMissingStoredBasesAreExplained() {
        BaseFactory factory = new BaseFactory(new ModelStore(dir), new DatasetReader(dir.toString(), RemoteDatasets.none()), new ImageNetWeights(Path.of("target/no-weights")), Optional.empty(),
                Optional.empty(), Duration.ofSeconds(5));
        assertThatThrownBy(() -> factory.load(new TrainingRequest.Base("vgg16", "random", 16, 64), 1))
                .hasMessageContaining("vgg16 needs inputs of at least 32x32 pixels, got 16x64");
        assertThatThrownBy(() -> factory.load(new TrainingRequest.Base(null, "model:nothing", null, null), 1))
                .hasMessageContaining("base model 'nothing' has no version in the store");
        assertThatThrownBy(() -> factory.load(new TrainingRequest.Base("small-convnet", "imagenet", 32, 32), 1))
                .hasMessageContaining("small-convnet has no imagenet weights");
        assertThatThrownBy(() -> factory.load(new TrainingRequest.Base("small-convnet", "pretrained", 32, 32), 1))
                .hasMessageContaining("use random, imagenet, keras:PATH, tfjs:PATH or model:NAME[@VERSION]");
    }

    @Test
    void aKerasH5IsABaseWithItsKerasNamesAndRunsOnChannelsFirstImages() throws Exception {
        KerasFiles.tinyVgg(dir.resolve("tiny.h5"), 16, 1);
        BaseFactory factory = new BaseFactory(new ModelStore(dir.resolve("models")), new DatasetReader(dir.toString(), RemoteDatasets.none()),
                new ImageNetWeights(Path.of("target/no-weights")), Optional.empty(), Optional.empty(), Duration.ofSeconds(5));

        Base own = factory.load(new TrainingRequest.Base(null, "keras:tiny.h5", 16, 16), 1);
        assertThat(own.featureVertex()).isEqualTo("block2_pool");
        assertThat(own.architectureId()).isEqualTo("keras");
        assertThat(own.resolveLayer("block2_conv1")).isEqualTo("block2_conv1");
        assertThatThrownBy(() -> own.resolveLayer("block5_conv1")).hasMessageContaining("valid layers: block1_conv1");

        // the imported network computes what the .h5 holds: same output for an image in either layout
        ComputationGraph original = KerasModelImport.importKerasModelAndWeights(dir.resolve("tiny.h5").toString(), false);
        Nd4j.getRandom().setSeed(4);
        INDArray nchw = Nd4j.rand(2, 3, 16, 16);
        INDArray expected = original.feedForward(nchw.permute(0, 2, 3, 1).dup(), false).get("block2_pool");
        // (the old top still expects channels-last flattening; the recipe replaces it)
        INDArray actual = BatchNorms.forwardTo(own.graph(), nchw, "block2_pool").get("block2_pool");
        assertThat(actual.permute(0, 2, 3, 1).sub(expected).amaxNumber().doubleValue()).isLessThan(1e-5);

        assertThatThrownBy(() -> factory.load(new TrainingRequest.Base(null, "keras:missing.h5", 16, 16), 1))
                .hasMessageContaining("file missing.h5 does not exist under the data root");
        java.nio.file.Files.writeString(dir.resolve("broken.h5"), "not hdf5");
        assertThatThrownBy(() -> factory.load(new TrainingRequest.Base(null, "keras:broken.h5", 16, 16), 1))
                .hasMessageContaining("cannot import the Keras model broken.h5");
        assertThatThrownBy(() -> factory.load(new TrainingRequest.Base(null, "keras:../outside.h5", 16, 16), 1))
                .hasMessageContaining("outside the data root");
    }
}
