package dev.graft.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class FashionMnistTest {
    @TempDir
    Path dir;

    /** Writes IDX files like Debian's: image i has every pixel = i, label i % 10. */
    private void writeIdx(String prefix, int count) throws IOException {
        try (DataOutputStream images = new DataOutputStream(new GZIPOutputStream(
                Files.newOutputStream(dir.resolve(prefix + "-images-idx3-ubyte.gz"))));
             DataOutputStream labels = new DataOutputStream(new GZIPOutputStream(
                     Files.newOutputStream(dir.resolve(prefix + "-labels-idx1-ubyte.gz"))))) {
            images.writeInt(2051);
            images.writeInt(count);
            images.writeInt(28);
            images.writeInt(28);
            labels.writeInt(2049);
            labels.writeInt(count);
            for (int i = 0; i < count; i++) {
                byte[] pixels = new byte[28 * 28];
                java.util.Arrays.fill(pixels, (byte) i);
                images.write(pixels);
                labels.writeByte(i % 10);
            }
        }
    }

    @Test
    void exportsDisjointSplitsAsClassFoldersWithPricedCsvs() throws IOException {
        writeIdx("train", 60);
        writeIdx("t10k", 20);
        Path out = dir.resolve("out");

        int written = FashionMnist.export(dir, out, List.of(
                new FashionMnist.Split("train", "train", 0, 3),
                new FashionMnist.Split("validation", "train", 3, 2),
                new FashionMnist.Split("test", "t10k", 0, 1)), 7);

        assertThat(written).isEqualTo(60);
        // class 0 is images 0, 10, 20, ...: the first three are training, the next two validation
        assertThat(out.resolve("train/tshirt-top/0.png")).exists();
        assertThat(out.resolve("validation/tshirt-top/30.png")).exists();
        assertThat(out.resolve("validation/tshirt-top/0.png")).doesNotExist();
        assertThat(out.resolve("test/ankle-boot/9.png")).exists();
        BufferedImage image = ImageIO.read(out.resolve("train/coat/4.png").toFile());
        assertThat(image.getWidth()).isEqualTo(28);
        assertThat(image.getRaster().getSample(5, 5, 0)).isEqualTo(4);

        List<String> csv = Files.readAllLines(out.resolve("validation-prices.csv"));
        assertThat(csv.get(0)).isEqualTo("file,price");
        assertThat(csv).hasSize(1 + 20);
        for (String row : csv.subList(1, csv.size())) {
            String[] cells = row.split(",");
            int label = FashionMnist.LABELS.indexOf(Path.of(cells[0]).getParent().getFileName().toString());
            assertThat(Double.parseDouble(cells[1])).isCloseTo(FashionMnist.MEAN_PRICES[label], within(60.0));
            assertThat(out.resolve(cells[0])).exists();
        }
        // a fixed seed gives the same prices again
        Path again = dir.resolve("again");
        FashionMnist.export(dir, again, List.of(new FashionMnist.Split("train", "train", 0, 3),
                new FashionMnist.Split("validation", "train", 3, 2), new FashionMnist.Split("test", "t10k", 0, 1)), 7);
        assertThat(Files.readAllLines(again.resolve("validation-prices.csv"))).isEqualTo(csv);
    }

    @Test
    void pricesFollowTheClassMeanWithSigmaTen() throws IOException {
        writeIdx("train", 6000);
        writeIdx("t10k", 10);
        FashionMnist.export(dir, dir.resolve("big"), List.of(new FashionMnist.Split("train", "train", 0, 600)), 1);
        double[] sum = new double[10];
        double[] squares = new double[10];
        List<String> csv = Files.readAllLines(dir.resolve("big/train-prices.csv"));
        for (String row : csv.subList(1, csv.size())) {
            String[] cells = row.split(",");
            int label = FashionMnist.LABELS.indexOf(Path.of(cells[0]).getParent().getFileName().toString());
            double deviation = Double.parseDouble(cells[1]) - FashionMnist.MEAN_PRICES[label];
            sum[label] += deviation;
            squares[label] += deviation * deviation;
        }
        for (int label = 0; label < 10; label++) {
            assertThat(sum[label] / 600).as("mean offset of class %d", label).isCloseTo(0, within(2.0));
            assertThat(Math.sqrt(squares[label] / 600)).as("sigma of class %d", label).isCloseTo(10, within(1.5));
        }
    }
}
