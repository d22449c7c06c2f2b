package dev.graft.testing;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Datasets the tests and the benchmarks make themselves: small grey PNGs whose class is the stripe direction
 * (horizontal / vertical) and whose regression target is the brightness, with pixel noise.
 */
public final class TestImages {
    public static final int SIZE = 32;

    private TestImages() {
    }

    public static BufferedImage stripes(boolean horizontal, int brightness, Random random) {
        BufferedImage image = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                boolean on = ((horizontal ? y : x) / 4) % 2 == 0;
                int value = on ? brightness : brightness / 4;
                image.getRaster().setSample(x, y, 0, Math.max(0, Math.min(255, value + random.nextInt(21) - 10)));
            }
        }
        return image;
    }

    /** {@code dir/horizontal/*.png} and {@code dir/vertical/*.png}. */
    public static void classFolders(Path dir, int perClass, long seed) {
        Random random = new Random(seed);
        for (String label : List.of("horizontal", "vertical")) {
            for (int i = 0; i < perClass; i++) {
                write(stripes(label.equals("horizontal"), 120 + random.nextInt(120), random),
                        dir.resolve(label).resolve(i + ".png"));
            }
        }
    }

    /** {@code dir/images/*.png} and {@code dir/<csvName>} with file,price = brightness. */
    public static void priceCsv(Path dir, String csvName, int count, long seed) {
        Random random = new Random(seed);
        List<String> lines = new ArrayList<>(List.of("file,price"));
        for (int i = 0; i < count; i++) {
            int brightness = 60 + random.nextInt(190);
            String file = "images/" + csvName.replace(".csv", "") + "-" + i + ".png";
            write(stripes(random.nextBoolean(), brightness, random), dir.resolve(file));
            lines.add(file + "," + brightness);
        }
        try {
            Files.write(dir.resolve(csvName), lines);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void write(BufferedImage image, Path file) {
        try {
            Files.createDirectories(file.getParent());
            ImageIO.write(image, "png", file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
