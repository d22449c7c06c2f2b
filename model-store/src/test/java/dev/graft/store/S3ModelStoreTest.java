package dev.graft.store;

import dev.graft.s3local.LocalS3;
import dev.graft.contract.manifest.ModelManifest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The contract against a real S3 API server (s3proxy in its own process), plus what only object storage has. */
class S3ModelStoreTest extends ModelStoreContract {
    private static final String BUCKET = "graft-test";
    private static LocalS3 server;
    private String uri;

    @BeforeAll
    static void startServer() throws Exception {
        server = LocalS3.start(Files.createTempDirectory("graft-s3-test"), BUCKET);
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @BeforeEach
    void freshPrefix() {
        uri = "s3://" + BUCKET + "/" + UUID.randomUUID() + "/models";
    }

    static S3Settings settings() {
        return S3Settings.local(server.endpoint(), LocalS3.ACCESS_KEY, LocalS3.SECRET_KEY);
    }

    @Override
    Blobs blobs() {
        return StorageUri.parse(uri).open(settings());
    }

    @Override
    Blobs otherClient() {
        return StorageUri.parse(uri).open(settings());
    }

    @Test
    void aBucketIsNotLocalSoAStoreOnItNeedsACache() {
        assertThat(blobs().isLocal()).isFalse();
        assertThat(blobs().localFile("cats/1/model.zip")).isEmpty();
        assertThatThrownBy(() -> new ModelStore(blobs(), null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs a local cache to read from");
    }

    @Test
    void artifactsAreDownloadedIntoABoundedCacheAndVerifiedThere() throws Exception {
        ArtifactCache cache = new ArtifactCache(cacheDir.resolve("cache"), 2500);
        ModelStore store = new ModelStore(blobs(), cache);
        ModelManifest[] published = new ModelManifest[3];
        for (int i = 0; i < 3; i++) {
            byte[] weights = new byte[1000];
            weights[0] = (byte) i;
            published[i] = store.publish(draft("cats"), p -> Files.write(p, weights));
        }
        for (ModelManifest manifest : published) {
            Path local = store.verify(manifest);
            assertThat(local).startsWith(cache.dir()).hasSize(1000);
        }
        assertThat(cache.sizeBytes()).isEqualTo(2000);
        assertThat(cache.dir().resolve("cats/3/model.zip")).exists();
        assertThat(cache.dir().resolve("cats/1/model.zip")).as("least recently used goes first").doesNotExist();

        // a cached copy damaged on disk is fetched again rather than served
        Files.write(cache.dir().resolve("cats/3/model.zip"), new byte[1000]);
        assertThat(ModelStore.sha256(store.verify(published[2]))).isEqualTo(published[2].sha256());
    }

    @Test
    void anObjectCorruptedInStorageFailsVerificationAndLeavesNothingCached() {
        ArtifactCache cache = new ArtifactCache(cacheDir.resolve("cache"), 1L << 20);
        ModelStore store = new ModelStore(blobs(), cache);
        ModelManifest manifest = store.publish(draft("cats"), p -> Files.writeString(p, "weights"));
        blobs().write("cats/1/model.zip", "WEIGHTS".getBytes());
        assertThatThrownBy(() -> store.verify(manifest)).hasMessageContaining("sha256");
        assertThat(cache.sizeBytes()).isZero();
    }

    @Test
    void aPublishOutlivesAShortOutageThroughRetriesWithBackoff() {
        // attempts enough to outlast the server's restart (a JVM start, seconds on a loaded machine), whatever it
        // takes: the publish's first request meets the stopped server, the retries find it back
        ModelStore store = new ModelStore(StorageUri.parse(uri).open(settings().withMaxAttempts(30)),
                new ArtifactCache(cacheDir, 1L << 20));
        ModelManifest manifest = store.publish(draft("cats"), p -> {
            Files.writeString(p, "weights");
            server.stop();
            new Thread(server::restart).start();
        });
        assertThat(manifest.version()).isEqualTo(1);
        assertThat(store.versions("cats")).containsExactly(1);
    }

    @Test
    void storageAwayForLongerFailsThePublishWithTheReasonAndNothingBecomesVisible() {
        ModelStore store = new ModelStore(StorageUri.parse(uri).open(settings().withMaxAttempts(2)),
                new ArtifactCache(cacheDir, 1L << 20));
        try {
            assertThatThrownBy(() -> store.publish(draft("cats"), p -> {
                Files.writeString(p, "weights");
                server.stop();
            })).isInstanceOf(StorageUnavailableException.class).hasMessageContaining("unreachable");
        } finally {
            server.restart();
        }
        assertThat(store.versions("cats")).isEmpty();
        assertThat(store.publish(draft("cats"), p -> Files.writeString(p, "w")).version()).isEqualTo(1);
    }

    @Test
    void aMissingBucketOrWrongCredentialsAreNamedByTheCheck() {
        assertThatThrownBy(() -> StorageUri.parse("s3://no-such-bucket/models").open(settings()).check())
                .hasMessageContaining("bucket 'no-such-bucket' does not exist");
        S3Settings wrong = S3Settings.local(server.endpoint(), LocalS3.ACCESS_KEY, "not-the-secret");
        assertThatThrownBy(() -> StorageUri.parse(uri).open(wrong).check())
                .hasMessageContaining("refused these credentials");
        StorageUri.parse(uri).open(settings()).check();
    }
}
