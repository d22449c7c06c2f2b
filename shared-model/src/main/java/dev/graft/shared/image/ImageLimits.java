package dev.graft.shared.image;

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

    /** Generous limits for datasets on the trainer's own disk. */
    public static final ImageLimits DATASET = new ImageLimits(16384, 100_000_000L, Set.of("png", "jpeg", "bmp", "gif"));

    public ImageLimits {
        if (maxSide < 1 || maxPixels < 1 || formats.isEmpty()) {
            throw new IllegalArgumentException("image limits need maxSide >= 1, maxPixels >= 1 and at least one format");
        }
        formats = Set.copyOf(formats.stream().map(f -> f.toLowerCase(Locale.ROOT)).toList());
    }

    void check(String format, int width, int height) {
        if (!formats.contains(format)) {
            throw new InvalidImageException(InvalidImageException.Kind.FORMAT_NOT_ALLOWED,
                    format + " images are not accepted; send one of: " + String.join(", ", new TreeSet<>(formats)));
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
