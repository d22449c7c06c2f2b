package dev.graft.loop.retrain;

import dev.graft.contract.events.LabelledExample;
import dev.graft.contract.manifest.Task;
import dev.graft.store.FolderBlobs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class FeedbackDatasetTest {
    private static final Instant T = Instant.parse("2026-12-06T12:00:00Z");

    @TempDir
    Path dir;

    private LabelledExample example(String id, String sha, String label, Double value, Instant labelledAt) {
        return new LabelledExample(id, "m", 1, label == null ? Task.REGRESSION : Task.CLASSIFICATION, "a", 1.0, label, value,
                sha, "/elsewhere/captured/m/" + sha + ".png", T, labelledAt);
    }

    private void keep(String sha) throws IOException {
        Files.createDirectories(dir.resolve("m"));
        Files.write(dir.resolve("m").resolve(sha + ".png"), new byte[]{1});
    }

    @Test
    void oneRowPerKeptImageWithTheLatestAnswerForIt() throws IOException {
        keep("s1");
        keep("s2");
        keep("s3");
        FeedbackDataset dataset = new FeedbackDataset(new FolderBlobs(dir), "captured");
        String csv = dataset.write("m", "e-1", Task.CLASSIFICATION, List.of(
                example("p2", "s1", "cat", null, T.plusSeconds(2)),      // the same image predicted again, answered later
                example("p1", "s1", "dog", null, T.plusSeconds(1)),
                example("p3", "s2", "bird", null, T),
                example("p4", "s9", "cat", null, T),                     // its image was not kept
                example("p5", "s3", "a,b", null, T))).orElseThrow();     // a label the CSV cannot hold
        assertThat(csv).isEqualTo("captured/m/feedback-e-1.csv");
        assertThat(Files.readAllLines(dir.resolve("m/feedback-e-1.csv"))).containsExactly("file,label", "s1.png,cat", "s2.png,bird");
    }

    @Test
    void aRegressorsValuesAndNothingWhenNoImageWasKept() throws IOException {
        keep("s1");
        FeedbackDataset dataset = new FeedbackDataset(new FolderBlobs(dir), "captured/");
        dataset.write("m", "e-2", Task.REGRESSION, List.of(example("p1", "s1", null, 12.5, T), example("p2", "s2", null, 3.0, T)));
        assertThat(Files.readAllLines(dir.resolve("m/feedback-e-2.csv"))).containsExactly("file,value", "s1.png,12.5");
        assertThat(dataset.write("m", "e-3", Task.REGRESSION, List.of(example("p2", "s2", null, 3.0, T)))).isEmpty();
    }
}
