package dev.graft.deploy;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Datasets the tests make themselves: striped images in class folders, and a price CSV over them. */
final class TestImages {
    private TestImages() {
    }

    /** Grey stripes, horizontal or vertical, whose brightness is the regression target. */
    static BufferedImage stripes(boolean horizontal, int brightness, Random random) {
        BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                int value = ((horizontal ? y : x) / 4) % 2 == 0 ? brightness : brightness / 4;
                image.getRaster().setSample(x, y, 0, Math.max(0, Math.min(255, value + random.nextInt(21) - 10)));
            }
        }
        return image;
    }

    static void classFolders(Path dir, int perClass, long seed) throws IOException {
        Random random = new Random(seed);
        for (String label : List.of("horizontal", "vertical")) {
            for (int i = 0; i < perClass; i++) {
                write(dir.resolve(label).resolve(i + ".png"),
                        png(stripes(label.equals("horizontal"), 120 + random.nextInt(120), random)));
            }
        }
    }

    static void priceCsv(Path dir, String csv, int count, long seed) throws IOException {
        Random random = new Random(seed);
        List<String> lines = new ArrayList<>(List.of("file,price"));
        for (int i = 0; i < count; i++) {
            int brightness = 60 + random.nextInt(190);
            String file = "images/" + csv.replace(".csv", "") + "-" + i + ".png";
            write(dir.resolve(file), png(stripes(random.nextBoolean(), brightness, random)));
            lines.add(file + "," + brightness);
        }
        Files.write(dir.resolve(csv), lines);
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }

    static byte[] png(BufferedImage image) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(image, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
