package dev.graft.trainer.training;

import dev.graft.contract.manifest.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ChartsTest {
    @TempDir
    Path dir;

    private static List<EpochResult> history(String metric) {
        return List.of(
                new EpochResult("frozen", 1, 2, 0.9, metric, 0.5, 0.8, 0.55, 1, 100, 2, 10, 1e-3),
                new EpochResult("frozen", 2, 2, 0.7, metric, 0.6, 0.7, 0.6, 1, 100, 2, 8, 1e-3),
                new EpochResult("fine-tune", 1, 1, 0.5, metric, 0.8, 0.6, 0.7, 1, 50, 4, 0, 1e-3));
    }

    @Test
    void aClassifierGetsCurvesAndAConfusionMatrix() throws IOException {
        TrainingReport report = new TrainingReport("r", "shirts", Task.CLASSIFICATION, List.of("t-shirt", "trouser", "bag"),
                30, 9, null, null, history("accuracy"), new TrainingReport.BestEpoch("fine-tune", 1, 0.6),
                Map.of("loss", 0.6, "accuracy", 0.7), new int[][]{{3, 0, 0}, {1, 2, 0}, {0, 1, 2}}, null, Map.of(),
                "cached", null, null, List.of());
        List<String> files = Charts.write(report, null, dir);
        assertThat(files).containsExactly(Charts.CURVES, Charts.CONFUSION);
        assertDrawn(dir.resolve(Charts.CURVES), 900, 640);
        assertDrawn(dir.resolve(Charts.CONFUSION), 540, 420);
    }

    @Test
    void aRegressorGetsCurvesAndResiduals() throws IOException {
        double[][] predictedVsActual = {{10, 22, 29, 41}, {12, 20, 31, 40}};
        TrainingReport report = new TrainingReport("r", "prices", Task.REGRESSION, List.of(), 30, 4, null, null,
                history("mae"), null, Map.of("loss", 0.1, "mae", 1.75),
                null, Evaluator.residualSummary(predictedVsActual[0], predictedVsActual[1]), Map.of(), "cached", null,
                null, List.of());
        assertThat(Charts.write(report, predictedVsActual, dir)).containsExactly(Charts.CURVES, Charts.RESIDUALS);
        assertDrawn(dir.resolve(Charts.RESIDUALS), 640, 640);
        assertThat(report.residuals().get("mae")).isEqualTo(1.75);
        assertThat(report.residuals().get("meanError")).isEqualTo(-0.25);
        assertThat(report.residuals().get("r2")).isBetween(0.95, 1.0);
    }

    /** A real PNG of that size with a drawing on it, not a blank canvas. */
    private static void assertDrawn(Path png, int width, int height) throws IOException {
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isEqualTo(width);
        assertThat(image.getHeight()).isEqualTo(height);
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < height; y += 4) {
            for (int x = 0; x < width; x += 4) {
                colours.add(image.getRGB(x, y));
            }
        }
        assertThat(colours.size()).isGreaterThan(5);
    }
}
