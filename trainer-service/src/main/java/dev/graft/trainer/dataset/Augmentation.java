package dev.graft.trainer.dataset;

import dev.graft.contract.events.TrainingRequest;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Keras ImageDataGenerator's random affine transforms on a batch of NCHW images: rotation, width and
 * height shift, shear, zoom and horizontal flip, sampled bilinearly with Keras' default fill mode
 * ("nearest": points outside take the closest edge pixel).
 */
public record Augmentation(double rotation, double widthShift, double heightShift, double shear, double zoom,
                           boolean horizontalFlip) {

    /**
     * Named defaults from the Keras blog's "very little data" tutorial: its first generator
     * ({@code keras-little-data}) and the lighter one it fine-tunes with ({@code keras-fine-tune}).
     */
    public static final Map<String, Augmentation> PRESETS = Map.of(
            "keras-little-data", new Augmentation(40, 0.2, 0.2, 0.2, 0.2, true),
            "keras-fine-tune", new Augmentation(0, 0, 0, 0.2, 0.2, true),
            "flip", new Augmentation(0, 0, 0, 0, 0, true));

    /** The transforms a request asks for, or null for none; an {@link IllegalArgumentException} lists every problem. */
    public static Augmentation from(TrainingRequest.Augmentation spec) {
        if (spec == null) {
            return null;
        }
        Augmentation base = new Augmentation(0, 0, 0, 0, 0, false);
        List<String> problems = new ArrayList<>();
        if (spec.preset() != null) {
            base = PRESETS.get(spec.preset().toLowerCase(Locale.ROOT));
            if (base == null) {
                throw new IllegalArgumentException("augmentation.preset '" + spec.preset() + "' is unknown; presets: "
                        + PRESETS.keySet().stream().sorted().toList());
            }
        }
        Augmentation a = new Augmentation(
                check(problems, "rotation", spec.rotation(), base.rotation, 180),
                check(problems, "widthShift", spec.widthShift(), base.widthShift, 1),
                check(problems, "heightShift", spec.heightShift(), base.heightShift, 1),
                check(problems, "shear", spec.shear(), base.shear, 80),
                check(problems, "zoom", spec.zoom(), base.zoom, 0.9),
                spec.horizontalFlip() != null ? spec.horizontalFlip() : base.horizontalFlip);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return a;
    }

    private static double check(List<String> problems, String field, Double value, double fallback, double max) {
        double v = value != null ? value : fallback;
        if (!(v >= 0 && v <= max)) {
            problems.add("augmentation." + field + " must be 0.." + max);
        }
        return v;
    }

    /** A new batch with each image transformed independently; the input is not changed. */
    public INDArray apply(INDArray batch, Random random) {
        int n = (int) batch.size(0);
        int channels = (int) batch.size(1);
        int height = (int) batch.size(2);
        int width = (int) batch.size(3);
        float[] in = batch.dup('c').data().asFloat();
        float[] out = new float[in.length];
        int plane = height * width;
        double cy = (height - 1) / 2.0;
        double cx = (width - 1) / 2.0;
        for (int image = 0; image < n; image++) {
            // output pixel -> input pixel, as Keras' apply_affine_transform: rotate, shift, shear, zoom
            double theta = Math.toRadians(uniform(random, rotation));
            double shearAngle = Math.toRadians(uniform(random, shear));
            double zx = zoom > 0 ? 1 + uniform(random, zoom) : 1;
            double zy = zoom > 0 ? 1 + uniform(random, zoom) : 1;
            double ty = uniform(random, heightShift) * height;
            double tx = uniform(random, widthShift) * width;
            boolean flip = horizontalFlip && random.nextBoolean();
            // [y; x] = R(theta) * Shear(s) * Zoom * [y - cy; x - cx] + [cy + ty; cx + tx], with
            // R * Shear = [[cos t, -sin(t + s)], [sin t, cos(t + s)]] (Keras' matrices, rows then columns)
            double a = Math.cos(theta) * zy;
            double b = -Math.sin(theta + shearAngle) * zx;
            double c = Math.sin(theta) * zy;
            double d = Math.cos(theta + shearAngle) * zx;
            int offset = image * channels * plane;
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    double oy = y - cy;
                    double ox = (flip ? width - 1 - x : x) - cx;
                    double sy = a * oy + b * ox + cy + ty;
                    double sx = c * oy + d * ox + cx + tx;
                    sy = Math.max(0, Math.min(height - 1, sy));
                    sx = Math.max(0, Math.min(width - 1, sx));
                    int y0 = (int) sy;
                    int x0 = (int) sx;
                    int y1 = Math.min(height - 1, y0 + 1);
                    int x1 = Math.min(width - 1, x0 + 1);
                    double fy = sy - y0;
                    double fx = sx - x0;
                    for (int ch = 0; ch < channels; ch++) {
                        int p = offset + ch * plane;
                        double top = in[p + y0 * width + x0] * (1 - fx) + in[p + y0 * width + x1] * fx;
                        double bottom = in[p + y1 * width + x0] * (1 - fx) + in[p + y1 * width + x1] * fx;
                        out[p + y * width + x] = (float) (top * (1 - fy) + bottom * fy);
                    }
                }
            }
        }
        return Nd4j.create(out, new long[]{n, channels, height, width}, 'c');
    }

    private static double uniform(Random random, double range) {
        return range == 0 ? 0 : (random.nextDouble() * 2 - 1) * range;
    }
}
