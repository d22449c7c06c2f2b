package dev.graft.cli;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.zip.GZIPInputStream;

/**
 * Exports Fashion-MNIST (the IDX files of Debian's dataset-fashion-mnist) as a Graft dataset:
 * class-per-folder PNGs for classification and CSVs of file,price for regression, where each
 * image's price is drawn from Normal(class mean, 10) with a fixed seed.
 */
public final class FashionMnist {
    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    /** Folder-safe names of the ten classes, in label order. */
    public static final List<String> LABELS = List.of("tshirt-top", "trouser", "pullover", "dress", "coat", "sandal",
            "shirt", "sneaker", "bag", "ankle-boot");
    /** Mean price per class, same order. */
    public static final double[] MEAN_PRICES = {80, 120, 150, 200, 300, 90, 110, 160, 250, 220};
    public static final double PRICE_SIGMA = 10;
    public static final int TRAIN_PER_CLASS = 6000;
    public static final int TEST_PER_CLASS = 1000;
    private static final int SIDE = 28;

    private FashionMnist() {
    }

    /** One split to export: where it comes from and how many images of each class. */
    public record Split(String name, String idxPrefix, int skipPerClass, int perClass) {
    }

    /**
     * Writes {@code out/<split>/<label>/<n>.png} and {@code out/<split>-prices.csv} for each split;
     * returns the number of images written.
     */
    public static int export(Path source, Path out, List<Split> splits, long seed) throws IOException {
        Random prices = new Random(seed);
        int written = 0;
        for (Split split : splits) {
            byte[][] images = readImages(source.resolve(split.idxPrefix() + "-images-idx3-ubyte.gz"));
            byte[] labels = readLabels(source.resolve(split.idxPrefix() + "-labels-idx1-ubyte.gz"));
            int[] seen = new int[LABELS.size()];
            int[] taken = new int[LABELS.size()];
            List<String> csv = new ArrayList<>(List.of("file,price"));
            for (int i = 0; i < labels.length; i++) {
                int label = labels[i];
                if (seen[label]++ < split.skipPerClass() || taken[label] >= split.perClass()) {
                    continue;
                }
                String file = split.name() + "/" + LABELS.get(label) + "/" + i + ".png";
                Path target = out.resolve(file);
                Files.createDirectories(target.getParent());
                ImageIO.write(toImage(images[i]), "png", target.toFile());
                double price = MEAN_PRICES[label] + PRICE_SIGMA * prices.nextGaussian();
                csv.add(file + "," + String.format(Locale.ROOT, "%.2f", price));
                taken[label]++;
                written++;
            }
            Files.write(out.resolve(split.name() + "-prices.csv"), csv);
        }
        return written;
    }

    private static BufferedImage toImage(byte[] pixels) {
        BufferedImage image = new BufferedImage(SIDE, SIDE, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setDataElements(0, 0, SIDE, SIDE, pixels);
        return image;
    }

    static byte[][] readImages(Path file) throws IOException {
        try (DataInputStream in = open(file, 2051)) {
            int count = in.readInt();
            int rows = in.readInt();
            int cols = in.readInt();
            if (rows != SIDE || cols != SIDE) {
                throw new IOException(file + ": expected 28x28 images, got " + rows + "x" + cols);
            }
            byte[][] images = new byte[count][SIDE * SIDE];
            for (byte[] image : images) {
                in.readFully(image);
            }
            return images;
        }
    }

    static byte[] readLabels(Path file) throws IOException {
        try (DataInputStream in = open(file, 2049)) {
            byte[] labels = new byte[in.readInt()];
            in.readFully(labels);
            return labels;
        }
    }

    private static DataInputStream open(Path file, int magic) throws IOException {
        InputStream raw = Files.newInputStream(file);
        DataInputStream in = new DataInputStream(new GZIPInputStream(raw, 1 << 16));
        int actual = in.readInt();
        if (actual != magic) {
            in.close();
            throw new IOException(file + " is not an IDX file of the expected kind (magic " + actual + ")");
        }
        return in;
    }
}
