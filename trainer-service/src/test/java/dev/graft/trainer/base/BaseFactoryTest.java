package dev.graft.trainer.base;

import dev.graft.shared.events.TrainingRequest;
import dev.graft.shared.store.ModelStore;
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
        BaseFactory factory = new BaseFactory(new ModelStore(dir.resolve("models")), Optional.of(cache.toString()),
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
        BaseFactory factory = new BaseFactory(new ModelStore(dir), Optional.empty(), Optional.empty(), Duration.ofSeconds(5));
        assertThatThrownBy(() -> factory.load(new TrainingRequest.Base("vgg16", "random", 16, 64), 1))
                .hasMessageContaining("vgg16 needs inputs of at least 32x32 pixels, got 16x64");
        assertThatThrownBy(() -> factory.load(new TrainingRequest.Base(null, "model:nothing", null, null), 1))
                .hasMessageContaining("base model 'nothing' has no version in the store");
        assertThatThrownBy(() -> factory.load(new TrainingRequest.Base("small-convnet", "imagenet", 32, 32), 1))
                .hasMessageContaining("small-convnet has no imagenet weights");
        assertThatThrownBy(() -> factory.load(new TrainingRequest.Base("small-convnet", "pretrained", 32, 32), 1))
                .hasMessageContaining("use random, imagenet or model:NAME[@VERSION]");
    }
}
