package dev.graft.trainer.dataset;

import dev.graft.imaging.ImageLimits;
import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.Preprocessing;
import dev.graft.contract.manifest.TargetNormalization;
import dev.graft.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.MultiDataSet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ImageTensorsTest {
    @TempDir
    Path root;

    @Test
    void classificationGetsResizedRgbFeaturesAndOneHotLabels() {
        TestImages.classFolders(root.resolve("train"), 2, 1);
        LabeledImages images = new DatasetReader(root.toString(), RemoteDatasets.none()).classFolders("train", null);

        MultiDataSet data = ImageTensors.load(images, InputShape.rgb(16, 16), Preprocessing.UNIT, null, 1L << 30, ImageLimits.DATASET);

        assertThat(data.getFeatures(0).shape()).containsExactly(4, 3, 16, 16);
        assertThat(data.getFeatures(0).maxNumber().doubleValue()).isLessThanOrEqualTo(1.0);
        assertThat(data.getLabels(0).toIntMatrix()).isEqualTo(new int[][]{{1, 0}, {1, 0}, {0, 1}, {0, 1}});
    }

    @Test
    void regressionTargetsAreNormalizedAndTheMemoryBoundIsExplained() {
        TestImages.priceCsv(root, "p.csv", 3, 1);
        LabeledImages images = new DatasetReader(root.toString(), RemoteDatasets.none()).csvTargets("p.csv", "file", "price");
        TargetNormalization normalization = new TargetNormalization(100, 50);

        MultiDataSet data = ImageTensors.load(images, InputShape.rgb(8, 8), Preprocessing.UNIT, normalization, 1L << 30, ImageLimits.DATASET);
        assertThat(data.getLabels(0).getDouble(0, 0)).isCloseTo(normalization.normalize(images.target()[0]), within(1e-5));

        assertThatThrownBy(() -> ImageTensors.load(images, InputShape.rgb(8, 8), Preprocessing.UNIT, normalization, 1000, ImageLimits.DATASET))
                .hasMessageContaining("graft.trainer.max-dataset-bytes");
    }

    @Test
    void anUnreadableImageIsNamed() throws IOException {
        TestImages.classFolders(root.resolve("train"), 1, 1);
        Files.writeString(root.resolve("train/vertical/broken.png"), "truncated");
        LabeledImages images = new DatasetReader(root.toString(), RemoteDatasets.none()).classFolders("train", null);

        assertThatThrownBy(() -> ImageTensors.load(images, InputShape.rgb(8, 8), Preprocessing.UNIT, null, 1L << 30, ImageLimits.DATASET))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("broken.png")
                .hasMessageContaining("not an image");
    }

    @Test
    void aTruncatedJpegIsRefusedAndNamed() throws IOException {
        TestImages.classFolders(root.resolve("train"), 1, 1);
        java.io.ByteArrayOutputStream jpeg = new java.io.ByteArrayOutputStream();
        java.awt.image.BufferedImage photo = new java.awt.image.BufferedImage(64, 64, java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.util.Random random = new java.util.Random(3);
        for (int i = 0; i < 64 * 64; i++) {
            photo.setRGB(i % 64, i / 64, random.nextInt(0x1000000));
        }
        javax.imageio.ImageIO.write(photo, "jpeg", jpeg);
        byte[] whole = jpeg.toByteArray();
        Files.write(root.resolve("train/vertical/cut.jpg"), java.util.Arrays.copyOf(whole, whole.length / 2));
        LabeledImages images = new DatasetReader(root.toString(), RemoteDatasets.none()).classFolders("train", null);

        assertThatThrownBy(() -> ImageTensors.load(images, InputShape.rgb(8, 8), Preprocessing.UNIT, null, 1L << 30, ImageLimits.DATASET))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cut.jpg: truncated image");
    }

    @Test
    void aFormatOutsideTheAcceptedListIsRefusedAndNamed() {
        TestImages.classFolders(root.resolve("train"), 1, 1);
        LabeledImages images = new DatasetReader(root.toString(), RemoteDatasets.none()).classFolders("train", null);
        ImageLimits jpegOnly = ImageLimits.DATASET.withFormats(java.util.Set.of("jpg"));

        assertThatThrownBy(() -> ImageTensors.load(images, InputShape.rgb(8, 8), Preprocessing.UNIT, null, 1L << 30, jpegOnly))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0.png: png images are not accepted; send one of: jpeg (graft.image.formats)");
    }
}
