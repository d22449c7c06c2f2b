package dev.graft.imaging;

import dev.graft.contract.manifest.Preprocessing;
import dev.graft.contract.manifest.InputShape;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ImagePreprocessorTest {

    private static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(image, format, out)).isTrue();
        return out.toByteArray();
    }

    /** A cache folder that is gone makes ImageIO's file-cached streams fail: decoding must not use one. */
    @Test
    void decodesInMemoryWithoutATemporaryFile() throws IOException {
        byte[] png = encode(new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB), "png");
        Path cache = Files.createTempDirectory("imageio-cache");
        ImageIO.setUseCache(true);
        ImageIO.setCacheDirectory(cache.toFile());
        Files.delete(cache);
        try {
            assertThat(ImagePreprocessor.decode(png).getWidth()).isEqualTo(3);
        } finally {
            ImageIO.setCacheDirectory(null);
        }
    }

    @Test
    void greyPngBecomesThreeEqualChannelsWithItsExactValuesScaledToUnit() throws IOException {
        BufferedImage grey = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setSample(0, 0, 0, 51);
        grey.getRaster().setSample(1, 0, 0, 255);

        INDArray batch = ImagePreprocessor.toBatch(ImagePreprocessor.decode(encode(grey, "png")), InputShape.rgb(1, 2), Preprocessing.UNIT);

        assertThat(batch.shape()).containsExactly(1, 3, 1, 2);
        for (int c = 0; c < 3; c++) {
            assertThat(batch.getDouble(0, c, 0, 0)).isCloseTo(0.2, within(1e-6));
            assertThat(batch.getDouble(0, c, 0, 1)).isCloseTo(1.0, within(1e-6));
        }
    }

    /** Each id's tensor for one pixel (R 200, G 100, B 50), as Keras' preprocess_input modes and DL4J's VGG16 one give it. */
    @Test
    void eachPreprocessingIdGivesItsBasesTensor() {
        BufferedImage pixel = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        pixel.setRGB(0, 0, 0xc86432);
        Map<Preprocessing, double[]> expected = Map.of(
                Preprocessing.UNIT, new double[]{200 / 255.0, 100 / 255.0, 50 / 255.0},
                Preprocessing.CAFFE, new double[]{50 - 103.939, 100 - 116.779, 200 - 123.68},
                Preprocessing.TORCH, new double[]{(200 / 255.0 - 0.485) / 0.229, (100 / 255.0 - 0.456) / 0.224,
                        (50 / 255.0 - 0.406) / 0.225},
                Preprocessing.TF, new double[]{200 / 127.5 - 1, 100 / 127.5 - 1, 50 / 127.5 - 1},
                Preprocessing.VGG, new double[]{200 - 123.68, 100 - 116.779, 50 - 103.939});
        assertThat(expected).containsOnlyKeys(Preprocessing.values());
        expected.forEach((preprocessing, channels) -> {
            INDArray batch = ImagePreprocessor.toBatch(pixel, InputShape.rgb(1, 1), preprocessing);
            for (int c = 0; c < 3; c++) {
                assertThat(batch.getDouble(0, c, 0, 0)).as(preprocessing.id() + " channel " + c)
                        .isCloseTo(channels[c], within(1e-4));
            }
        });
    }

    @Test
    void manifestsWithoutAnIdReadAsUnitAndUnknownIdsAreRefusedListingTheValidOnes() {
        assertThat(Preprocessing.of(null)).isEqualTo(Preprocessing.UNIT);
        assertThat(Preprocessing.of("rgb-bilinear-unit-nchw")).isEqualTo(Preprocessing.UNIT);
        assertThat(Preprocessing.of("CAFFE")).isEqualTo(Preprocessing.CAFFE);
        assertThatThrownBy(() -> Preprocessing.of("inception"))
                .hasMessage("unknown preprocessing 'inception'; valid: unit, caffe, torch, tf, vgg");
    }

    @Test
    void colourChannelsKeepTheirOrderInNchw() throws IOException {
        BufferedImage rgb = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        rgb.setRGB(0, 0, (255 << 16) | (0 << 8) | 102);

        INDArray batch = ImagePreprocessor.toBatch(ImagePreprocessor.decode(encode(rgb, "png")), InputShape.rgb(1, 1), Preprocessing.UNIT);

        assertThat(batch.getDouble(0, 0, 0, 0)).isCloseTo(1.0, within(1e-6));
        assertThat(batch.getDouble(0, 1, 0, 0)).isCloseTo(0.0, within(1e-6));
        assertThat(batch.getDouble(0, 2, 0, 0)).isCloseTo(0.4, within(1e-6));
    }

    @Test
    void resizesAnyInputToTheModelShapeAndBatchesInOrder() throws IOException {
        BufferedImage white = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        white.getRaster().setSamples(0, 0, 28, 28, 0, filled(28 * 28, 255));
        BufferedImage black = new BufferedImage(100, 60, BufferedImage.TYPE_INT_RGB);
        BufferedImage jpeg = ImagePreprocessor.decode(encode(white, "jpg"));

        INDArray batch = ImagePreprocessor.toBatch(List.of(white, black, jpeg), InputShape.rgb(48, 48), Preprocessing.UNIT);

        assertThat(batch.shape()).containsExactly(3, 3, 48, 48);
        assertThat(batch.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0)).meanNumber().doubleValue())
                .isCloseTo(1.0, within(1e-3));
        assertThat(batch.get(org.nd4j.linalg.indexing.NDArrayIndex.point(1)).maxNumber().doubleValue()).isZero();
        assertThat(batch.get(org.nd4j.linalg.indexing.NDArrayIndex.point(2)).meanNumber().doubleValue())
                .isGreaterThan(0.95);
    }

    @Test
    void bytesThatAreNotAnImageGetAClearMessage() {
        assertThatThrownBy(() -> ImagePreprocessor.decode("hello, not an image".getBytes()))
                .isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("not an image");
        assertThatThrownBy(() -> ImagePreprocessor.decode(new byte[0]))
                .isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("empty");
    }

    @Test
    void limitsAreCheckedFromTheHeaderWithAKindForEachRejection() throws IOException {
        byte[] png = encode(new BufferedImage(8, 6, BufferedImage.TYPE_INT_RGB), "png");
        ImageLimits pngOnly = new ImageLimits(8, 48, java.util.Set.of("PNG"));
        assertThat(ImagePreprocessor.decode(png, pngOnly).getWidth()).isEqualTo(8);

        assertThatThrownBy(() -> ImagePreprocessor.decode(png, new ImageLimits(7, 48, java.util.Set.of("png"))))
                .isInstanceOfSatisfying(InvalidImageException.class,
                        e -> assertThat(e.kind()).isEqualTo(InvalidImageException.Kind.TOO_LARGE))
                .hasMessageContaining("8x6 pixels is too large: at most 7 pixels a side");
        assertThatThrownBy(() -> ImagePreprocessor.decode(png, new ImageLimits(8, 47, java.util.Set.of("png"))))
                .isInstanceOfSatisfying(InvalidImageException.class,
                        e -> assertThat(e.kind()).isEqualTo(InvalidImageException.Kind.TOO_LARGE));
        byte[] bmp = encode(new BufferedImage(8, 6, BufferedImage.TYPE_INT_RGB), "bmp");
        assertThatThrownBy(() -> ImagePreprocessor.decode(bmp, pngOnly))
                .isInstanceOfSatisfying(InvalidImageException.class,
                        e -> assertThat(e.kind()).isEqualTo(InvalidImageException.Kind.FORMAT_NOT_ALLOWED))
                .hasMessageContaining("bmp images are not accepted; send one of: png");
        assertThatThrownBy(() -> ImagePreprocessor.decode(java.util.Arrays.copyOf(png, 30), pngOnly))
                .isInstanceOfSatisfying(InvalidImageException.class,
                        e -> assertThat(e.kind()).isEqualTo(InvalidImageException.Kind.UNREADABLE));
    }

    private static int[] filled(int n, int value) {
        int[] values = new int[n];
        java.util.Arrays.fill(values, value);
        return values;
    }
}
