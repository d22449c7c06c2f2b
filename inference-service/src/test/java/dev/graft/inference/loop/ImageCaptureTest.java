package dev.graft.inference.loop;

import dev.graft.inference.TestModels;
import dev.graft.store.FolderBlobs;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ImageCaptureTest {
    @TempDir
    Path dir;

    private static double count(MeterRegistry registry, String outcome) {
        return registry.counter("graft_captured_images", "outcome", outcome).count();
    }

    @Test
    void eachImageIsKeptOnceUntilTheBoundWhatIsThereAtStartCounted() throws Exception {
        byte[] red = TestModels.png(0xff0000, 8);
        byte[] green = TestModels.png(0x00ff00, 8);
        byte[] blue = TestModels.png(0x0000ff, 8);
        // already there from an earlier run: counted against the bound
        Files.createDirectories(dir.resolve("m"));
        Files.write(dir.resolve("m/old.png"), red);
        MeterRegistry registry = new SimpleMeterRegistry();
        ImageCapture capture = new ImageCapture(true, dir.toString(), new FolderBlobs(dir),
                red.length + green.length + red.length, 16, registry);
        capture.start(null);

        assertThat(capture.offer("m", "r", red)).contains(dir + "/m/r.png");
        capture.offer("m", "r", red);
        capture.offer("m", "g", green);
        capture.offer("m", "b", blue);
        assertThat(capture.offer("m", "t", new byte[]{1, 2, 3})).as("not an image: a tensor's bytes").isEmpty();
        await().atMost(Duration.ofSeconds(30)).until(() -> count(registry, "stored") + count(registry, "duplicate")
                + count(registry, "full") == 4);
        assertThat(count(registry, "stored")).isEqualTo(2);
        assertThat(count(registry, "duplicate")).isEqualTo(1);
        assertThat(count(registry, "full")).as("blue: over the bound, the old image counted").isEqualTo(1);
        assertThat(dir.resolve("m/r.png")).hasBinaryContent(red);
        assertThat(dir.resolve("m/g.png")).hasBinaryContent(green);
        assertThat(dir.resolve("m/b.png")).doesNotExist();
        capture.stop(null);
    }
}
