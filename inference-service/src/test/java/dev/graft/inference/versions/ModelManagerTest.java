package dev.graft.inference.versions;

import dev.graft.inference.TestModels;
import dev.graft.inference.batching.Batching;
import dev.graft.inference.config.ServingSettings;
import dev.graft.inference.metrics.InferenceMetrics;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.Promotion;
import dev.graft.store.ModelStore;
import dev.graft.testing.Tripwire;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelManagerTest {
    @TempDir
    Path root;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private ModelManager manager(ModelStore store, ServingSettings settings) {
        return TestModels.manager(store, settings, registry);
    }

    private static int serving(ModelManager manager, String model) {
        LoadedModel loaded = manager.acquire(model).orElseThrow();
        loaded.release();
        return loaded.version();
    }

    @Test
    void aLoadEndingInAnErrorFailsTheVersionAndLeavesNoOtherCallerWaitingOnIt() throws Exception {
        ModelStore store = new ModelStore(root);
        TestModels.publishClassifier(store, "m", 1);
        ServingSettings settings = ServingSettings.standard();
        InferenceMetrics metrics = new InferenceMetrics(registry);
        CountDownLatch loading = new CountDownLatch(1);
        CountDownLatch secondCallerWaits = new CountDownLatch(1);
        AtomicBoolean firstLoad = new AtomicBoolean(true);
        ModelLoader loader = new ModelLoader(store, settings, new Batching(settings, metrics), metrics) {
            @Override
            public LoadedModel load(String model, int version) {
                if (firstLoad.getAndSet(false)) {
                    loading.countDown();
                    awaitQuietly(secondCallerWaits);
                    // as JavaCPP reports native memory running out while a network is restored
                    throw new OutOfMemoryError("Physical memory usage is too high");
                }
                return super.load(model, version);
            }
        };
        ModelManager manager = new ModelManager(store, loader, settings, metrics,
                io.opentelemetry.api.OpenTelemetry.noop().getTracer("test"));
        CompletableFuture<Object> first = new CompletableFuture<>();
        CompletableFuture<Object> second = new CompletableFuture<>();
        Thread a = request(manager, first);
        assertThat(loading.await(10, TimeUnit.SECONDS)).isTrue();
        Thread b = request(manager, second);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (b.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
            Thread.onSpinWait();   // until the second caller waits on the first one's load
        }
        assertThat(b.getState()).isEqualTo(Thread.State.WAITING);
        secondCallerWaits.countDown();

        assertThat(first.get(10, TimeUnit.SECONDS)).isInstanceOf(OutOfMemoryError.class);
        // before: the first caller's turn never ended and the second waited on it for ever
        assertThat(second.get(10, TimeUnit.SECONDS)).isInstanceOf(VersionUnavailableException.class);
        assertThat(state(manager, 1)).isEqualTo("failed");
        a.join();
        b.join();
    }

    /** A request for version 1 on a thread of its own; {@code answer} gets what it threw, or "served". */
    private static Thread request(ModelManager manager, CompletableFuture<Object> answer) {
        Thread thread = new Thread(() -> {
            try {
                manager.acquire("m", 1).release();
                answer.complete("served");
            } catch (Throwable e) {
                answer.complete(e);
            }
        });
        thread.setDaemon(true);   // a caller left waiting must not keep the test JVM alive
        thread.start();
        return thread;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aSwappedOutVersionFinishesItsInFlightRequestBeforeItsMemoryIsReleased() throws Exception {
        ModelStore store = new ModelStore(root);
        ModelManager manager = manager(store, ServingSettings.standard().withKeepVersions(1));
        TestModels.publishClassifier(store, "m", 1);
        manager.offer("m", 1).get();

        LoadedModel inFlight = manager.acquire("m").orElseThrow();
        TestModels.publishClassifier(store, "m", 2);
        manager.offer("m", 2).get();

        assertThat(serving(manager, "m")).isEqualTo(2);
        // version 1 is evicted (one version kept), but the request that holds it can still use it
        assertThat(inFlight.isReleased()).isFalse();
        assertThat(state(manager, 1)).isEqualTo("draining");
        assertThat(stateGauge("1")).isEqualTo("draining");
        assertThat(inFlight.submit(() -> Nd4j.zeros(DataType.FLOAT, 2, 3, 8, 8)).get().shape()).containsExactly(2, 3);
        inFlight.release();
        assertThat(inFlight.isReleased()).isTrue();
        assertThat(state(manager, 1)).isEqualTo("retired");
        assertThat(stateGauge("1")).as("one series per version: the draining one is gone").isEqualTo("retired");
        assertThat(state(manager, 2)).isEqualTo("serving");
    }

    private static String state(ModelManager manager, int version) {
        return manager.status("m").orElseThrow().versions().stream().filter(v -> v.version() == version)
                .findFirst().orElseThrow().state();
    }

    /** The state label of m's version as the metric shows it; fails unless there is exactly one series. */
    private String stateGauge(String version) {
        var gauges = registry.find("graft_model_version_state").tags("model", "m", "version", version).gauges();
        assertThat(gauges).hasSize(1);
        return gauges.iterator().next().getId().getTag("state");
    }

    @Test
    void aVersionAnnouncedBeforeItIsInTheStoreServesWhenAnnouncedAgain() throws Exception {
        ModelStore store = new ModelStore(root);
        ModelManager manager = manager(store, ServingSettings.standard());
        TestModels.publishClassifier(store, "m", 1);
        manager.offer("m", 1).get();
        manager.offer("m", 2).get();
        assertThat(manager.status("m").orElseThrow().versions()).filteredOn(v -> v.version() == 2).singleElement()
                .isEqualTo(new ModelStatus.VersionStatus(2, "retired", false, "not in the store", null, null, null, null));
        assertThat(registry.find("graft_model_loads").tags("version", "2").counters()).as("not even tried").isEmpty();

        TestModels.publishClassifier(store, "m", 2);
        manager.offer("m", 2).get();
        assertThat(serving(manager, "m")).isEqualTo(2);
        assertThat(manager.status("m").orElseThrow().failed()).isEmpty();
    }

    @Test
    void olderCorruptOrWronglyHashedVersionsNeverReplaceTheServingOne() throws Exception {
        ModelStore store = new ModelStore(root);
        ModelManager manager = manager(store, ServingSettings.standard());
        TestModels.publishClassifier(store, "m", 1);
        TestModels.publishClassifier(store, "m", 2);
        manager.offer("m", 2).get();
        manager.offer("m", 1).get();
        assertThat(serving(manager, "m")).isEqualTo(2);

        ModelManifest corrupt = TestModels.publishClassifier(store, "m", 3);
        Files.writeString(TestModels.artifactFile(store, corrupt), "garbage");
        manager.offer("m", 3).get();
        // a valid network whose manifest names another checksum: the store's verification refuses it
        ModelManifest rehashed = TestModels.publishClassifier(store, "m", 4);
        Path manifestFile = TestModels.artifactFile(store, rehashed).resolveSibling(ModelStore.MANIFEST);
        Files.writeString(manifestFile, Files.readString(manifestFile).replace(rehashed.sha256(), "0".repeat(64)));
        manager.offer("m", 4).get();
        // a manifest of a task this service does not know (written by a newer trainer, say)
        ModelManifest unknownTask = TestModels.publishClassifier(store, "m", 5);
        Path unknownManifest = TestModels.artifactFile(store, unknownTask).resolveSibling(ModelStore.MANIFEST);
        Files.writeString(unknownManifest, Files.readString(unknownManifest)
                .replace("\"task\":\"classification\"", "\"task\":\"segmentation\""));
        manager.offer("m", 5).get();
        // hashed as written, but not a network: the restore itself fails
        TestModels.publishDamagedClassifier(store, "m", file -> write(file, "not a network"));
        manager.offer("m", 6).get();
        // a network with a Java-serialized object beside it, which DL4J's restore would deserialize
        int fired = Tripwire.fired();
        TestModels.publishDamagedClassifier(store, "m", Tripwire::plant);
        manager.offer("m", 7).get();

        assertThat(serving(manager, "m")).isEqualTo(2);
        ModelStatus status = manager.status("m").orElseThrow();
        assertThat(status.failed()).extracting(ModelStatus.VersionNote::version).containsExactly(3, 4, 5, 6, 7);
        assertThat(status.failed().get(0).reason()).contains("artifact is 7 bytes, manifest says");
        assertThat(status.failed().get(1).reason()).containsIgnoringCase("sha256");
        assertThat(status.failed().get(2).reason()).contains("segmentation");
        assertThat(status.failed().get(3).reason()).startsWith("cannot load the network").doesNotContainIgnoringCase("sha256");
        assertThat(status.failed().get(4).reason()).contains("holds [preprocessor.bin], which Graft never writes");
        assertThat(Tripwire.fired()).as("deserializations of the planted object").isEqualTo(fired);
        // deterministic failures fail once: no attempt planned, none on a request or a rescan either
        assertThat(status.versions()).filteredOn(v -> v.version() >= 3).hasSize(5).allSatisfy(v -> {
            assertThat(v.state()).isEqualTo("failed");
            assertThat(v.attempts()).isEqualTo(1);
            assertThat(v.nextAttempt()).isNull();
        });
        assertThatThrownBy(() -> manager.acquire("m", 4)).isInstanceOfSatisfying(VersionUnavailableException.class,
                e -> assertThat(e.reason()).isEqualTo(VersionUnavailableException.Reason.NOT_LOADABLE))
                .hasMessageContaining("sha256");
        manager.sync("m", store.versions("m")).get();
        // announced again (a scan saw them before their event, say): what the store holds has not changed, so no load
        for (int version = 3; version <= 7; version++) {
            manager.offer("m", version).get();
        }
        for (String version : new String[]{"3", "4", "5", "6", "7"}) {
            assertThat(registry.counter("graft_model_loads", "model", "m", "version", version, "outcome", "failed").count())
                    .as("loads of version " + version).isEqualTo(1.0);
        }
        assertThat(manager.acquire("unknown")).isEmpty();
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void keepsTheNewestVersionsLoadedAndFreesTheRestSoMemoryDoesNotGrowWithSwaps() throws Exception {
        ModelStore store = new ModelStore(root);
        ModelManager manager = manager(store, ServingSettings.standard().withKeepVersions(2));
        LoadedModel[] versions = new LoadedModel[6];
        for (int v = 1; v <= 5; v++) {
            TestModels.publishClassifier(store, "m", v);
            manager.offer("m", v).get();
            versions[v] = manager.acquire("m").orElseThrow();
            versions[v].release();
        }
        assertThat(manager.status("m").orElseThrow().loadedVersions()).containsExactly(4, 5);
        assertThat(versions[1].isReleased() && versions[2].isReleased() && versions[3].isReleased()).isTrue();
        assertThat(versions[4].isReleased() || versions[5].isReleased()).isFalse();
        assertThat(registry.counter("graft_model_warmups", "model", "m", "version", "5").count()).isEqualTo(3.0);
    }

    @Test
    void aNamedVersionLoadsOnDemandAndUnknownOnesAreNamedInTheError() throws Exception {
        ModelStore store = new ModelStore(root);
        ModelManager manager = manager(store, ServingSettings.standard().withKeepVersions(2));
        for (int v = 1; v <= 3; v++) {
            TestModels.publishClassifier(store, "m", v);
        }
        manager.offer("m", 3).get();

        LoadedModel first = manager.acquire("m", 1);
        assertThat(first.version()).isEqualTo(1);
        assertThat(manager.status("m").orElseThrow().loadedVersions()).containsExactly(1, 3);
        first.release();
        assertThat(serving(manager, "m")).as("asking for a version does not make it serve").isEqualTo(3);

        assertThatThrownBy(() -> manager.acquire("m", 9)).isInstanceOfSatisfying(VersionUnavailableException.class,
                e -> assertThat(e.reason()).isEqualTo(VersionUnavailableException.Reason.UNKNOWN))
                .hasMessageContaining("m has no version 9; stored versions: [1, 2, 3]");
        assertThatThrownBy(() -> manager.acquire("nothing", 1)).hasMessageContaining("no model 'nothing'");
    }

    @Test
    void aPinnedVersionServesUntilUnpinnedThenTheNewestDoes() throws Exception {
        ModelStore store = new ModelStore(root);
        ModelManager manager = manager(store, ServingSettings.standard());
        TestModels.publishClassifier(store, "m", 1);
        TestModels.publishClassifier(store, "m", 2);
        manager.offer("m", 2).get();

        assertThat(manager.pin("m", 1).version()).isEqualTo(1);
        TestModels.publishClassifier(store, "m", 3);
        manager.offer("m", 3).get();
        ModelStatus pinned = manager.status("m").orElseThrow();
        assertThat(pinned.version()).isEqualTo(1);
        assertThat(pinned.pinnedVersion()).isEqualTo(1);
        assertThat(pinned.newestVersion()).isEqualTo(3);

        ModelStatus unpinned = manager.unpin("m");
        assertThat(unpinned.version()).isEqualTo(3);
        assertThat(unpinned.pinnedVersion()).isNull();
        assertThatThrownBy(() -> manager.pin("m", 7)).hasMessageContaining("no version 7");
    }

    @Test
    void underTheGatedPolicyOnlyBetterVersionsOrThoseMeetingTheirThresholdServe() throws Exception {
        ModelStore store = new ModelStore(root);
        ServingSettings settings = ServingSettings.standard().withModel("m",
                new ServingSettings.ModelSettings(ServingSettings.Policy.GATED, 16, Duration.ofMillis(5)));
        ModelManager manager = manager(store, settings);
        TestModels.publishClassifier(store, "m", 1, 0.80, null);
        manager.offer("m", 1).get();
        TestModels.publishClassifier(store, "m", 2, 0.70, null);
        manager.offer("m", 2).get();
        assertThat(serving(manager, "m")).isEqualTo(1);
        ModelStatus held = manager.status("m").orElseThrow();
        assertThat(held.promotion()).isEqualTo("gated");
        assertThat(held.heldBack()).singleElement().satisfies(note -> {
            assertThat(note.version()).isEqualTo(2);
            assertThat(note.reason()).contains("validation accuracy 0.7000 does not beat serving version 1's 0.8000");
        });
        assertThat(held.loadedVersions()).as("a held-back version is not loaded until asked for").containsExactly(1);
        assertThat(registry.counter("graft_model_held_back", "model", "m", "version", "2").count()).isEqualTo(1.0);

        TestModels.publishClassifier(store, "m", 3, 0.85, null);
        manager.offer("m", 3).get();
        assertThat(serving(manager, "m")).isEqualTo(3);

        // worse than the serving version, but its request named a threshold it reaches
        TestModels.publishClassifier(store, "m", 4, 0.60, new Promotion("accuracy", 0.55));
        manager.offer("m", 4).get();
        assertThat(serving(manager, "m")).isEqualTo(4);
        TestModels.publishClassifier(store, "m", 5, 0.99, new Promotion("loss", 0.1));
        manager.offer("m", 5).get();
        assertThat(manager.status("m").orElseThrow().heldBack()).extracting(ModelStatus.VersionNote::version)
                .containsExactly(2, 5);

        LoadedModel onDemand = manager.acquire("m", 2);
        assertThat(onDemand.version()).isEqualTo(2);
        onDemand.release();
        assertThat(manager.unpin("m").version()).as("unpinning skips held-back versions").isEqualTo(4);
    }
}
