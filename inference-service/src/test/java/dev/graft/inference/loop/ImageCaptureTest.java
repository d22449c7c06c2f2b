package dev.graft.inference.loop;

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

    private static byte[] png(int fill) {
        byte[] bytes = new byte[100];
        java.util.Arrays.fill(bytes, (byte) fill);
        System.arraycopy(new byte[]{(byte) 0x89, 'P', 'N', 'G'}, 0, bytes, 0, 4);
        return bytes;
    }

    @Test
    void eachImageIsKeptOnceUntilTheBoundWhatIsThereAtStartCounted() throws Exception {
        // PNGs as far as their first bytes go, of sizes that make the bound exact: 100 there, 100 + 100 fit in 300
        byte[] red = png(1);
        byte[] green = png(2);
        byte[] blue = png(3);
        // already there from an earlier run: counted against the bound
        Files.createDirectories(dir.resolve("m"));
        Files.write(dir.resolve("m/old.png"), red);
        MeterRegistry registry = new SimpleMeterRegistry();
        ImageCapture capture = new ImageCapture(true, dir.toString(), new FolderBlobs(dir), 300, 16, 1 << 20, registry);
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

    @Test
    void theBufferIsBoundedInBytesTooAndWhatItHoldsAtStopEndsCountedAsDropped() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        ImageCapture capture = new ImageCapture(true, dir.toString(), new FolderBlobs(dir), 1 << 20, 16, 150, registry);
        // not started: nothing leaves the buffer
        capture.offer("m", "r", png(1));
        capture.offer("m", "g", png(2));
        assertThat(count(registry, "dropped")).as("100 + 100 bytes over a buffer of 150").isEqualTo(1);
        capture.stop(null);
        assertThat(count(registry, "dropped")).as("and the one it held at stop").isEqualTo(2);
        assertThat(dir.resolve("m/r.png")).doesNotExist();
    }
}
