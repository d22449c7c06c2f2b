package dev.graft.imaging;

import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.Preprocessing;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * The one image pipeline used for training and for serving: decode, convert to RGB, bilinear resize
 * to the model's input, scale each channel as the model's {@link Preprocessing} says, NCHW float. If
 * the two sides differed, a model would be served inputs unlike those it was trained on.
 */
public final class ImagePreprocessor {
    private ImagePreprocessor() {
    }

    /** Decodes an image within {@link ImageLimits#DATASET}. */
    public static BufferedImage decode(byte[] bytes) {
        return decode(bytes, ImageLimits.DATASET);
    }

    /**
     * Decodes an image after checking its format and its size from the header alone: pixels are only
     * decoded for images within {@code limits}.
     */
    public static BufferedImage decode(byte[] bytes, ImageLimits limits) {
        if (bytes == null || bytes.length == 0) {
            throw new InvalidImageException(InvalidImageException.Kind.EMPTY, "empty body: send the image bytes (" + limits.formatList() + ")");
        }
        // in memory: ImageIO.createImageInputStream would copy each image through a new temporary file
        try (ImageInputStream input = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(input);
            if (!readers.hasNext()) {
                throw new InvalidImageException(InvalidImageException.Kind.UNREADABLE,
                        "not an image: " + bytes.length + " bytes in no known image format (send " + limits.formatList() + ")");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(input, true, true);
                String format = reader.getFormatName().toLowerCase(Locale.ROOT);
                limits.check(format, reader.getWidth(0), reader.getHeight(0));
                ImageCompleteness.problem(format, bytes).ifPresent(problem -> {
                    throw new InvalidImageException(InvalidImageException.Kind.UNREADABLE, "truncated image: " + problem);
                });
                // readers report corrupt data they decode around as warnings, not errors
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                BufferedImage image = reader.read(0);
                if (!warnings.isEmpty()) {
                    throw new InvalidImageException(InvalidImageException.Kind.UNREADABLE,
                            "corrupt image: " + String.join("; ", warnings));
                }
                return image;
            } finally {
                reader.dispose();
            }
        } catch (InvalidImageException e) {
            throw e;
        } catch (EOFException e) {
            throw new InvalidImageException(InvalidImageException.Kind.UNREADABLE,
                    "truncated image: the data ends before the image does", e);
        } catch (IOException | RuntimeException e) {
            throw new InvalidImageException(InvalidImageException.Kind.UNREADABLE, "unreadable image: " + e.getMessage(), e);
        }
    }

    /** An image file of a dataset; a refusal names the file. */
    public static BufferedImage read(Path file, ImageLimits limits) {
        try {
            return decode(Files.readAllBytes(file), limits);
        } catch (IOException e) {
            throw new InvalidImageException(InvalidImageException.Kind.UNREADABLE,
                    "cannot read image file " + file + ": " + e.getMessage(), e);
        } catch (InvalidImageException e) {
            throw new InvalidImageException(e.kind(), file + ": " + e.getMessage(), e);
        }
    }

    /** A batch [n, 3, height, width] of images, each pixel scaled as {@code preprocessing} says. */
    public static INDArray toBatch(List<BufferedImage> images, InputShape shape, Preprocessing preprocessing) {
        int h = shape.height();
        int w = shape.width();
        int plane = h * w;
        // channel planes in the model's order: Caffe-trained bases take blue first
        int[] shifts = preprocessing.bgr() ? new int[]{0, 8, 16} : new int[]{16, 8, 0};
        float[][] tables = {preprocessing.table(0), preprocessing.table(1), preprocessing.table(2)};
        float[] data = new float[images.size() * InputShape.RGB * plane];
        int offset = 0;
        for (BufferedImage image : images) {
            int[] argb = resizeRgb(image, h, w).getRGB(0, 0, w, h, null, 0, w);
            for (int c = 0; c < InputShape.RGB; c++) {
                float[] table = tables[c];
                int shift = shifts[c];
                int start = offset + c * plane;
                for (int i = 0; i < plane; i++) {
                    data[start + i] = table[(argb[i] >> shift) & 0xff];
                }
            }
            offset += InputShape.RGB * plane;
        }
        return Nd4j.create(data, new long[]{images.size(), InputShape.RGB, h, w}, DataType.FLOAT);
    }

    public static INDArray toBatch(BufferedImage image, InputShape shape, Preprocessing preprocessing) {
        return toBatch(List.of(image), shape, preprocessing);
    }

    private static BufferedImage resizeRgb(BufferedImage image, int height, int width) {
        BufferedImage rgb = toRgb(image);
        if (rgb.getWidth() == width && rgb.getHeight() == height) {
            return rgb;
        }
        BufferedImage resized = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = resized.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(rgb, 0, 0, width, height, null);
        } finally {
            g.dispose();
        }
        return resized;
    }

    /**
     * Grey images are copied sample for sample (Java2D would treat them as linear grey and brighten
     * them); colour images are drawn onto RGB, alpha composited over black.
     */
    private static BufferedImage toRgb(BufferedImage image) {
        if (image.getType() == BufferedImage.TYPE_INT_RGB) {
            return image;
        }
        int w = image.getWidth();
        int h = image.getHeight();
        BufferedImage rgb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Raster raster = image.getRaster();
        if (raster.getNumBands() == 1) {
            int bits = image.getColorModel().getComponentSize(0);
            int shift = Math.max(0, bits - 8);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int v = Math.min(255, row[x] >> shift);
                    row[x] = (v << 16) | (v << 8) | v;
                }
                rgb.setRGB(0, y, w, 1, row, 0, w);
            }
            return rgb;
        }
        Graphics2D g = rgb.createGraphics();
        try {
            g.drawImage(image, 0, 0, null);
        } finally {
            g.dispose();
        }
        return rgb;
    }
}
