package dev.graft.store;

import dev.graft.contract.manifest.BaseLineage;
import dev.graft.contract.manifest.Preprocessing;
import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.Task;
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
import java.time.Clock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What a model store promises, run against each kind of storage: {@link FolderModelStoreTest} and
 * {@link S3ModelStoreTest} (a real S3 API server).
 */
abstract class ModelStoreContract {
    @TempDir
    Path cacheDir;

    /** Fresh, empty storage for each test. */
    abstract Blobs blobs();

    /** A second client on the same storage, as another trainer or replica would have. */
    abstract Blobs otherClient();

    ModelStore store() {
        return new ModelStore(blobs(), new ArtifactCache(cacheDir, 1L << 30));
    }

    static ModelManifest draft(String model) {
        return ModelManifest.draft(model, Task.CLASSIFICATION, List.of("a", "b"), null, InputShape.rgb(8, 8),
                Preprocessing.UNIT, Map.of("accuracy", 0.5), new BaseLineage("vgg16", "random", "block5_pool"), "req-1");
    }

    @Test
    void publishAssignsIncreasingVersionsAndCompletesTheManifest() {
        ModelStore store = store();
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
    void aFailedWriterLeavesNoVersionAndNothingInTheStore() throws IOException {
        ModelStore store = store();
        assertThatThrownBy(() -> store.publish(draft("cats"), p -> {
            Files.writeString(p, "half");
            throw new IOException("disk full");
        })).isInstanceOf(ModelStoreException.class).hasMessageContaining("disk full");

        assertThat(store.versions("cats")).isEmpty();
        assertThat(blobs().list("")).isEmpty();
    }

    @Test
    void readersSeeAVersionOnlyOnceItsManifestIsCommitted() {
        ModelStore store = store();
        blobs().write("cats/1/" + ModelStore.RESERVED, "{}".getBytes());
        blobs().write("cats/1/" + ModelStore.ARTIFACT, "half".getBytes());
        blobs().write("cats/notes/x.txt", "foreign".getBytes());
        blobs().write("cats/0/" + ModelStore.MANIFEST, "{}".getBytes());
        assertThat(store.versions("cats")).isEmpty();
        assertThat(store.latestVersion("cats")).isEmpty();

        // a publisher skips the number another one holds, even without its manifest
        assertThat(store.publish(draft("cats"), p -> Files.writeString(p, "w")).version()).isEqualTo(2);
        assertThat(store.versions("cats")).containsExactly(2);
    }

    @Test
    void aReservationLeftByADeadWriterIsRemovedOnceItIsOld() {
        blobs().write("cats/1/" + ModelStore.RESERVED, "{}".getBytes());
        blobs().write("cats/1/" + ModelStore.ARTIFACT, "half".getBytes());
        ModelStore now = store();
        now.publish(draft("cats"), p -> Files.writeString(p, "w"));
        assertThat(blobs().list("cats/1/")).as("a fresh reservation may be a live writer's").isNotEmpty();

        ModelStore later = new ModelStore(blobs(), new ArtifactCache(cacheDir, 1L << 30),
                Clock.offset(Clock.systemUTC(), ModelStore.ABANDONED_AFTER.plusMinutes(1)));
        later.publish(draft("cats"), p -> Files.writeString(p, "w"));
        assertThat(blobs().list("cats/1/")).isEmpty();
        assertThat(later.versions("cats")).containsExactly(2, 3);
    }

    @Test
    void createWritesAKeyOnceAndOfManyRacingWritersExactlyOneWins() throws Exception {
        assertThat(blobs().create("claims/a/1.json", "first".getBytes())).isTrue();
        assertThat(blobs().create("claims/a/1.json", "second".getBytes())).isFalse();
        assertThat(blobs().read("claims/a/1.json")).hasValueSatisfying(b -> assertThat(new String(b)).isEqualTo("first"));

        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> wins = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                Blobs client = i % 2 == 0 ? blobs() : otherClient();
                byte[] body = ("writer-" + i).getBytes();
                wins.add(pool.submit(() -> client.create("claims/b/1.json", body)));
            }
            int won = 0;
            for (Future<Boolean> win : wins) {
                won += win.get() ? 1 : 0;
            }
            assertThat(won).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void listingAndChildrenSeeTheSameKeysOnEveryStore() {
        blobs().write("m/1/a", new byte[] {1});
        blobs().write("m/1/b", new byte[] {2});
        blobs().write("m/2/a", new byte[] {3});
        blobs().write("n/x", new byte[] {4});
        assertThat(blobs().list("m/")).containsExactly("m/1/a", "m/1/b", "m/2/a");
        assertThat(blobs().children("")).containsExactly("m", "n");
        assertThat(blobs().children("m/")).containsExactly("1", "2");
        assertThat(blobs().read("m/3/a")).isEmpty();
        assertThat(blobs().modified("m/1/a")).isPresent();
        assertThat(blobs().modified("m/3/a")).isEmpty();
        blobs().delete("m/1/a");
        assertThat(blobs().list("m/")).containsExactly("m/1/b", "m/2/a");
        assertThatThrownBy(() -> blobs().download("m/3/a", cacheDir.resolve("x"))).isInstanceOf(ModelStoreException.class);
    }

    @Test
    void aMissingArtifactFailsTheLoadWithTheReason() {
        ModelStore store = store();
        ModelManifest manifest = store.publish(draft("cats"), p -> Files.writeString(p, "weights"));
        blobs().delete("cats/1/" + ModelStore.ARTIFACT);
        assertThatThrownBy(() -> store.verify(manifest)).isInstanceOf(ModelStoreException.class)
                .hasMessageContaining("cats");
    }

    @Test
    void verifyRejectsAnArtifactChangedAfterPublication() throws IOException {
        ModelStore store = store();
        ModelManifest manifest = store.publish(draft("cats"), p -> Files.writeString(p, "weights"));
        blobs().write("cats/1/" + ModelStore.ARTIFACT, "WEIGHTS".getBytes());

        assertThatThrownBy(() -> store.verify(manifest))
                .isInstanceOf(ModelStoreException.class)
                .hasMessageContaining("sha256");
    }

    @Test
    void filesWrittenBesideTheArtifactArePublishedWithTheVersion() throws IOException {
        ModelStore store = store();
        ModelManifest published = store.publish(draft("cats"), p -> {
            Files.writeString(p, "weights");
            Files.writeString(p.resolveSibling("report.json"), "{}");
        });
        assertThat(store.file(published, "report.json")).hasValueSatisfying(b -> assertThat(new String(b)).isEqualTo("{}"));
        assertThat(store.file(published, "charts.png")).isEmpty();
        assertThatThrownBy(() -> store.file(published, "../2/report.json")).hasMessageContaining("is not a file name");
        assertThatThrownBy(() -> store.file(published, ".publish.lock")).hasMessageContaining("is not a file name");
    }

    @Test
    void modelNamesCannotEscapeTheStore() {
        ModelStore store = store();
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
        ModelStore store = store();
        ModelStore other = new ModelStore(otherClient(), new ArtifactCache(cacheDir.resolve("other"), 1L << 30));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<ModelManifest>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String content = "w" + i;
                ModelStore publisher = i % 2 == 0 ? store : other;
                results.add(pool.submit(() -> publisher.publish(draft("cats"), p -> Files.writeString(p, content))));
            }
            List<Integer> versions = new ArrayList<>();
            for (Future<ModelManifest> result : results) {
                versions.add(result.get().version());
            }
            assertThat(versions).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6, 7, 8);
            for (Future<ModelManifest> result : results) {
                // each version holds its own writer's artifact: nobody overwrote another's upload
                assertThat(store.verify(result.get())).exists();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
