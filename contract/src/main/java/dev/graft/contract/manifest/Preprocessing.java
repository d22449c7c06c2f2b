package dev.graft.contract.manifest;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How a model's input pixels are scaled after decoding and resizing: each base was trained on its
 * own, and a base fed another sees inputs it never saw (Keras' ResNet50 answers "nematode" to every
 * photo given 0..1 RGB). Recorded in every manifest and applied by the one image pipeline of both
 * services. A pixel value v in 0..255 of channel c (in {@link #bgr} order) becomes
 * {@code (v * scale - mean[c]) / std[c]}.
 */
public enum Preprocessing {
    /** RGB scaled to 0..1: Graft's models from random weights, and every model stored before ids existed. */
    UNIT("unit", false, 1 / 255.0, new double[]{0, 0, 0}, new double[]{1, 1, 1}),
    /** Keras' "caffe" mode (ResNet50, VGG16/19 ImageNet): BGR, 0..255 minus the ImageNet channel means. */
    CAFFE("caffe", true, 1, new double[]{103.939, 116.779, 123.68}, new double[]{1, 1, 1}),
    /** Keras' and torchvision's "torch" mode: RGB 0..1 normalised by the ImageNet mean and standard deviation. */
    TORCH("torch", false, 1 / 255.0, new double[]{0.485, 0.456, 0.406}, new double[]{0.229, 0.224, 0.225}),
    /** Keras' "tf" mode (MobileNet, Inception, Xception): RGB scaled to -1..1. */
    TF("tf", false, 1 / 127.5, new double[]{1, 1, 1}, new double[]{1, 1, 1}),
    /** DL4J's VGG16ImagePreProcessor, which the zoo's VGG ImageNet weights expect: RGB, 0..255 minus the means. */
    VGG("vgg", false, 1, new double[]{123.68, 116.779, 103.939}, new double[]{1, 1, 1});

    /** What manifests written before ids per model said; read as {@link #UNIT}. */
    static final String LEGACY_ID = "rgb-bilinear-unit-nchw";

    private final String id;
    private final boolean bgr;
    private final double scale;
    private final double[] mean;
    private final double[] std;

    Preprocessing(String id, boolean bgr, double scale, double[] mean, double[] std) {
        this.id = id;
        this.bgr = bgr;
        this.scale = scale;
        this.mean = mean;
        this.std = std;
    }

    public String id() {
        return id;
    }

    /** Whether the model's first channel is blue (Caffe's order) rather than red. */
    public boolean bgr() {
        return bgr;
    }

    /** The 256 values a pixel level 0..255 becomes in channel {@code c} of the model's order. */
    public float[] table(int c) {
        float[] table = new float[256];
        for (int v = 0; v < 256; v++) {
            table[v] = (float) ((v * scale - mean[c]) / std[c]);
        }
        return table;
    }

    public static List<String> ids() {
        return Arrays.stream(values()).map(Preprocessing::id).toList();
    }

    /** The id as a manifest or request gives it; absent (or the pre-id name) is {@link #UNIT}. */
    public static Preprocessing of(String id) {
        if (id == null || id.equals(LEGACY_ID)) {
            return UNIT;
        }
        for (Preprocessing p : values()) {
            if (p.id.equals(id.toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown preprocessing '" + id + "'; valid: " + String.join(", ", ids()));
    }
}
