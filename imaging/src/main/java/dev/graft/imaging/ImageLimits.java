package dev.graft.imaging;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * What {@link ImagePreprocessor#decode(byte[], ImageLimits)} accepts, checked from the image header
 * before any pixel is decoded, so a small file announcing a huge image (a decompression bomb) costs nothing.
 *
 * @param maxSide   the largest width or height, in pixels
 * @param maxPixels the largest width x height
 * @param formats   ImageIO format names in lower case, e.g. png, jpeg, bmp, gif
 */
public record ImageLimits(int maxSide, long maxPixels, Set<String> formats) {

    /**
     * The formats both services accept, set once for both with this property: what a model was trained
     * on must be servable, so the trainer refuses a dataset image the inference service would refuse.
     */
    public static final String FORMATS_PROPERTY = "graft.image.formats";
    /** The default of {@link #FORMATS_PROPERTY}: ImageIO format names. */
    public static final String DEFAULT_FORMATS = "png,jpeg,bmp,gif";

    /** Generous size limits for datasets on the trainer's own disk, in the default formats. */
    public static final ImageLimits DATASET = new ImageLimits(16384, 100_000_000L, parseFormats(DEFAULT_FORMATS));

    /** {@code png,jpeg} as a set. */
    public static Set<String> parseFormats(String list) {
        return Set.copyOf(List.of(list.trim().split("\\s*,\\s*")));
    }

    public ImageLimits withFormats(Set<String> accepted) {
        return new ImageLimits(maxSide, maxPixels, accepted);
    }

    /** The accepted formats for a message: "bmp, gif, jpeg, png". */
    public String formatList() {
        return String.join(", ", new TreeSet<>(formats));
    }

    public ImageLimits {
        if (maxSide < 1 || maxPixels < 1 || formats.isEmpty()) {
            throw new IllegalArgumentException("image limits need maxSide >= 1, maxPixels >= 1 and at least one format");
        }
        formats = Set.copyOf(formats.stream().map(ImageLimits::canonical).toList());
    }

    /** The name a reader reports for its format, so "jpg" and "JPEG" both mean the JPEG reader's "jpeg". */
    private static String canonical(String format) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.trim());
        if (!readers.hasNext()) {
            throw new IllegalArgumentException("unknown image format '" + format + "' in " + FORMATS_PROPERTY
                    + "; readable: " + String.join(", ", new TreeSet<>(List.of(ImageIO.getReaderFormatNames()))));
        }
        ImageReader reader = readers.next();
        try {
            return reader.getOriginatingProvider().getFormatNames()[0].toLowerCase(Locale.ROOT);
        } finally {
            reader.dispose();
        }
    }

    void check(String format, int width, int height) {
        if (!formats.contains(format)) {
            throw new InvalidImageException(InvalidImageException.Kind.FORMAT_NOT_ALLOWED,
                    format + " images are not accepted; send one of: " + formatList() + " (" + FORMATS_PROPERTY + ")");
        }
        if (width < 1 || height < 1) {
            throw new InvalidImageException(InvalidImageException.Kind.UNREADABLE,
                    "the image header gives an empty size " + width + "x" + height);
        }
        if (width > maxSide || height > maxSide || (long) width * height > maxPixels) {
            throw new InvalidImageException(InvalidImageException.Kind.TOO_LARGE, String.format(Locale.ROOT,
                    "image of %dx%d pixels is too large: at most %d pixels a side and %d pixels in all",
                    width, height, maxSide, maxPixels));
        }
    }
}
