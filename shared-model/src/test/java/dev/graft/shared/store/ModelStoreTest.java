package dev.graft.shared.store;

import dev.graft.shared.manifest.BaseLineage;
import dev.graft.shared.manifest.InputShape;
import dev.graft.shared.manifest.ModelManifest;
import dev.graft.shared.manifest.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelStoreTest {
    @TempDir
    Path root;

    private static ModelManifest draft(String model) {
        return ModelManifest.draft(model, Task.CLASSIFICATION, List.of("a", "b"), null, InputShape.rgb(8, 8),
                Map.of("accuracy", 0.5), new BaseLineage("vgg16", "random", "block5_pool"), "req-1");
    }

    @Test
    void publishAssignsIncreasingVersionsAndCompletesTheManifest() {
        ModelStore store = new ModelStore(root);
        ModelManifest first = store.publish(draft("cats"), p -> Files.writeString(p, "weights-1"));
        ModelManifest second = store.publish(draft("cats"), p -> Files.writeString(p, "weights-2"));

        assertThat(first.version()).isEqualTo(1);
        assertThat(second.version()).isEqualTo(2);
        assertThat(store.versions("cats")).containsExactly(1, 2);
        assertThat(store.latestVersion("cats")).contains(2);
        assertThat(store.models()).containsExactly("cats");

        ModelManifest read = store.manifest("cats", 2);
        assertThat(read).isEqualTo(second);
        assertThat(read.sizeBytes()).isEqualTo("weights-2".length());
        // sha256("weights-2"), computed independently with sha256sum
        assertThat(read.sha256()).isEqualTo("4edc184ad57a3241412790242ead0ee627ddd1590e60b9c4e1cf2015fa8aec0e");
        assertThat(first.sha256()).isNotEqualTo(read.sha256());
        assertThat(store.verify(read)).hasFileName(ModelStore.ARTIFACT);
    }

    @Test
    void aFailedWriterLeavesNoVersionAndNoTemporaryFolder() throws IOException {
        ModelStore store = new ModelStore(root);
        assertThatThrownBy(() -> store.publish(draft("cats"), p -> {
            Files.writeString(p, "half");
            throw new IOException("disk full");
        })).isInstanceOf(ModelStoreException.class).hasMessageContaining("disk full");

        assertThat(store.versions("cats")).isEmpty();
        try (Stream<Path> left = Files.list(root.resolve("cats"))) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".tmp-"));
        }
    }

    @Test
    void readersNeverListATemporaryOrForeignFolder() throws IOException {
        ModelStore store = new ModelStore(root);
        Files.createDirectories(root.resolve("cats/.tmp-123"));
        Files.createDirectories(root.resolve("cats/notes"));
        Files.createDirectories(root.resolve("cats/0"));
        assertThat(store.versions("cats")).isEmpty();
        assertThat(store.latestVersion("cats")).isEmpty();
    }

    @Test
    void verifyRejectsAnArtifactChangedAfterPublication() throws IOException {
        ModelStore store = new ModelStore(root);
        ModelManifest manifest = store.publish(draft("cats"), p -> Files.writeString(p, "weights"));
        Files.writeString(store.artifact(manifest), "WEIGHTS");

        assertThatThrownBy(() -> store.verify(manifest))
                .isInstanceOf(ModelStoreException.class)
                .hasMessageContaining("sha256");
    }

    @Test
    void filesWrittenBesideTheArtifactArePublishedWithTheVersion() throws IOException {
        ModelStore store = new ModelStore(root);
        ModelManifest published = store.publish(draft("cats"), p -> {
            Files.writeString(p, "weights");
            Files.writeString(p.resolveSibling("report.json"), "{}");
        });
        assertThat(store.file(published, "report.json")).hasContent("{}");
        assertThatThrownBy(() -> store.file(published, "../2/report.json")).hasMessageContaining("is not a file name");
        assertThatThrownBy(() -> store.file(published, ".publish.lock")).hasMessageContaining("is not a file name");
    }

    @Test
    void modelNamesCannotEscapeTheStore() {
        ModelStore store = new ModelStore(root);
        for (String bad : new String[]{"../x", "a/b", "", "UPPER", ".hidden", "_under", "-dash", "a".repeat(65)}) {
            assertThatThrownBy(() -> store.publish(draft(bad), p -> Files.writeString(p, "w")))
                    .as(bad).isInstanceOf(ModelStoreException.class).hasMessageContaining("invalid model name");
        }
    }

    @Test
    void modelNamesAreOneToSixtyFourOfLowerCaseLettersDigitsDotUnderscoreAndDashStartingWithALetterOrDigit() {
        // the rule README states for the request's "model" field
        for (String good : new String[]{"a", "7", "fashion-classifier", "a.b_c-1", "x" + "-".repeat(63)}) {
            assertThat(ModelStore.requireValidName(good)).as(good).isEqualTo(good);
        }
    }

    @Test
    void concurrentPublishersGetDistinctVersions() throws Exception {
        ModelStore store = new ModelStore(root);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<ModelManifest>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String content = "w" + i;
                results.add(pool.submit(() -> store.publish(draft("cats"), p -> Files.writeString(p, content))));
            }
            List<Integer> versions = new ArrayList<>();
            for (Future<ModelManifest> result : results) {
                versions.add(result.get().version());
            }
            assertThat(versions).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6, 7, 8);
        } finally {
            pool.shutdownNow();
        }
    }
}
