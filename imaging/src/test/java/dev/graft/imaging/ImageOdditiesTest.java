package dev.graft.imaging;

import dev.graft.contract.manifest.Preprocessing;
import dev.graft.contract.manifest.InputShape;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Images users really send: each decodes to the pixels it shows, or is refused with a reason, never an unexpected error. */
class ImageOdditiesTest {
    private static final InputShape ONE = InputShape.rgb(1, 1);

    private static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(image, format, out)).as("a writer for " + format).isTrue();
        return out.toByteArray();
    }

    private static float[] pixel(byte[] bytes) {
        return ImagePreprocessor.toBatch(ImagePreprocessor.decode(bytes, ImageLimits.DATASET), ONE, Preprocessing.UNIT).data().asFloat();
    }

    @Test
    void alphaIsCompositedOverBlack() throws IOException {
        BufferedImage argb = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0xFF00FF00);
        assertThat(pixel(encode(argb, "png"))).containsExactly(0f, 1f, 0f);
        argb.setRGB(0, 0, 0x0000FF00);
        assertThat(pixel(encode(argb, "png"))).containsExactly(0f, 0f, 0f);
    }

    @Test
    void sixteenBitPngsKeepTheirTopEightBits() throws IOException {
        BufferedImage grey16 = new BufferedImage(1, 1, BufferedImage.TYPE_USHORT_GRAY);
        grey16.getRaster().setSample(0, 0, 0, 0x8000);
        assertThat(pixel(encode(grey16, "png"))).containsExactly(128 / 255f, 128 / 255f, 128 / 255f);

        ComponentColorModel rgb16 = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = rgb16.createCompatibleWritableRaster(1, 1);
        raster.setPixel(0, 0, new int[]{0xFFFF, 0, 0x8080});
        float[] rgb = pixel(encode(new BufferedImage(rgb16, raster, false, null), "png"));
        assertThat(rgb[0]).isEqualTo(1f);
        assertThat(rgb[1]).isEqualTo(0f);
        assertThat(rgb[2]).isCloseTo(128 / 255f, within(1.5f / 255));
    }

    @Test
    void greyJpegsBecomeThreeEqualChannels() throws IOException {
        BufferedImage grey = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < 64; i++) {
            grey.getRaster().setSample(i % 8, i / 8, 0, 200);
        }
        INDArray batch = ImagePreprocessor.toBatch(ImagePreprocessor.decode(encode(grey, "jpeg"), ImageLimits.DATASET),
                InputShape.rgb(8, 8), Preprocessing.UNIT);
        float[] values = batch.data().asFloat();
        assertThat(Arrays.copyOfRange(values, 0, 64)).containsExactly(Arrays.copyOfRange(values, 64, 128));
        assertThat(values[0]).isCloseTo(200 / 255f, within(3f / 255));
    }

    @Test
    void aOneByOneImageIsStretchedToTheModelsInput() throws IOException {
        BufferedImage dot = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        dot.setRGB(0, 0, 0x336699);
        float[] values = ImagePreprocessor.toBatch(ImagePreprocessor.decode(encode(dot, "png"), ImageLimits.DATASET),
                InputShape.rgb(4, 4), Preprocessing.UNIT).data().asFloat();
        assertThat(values).hasSize(48);
        assertThat(values[0]).isEqualTo(0x33 / 255f);
        assertThat(values[47]).isEqualTo(0x99 / 255f);
    }

    @Test
    void aCmykJpegDecodesToTheColourItShows() throws IOException {
        // as Photoshop writes CMYK JPEGs: ink stored inverted, so red (no cyan, full magenta and yellow, no black)
        // is stored as 255, 0, 0, 255
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            WritableRaster cmyk = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 8, 8, 4, null);
            for (int i = 0; i < 64; i++) {
                cmyk.setPixel(i % 8, i / 8, new int[]{255, 0, 0, 255});
            }
            writer.write(null, new javax.imageio.IIOImage(cmyk, null, null), null);
        } finally {
            writer.dispose();
        }
        float[] rgb = pixel(out.toByteArray());
        assertThat(rgb[0]).isCloseTo(1f, within(3f / 255));
        assertThat(rgb[1]).isCloseTo(0f, within(3f / 255));
        assertThat(rgb[2]).isCloseTo(0f, within(3f / 255));
    }

    /** A picture with detail everywhere, so that a decoder filling in missing data cannot match it by chance. */
    private static BufferedImage noise(int side) {
        BufferedImage picture = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < side * side; i++) {
            picture.setRGB(i % side, i / side, random.nextInt(0x1000000));
        }
        return picture;
    }

    @Test
    void aTruncatedFileIsRefusedAsTruncatedInEveryFormat() throws IOException {
        for (String format : new String[]{"jpeg", "png", "bmp", "gif"}) {
            byte[] whole = encode(noise(64), format);
            assertThat(ImagePreprocessor.decode(whole, ImageLimits.DATASET).getWidth()).as(format + " whole").isEqualTo(64);
            for (int length : new int[]{whole.length - 1, whole.length * 3 / 4, whole.length / 2}) {
                byte[] truncated = Arrays.copyOf(whole, length);
                assertThatThrownBy(() -> ImagePreprocessor.decode(truncated, ImageLimits.DATASET))
                        .as(format + " cut at " + length + " of " + whole.length)
                        .isInstanceOf(InvalidImageException.class)
                        .hasMessageStartingWith("truncated image");
            }
            for (int length : new int[]{40, 8}) {
                assertThatThrownBy(() -> ImagePreprocessor.decode(Arrays.copyOf(whole, length), ImageLimits.DATASET))
                        .as(format + " cut at " + length).isInstanceOf(InvalidImageException.class);
            }
        }
    }

    @Test
    void aJpegWhoseReaderWarnsOfCorruptDataIsRefused() throws IOException {
        byte[] whole = encode(noise(64), "jpeg");
        // half the scan, then the end-of-image marker: complete in form, corrupt in content
        byte[] cut = Arrays.copyOf(whole, whole.length / 2 + 2);
        cut[cut.length - 2] = (byte) 0xFF;
        cut[cut.length - 1] = (byte) 0xD9;
        assertThatThrownBy(() -> ImagePreprocessor.decode(cut, ImageLimits.DATASET))
                .isInstanceOf(InvalidImageException.class)
                .hasMessageStartingWith("corrupt image: Corrupt JPEG data");
    }

    @Test
    void dataAfterTheEndOfAJpegIsAllowed() throws IOException {
        // some cameras append their own data after the end-of-image marker
        byte[] whole = encode(noise(16), "jpeg");
        byte[] trailed = Arrays.copyOf(whole, whole.length + 64);
        assertThat(ImagePreprocessor.decode(trailed, ImageLimits.DATASET).getWidth()).isEqualTo(16);
    }
}
