package dev.graft.inference.versions;

import dev.graft.inference.TestModels;
import dev.graft.inference.config.ServingSettings;
import dev.graft.s3local.LocalS3;
import dev.graft.store.ModelStore;
import dev.graft.store.S3Settings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Loads from a real S3 API server that goes away for a while: retried with backoff, a bounded number of times. */
class TransientLoadFailureTest {
    @TempDir
    Path dir;

    private LocalS3 server;
    private ModelStore store;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeEach
    void startServer() {
        server = LocalS3.start(dir.resolve("s3"), "models");
        // one attempt per S3 call: the manager's retries are under test, not the SDK's
        S3Settings s3 = S3Settings.local(server.endpoint(), LocalS3.ACCESS_KEY, LocalS3.SECRET_KEY).withMaxAttempts(1);
        store = ModelStore.open("s3://models/serving", s3, dir.resolve("cache"), 1L << 26);
        TestModels.publishClassifier(store, "m", 1);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private ModelStatus.VersionStatus version1(ModelManager manager) {
        return manager.status("m").orElseThrow().versions().get(0);
    }

    private double loads(String outcome) {
        return registry.counter("graft_model_loads", "model", "m", "version", "1", "outcome", outcome).count();
    }

    @Test
    void aLoadThatFindsTheStoreUnreachableIsTriedAgainAndServesOnceTheStoreIsBack() throws Exception {
        // retries that outlast the server's restart however long it takes: the version serves once it is back
        ModelManager manager = TestModels.manager(store, ServingSettings.standard().withLoadRetries(
                new ServingSettings.LoadRetries(1000, Duration.ofMillis(200), Duration.ofSeconds(1))), registry);
        server.stop();
        manager.offer("m", 1).get();
        ModelStatus.VersionStatus failed = version1(manager);
        assertThat(failed.state()).isEqualTo("failed");
        assertThat(failed.attempts()).isEqualTo(1);
        assertThat(failed.nextAttempt()).as("an attempt is planned").isNotNull();

        server.restart();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(version1(manager).state()).isEqualTo("serving"));
        assertThat(loads("failed")).as("the attempts while the store was away").isGreaterThanOrEqualTo(1.0);
        assertThat(loads("succeeded")).isEqualTo(1.0);
        assertThat(version1(manager).attempts()).as("a success clears the count").isNull();
    }

    @Test
    void aStoreAwayForLongerGivesUpAfterTheLastAttemptAndAnAnnouncementStartsAgain() throws Exception {
        ModelManager manager = TestModels.manager(store, ServingSettings.standard().withLoadRetries(
                new ServingSettings.LoadRetries(3, Duration.ofMillis(50), Duration.ofMillis(100))), registry);
        server.stop();
        manager.offer("m", 1).get();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            ModelStatus.VersionStatus gaveUp = version1(manager);
            assertThat(gaveUp.attempts()).isEqualTo(3);
            assertThat(gaveUp.nextAttempt()).isNull();
            assertThat(gaveUp.reason()).contains("gave up after 3 attempts");
        });
        assertThat(loads("failed")).isEqualTo(3.0);

        server.restart();
        manager.offer("m", 1).get();
        assertThat(version1(manager).state()).isEqualTo("serving");
    }
}
