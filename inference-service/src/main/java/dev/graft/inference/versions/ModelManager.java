package dev.graft.inference.versions;

import dev.graft.inference.config.ServingSettings;
import dev.graft.inference.metrics.InferenceMetrics;
import dev.graft.shared.store.ModelStore;
import dev.graft.shared.store.ModelStoreException;
import dev.graft.shared.store.StorageUnavailableException;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Carries out the {@link ServingPolicy}'s decisions. Versions arrive from events and store scans;
 * after each change the policy is asked what to do (read a manifest, load a version, swap, retire)
 * until it asks for nothing more, one model change at a time. A load that failed for a passing
 * reason is tried again with a growing pause, a bounded number of times. Each model's versions and
 * their state changes are {@link ModelVersions}'; memory (loading once, least recently used,
 * reference counts) is {@link LoadedVersions}'.
 */
@ApplicationScoped
public class ModelManager {
    private static final Logger LOG = Logger.getLogger(ModelManager.class);
    /** Decisions carried out per change before giving up: each one loads or fails a version, so versions x 2 is ample. */
    private static final int MAX_STEPS_PER_VERSION = 2;

    private final ModelStore store;
    private final ServingSettings settings;
    private final InferenceMetrics metrics;
    private final ServingPolicy policy = new ServingPolicy();
    private final LoadedVersions memory;
    private final Map<String, ModelVersions> models = new ConcurrentHashMap<>();
    /** Decisions are carried out one at a time: loads are rare and each takes the whole CPU for a moment. */
    private final ExecutorService decisions = Executors.newSingleThreadExecutor(r -> daemon(r, "graft-model-loader"));
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(
            r -> daemon(r, "graft-load-retries"));

    public ModelManager(ModelStore store, ModelLoader loader, ServingSettings settings, InferenceMetrics metrics) {
        this.store = store;
        this.settings = settings;
        this.metrics = metrics;
        this.memory = new LoadedVersions(loader, metrics, new Lifecycle());
    }

    private static Thread daemon(Runnable r, String name) {
        Thread thread = new Thread(r, name);
        thread.setDaemon(true);
        return thread;
    }

    private ModelVersions versions(String model) {
        return models.computeIfAbsent(model, m -> new ModelVersions(m, metrics, memory, settings.keepVersions()));
    }

    /**
     * An announced version (a model-version event). Completes when the policy is satisfied. The store
     * is listed only for a version not known to be there: a replica reads the topic from the start,
     * and most of those events name versions the first scan already found.
     */
    public CompletableFuture<Void> offer(String model, int version) {
        return CompletableFuture.runAsync(() -> {
            ModelVersions versions = versions(model);
            if (versions.settled(version)) {
                return;
            }
            boolean inStore;
            try {
                List<Integer> stored = store.versions(model);
                versions.listed(stored);
                inStore = stored.contains(version);
            } catch (ModelStoreException e) {
                inStore = true;   // the store cannot be read: the event is believed and the load will tell
            }
            versions.announced(version, inStore);
            reconcile(versions);
        }, decisions);
    }

    /** The store's listing of one model (a scan). Completes when the policy is satisfied. */
    public CompletableFuture<Void> sync(String model, List<Integer> stored) {
        return CompletableFuture.runAsync(() -> {
            ModelVersions versions = versions(model);
            versions.listed(stored);
            reconcile(versions);
        }, decisions);
    }

    /** Whether this service has heard of the model, whether or not it serves. */
    public boolean knows(String model) {
        return models.containsKey(model);
    }

    /** Models this service has heard of, whether or not they serve. */
    public Set<String> knownModels() {
        return Set.copyOf(models.keySet());
    }

    /** Asks the policy what to do and does it, until it asks for nothing more (runs on the decisions thread). */
    private void reconcile(ModelVersions versions) {
        ServingSettings.Policy promotion = settings.forModel(versions.model).promotion();
        int steps = MAX_STEPS_PER_VERSION * (versions.size() + 1);
        for (int step = 0; step < steps; step++) {
            ServingPolicy.Decision decision = policy.decide(versions.view(promotion));
            if (!versions.apply(decision)) {
                return;
            }
            if (decision.inspect() != null) {
                inspect(versions, decision.inspect());
            } else {
                try {
                    memory.acquire(versions.model, decision.load()).release();
                } catch (RuntimeException e) {
                    // the lifecycle recorded it as failed: the policy picks another version or waits
                }
            }
        }
        LOG.warnf("%s: the serving policy did not settle after %d steps; it is asked again on the next change",
                versions.model, steps);
    }

    /** Reads a candidate's manifest for the promotion rule; a failure fails the version as a load would. */
    private void inspect(ModelVersions versions, int version) {
        try {
            versions.manifestRead(version, store.manifest(versions.model, version));
        } catch (RuntimeException e) {
            failed(versions, version, e);
        }
    }

    /** A load (or manifest read) failed: tried again later if the reason is passing and attempts remain. */
    private void failed(ModelVersions versions, int version, RuntimeException cause) {
        ServingSettings.LoadRetries retryPolicy = settings.loadRetries();
        int attempts = versions.failedAttempts(version) + 1;
        boolean passing = passing(cause);
        if (passing && attempts < retryPolicy.maxAttempts()) {
            Duration pause = retryPolicy.backoff(attempts);
            Instant planned = Instant.now().plus(pause);
            versions.failed(version, cause.getMessage(), planned, false);
            retries.schedule(() -> decisions.execute(() -> {
                if (versions.retryDue(version, planned)) {
                    reconcile(versions);
                }
            }), pause.toMillis(), TimeUnit.MILLISECONDS);
            LOG.warnf("%s version %d failed to load (attempt %d of %d), trying again in %d ms: %s", versions.model,
                    version, attempts, retryPolicy.maxAttempts(), pause.toMillis(), cause.getMessage());
            return;
        }
        String reason = cause.getMessage() + (passing
                ? " (gave up after " + attempts + " attempts; announce the version again or restart)" : "");
        versions.failed(version, reason, null, !passing && ofStoredBytes(cause));
        LOG.errorf("%s version %d cannot serve: %s", versions.model, version, reason);
    }

    /**
     * The store's answer, or the bytes it gave, are unusable (a manifest, size or checksum the store refuses, a
     * zip that does not open or restore): what it holds for the version, which announcing it again cannot change.
     * Other failures (a warm-up, native memory) may pass.
     */
    private static boolean ofStoredBytes(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ModelStoreException || t instanceof java.io.IOException) {
                return true;
            }
        }
        return false;
    }

    /** Storage that could not be read for a while: worth trying again. A bad checksum or manifest is not. */
    private static boolean passing(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof StorageUnavailableException) {
                return true;
            }
        }
        return false;
    }

    /** Hears of loads from {@link LoadedVersions}, whoever asked for them, and moves the versions' states. */
    private final class Lifecycle implements LoadedVersions.Listener {
        @Override
        public void loading(String model, int version) {
            versions(model).loading(version);
        }

        @Override
        public void loaded(LoadedModel loaded) {
            versions(loaded.model()).loaded(loaded);
        }

        @Override
        public void failed(String model, int version, RuntimeException cause) {
            ModelManager.this.failed(versions(model), version, cause);
        }

        @Override
        public void freed(String model, int version) {
            versions(model).freed(version);
        }
    }

    /** The serving version with a reference held for the caller, who must release it; empty if none serves. */
    public Optional<LoadedModel> acquire(String model) {
        ModelVersions versions = models.get(model);
        while (versions != null) {
            LoadedModel current = versions.serving();
            if (current == null) {
                return Optional.empty();
            }
            if (current.tryAcquire()) {
                return Optional.of(current);
            }
            // swapped out and released between the read and the acquire: read again
        }
        return Optional.empty();
    }

    /**
     * A named version with a reference held for the caller; loaded on demand (then kept among the
     * loaded versions) if it is in the store but not in memory. A failed version answers with its reason.
     */
    public LoadedModel acquire(String model, int version) {
        Optional<LoadedModel> inMemory = memory.acquireLoaded(model, version);
        if (inMemory.isPresent()) {
            return inMemory.get();   // the common case: no look at the store
        }
        ModelVersions versions = requireKnown(model, version);
        Optional<String> failure = versions.failure(version);
        if (failure.isPresent()) {
            throw notLoadable(model, version, failure.get(), null);
        }
        LoadedModel loaded;
        try {
            loaded = memory.acquire(model, version);
        } catch (RuntimeException e) {
            throw notLoadable(model, version, e.getMessage(), e);
        }
        versions.evict();   // after the acquire: a version loaded for this request is not freed under it
        return loaded;
    }

    private static VersionUnavailableException notLoadable(String model, int version, String reason, Throwable cause) {
        return new VersionUnavailableException(VersionUnavailableException.Reason.NOT_LOADABLE,
                model + " version " + version + " cannot be loaded: " + reason, cause);
    }

    /** The model and version as the store lists them now; the version is discovered if it was not known. */
    private ModelVersions requireKnown(String model, int version) {
        if (!store.models().contains(model)) {
            throw new VersionUnavailableException(VersionUnavailableException.Reason.UNKNOWN,
                    "no model '" + model + "' in the store; GET /api/models lists those that serve");
        }
        List<Integer> stored = store.versions(model);
        if (!stored.contains(version)) {
            throw new VersionUnavailableException(VersionUnavailableException.Reason.UNKNOWN,
                    model + " has no version " + version + "; stored versions: " + stored);
        }
        ModelVersions versions = versions(model);
        versions.listedOne(version);
        return versions;
    }

    /** Serves {@code version} until {@link #unpin}: announced versions no longer swap in. */
    public ModelStatus pin(String model, int version) {
        ModelVersions versions = versions(model);
        boolean pinned = false;
        while (!pinned) {
            LoadedModel target = acquire(model, version);
            try {
                pinned = versions.pin(version);   // false if unloaded between the load and now: load it again
            } finally {
                target.release();
            }
        }
        LOG.infof("%s pinned to version %d", model, version);
        return status(model).orElseThrow();
    }

    /** Ends a pin: the policy decides again, from the pinned version, as for an announcement. */
    public ModelStatus unpin(String model) {
        ModelVersions versions = models.get(model);
        if (versions == null || !store.models().contains(model)) {
            throw new VersionUnavailableException(VersionUnavailableException.Reason.UNKNOWN, "no model '" + model + "' in the store");
        }
        versions.unpin();
        CompletableFuture.runAsync(() -> reconcile(versions), decisions).join();
        LOG.infof("%s unpinned: version %s serves", model, versions.servingVersion());
        return status(model).orElseThrow();
    }

    public List<ModelStatus> status() {
        return models.keySet().stream().sorted().map(this::status).flatMap(Optional::stream).toList();
    }

    public Optional<ModelStatus> status(String model) {
        return Optional.ofNullable(models.get(model))
                .map(versions -> versions.status(settings.forModel(model).promotion().jsonName()));
    }

    /** Models with a serving version. */
    public List<String> servingModels() {
        return models.values().stream().filter(v -> v.serving() != null).map(v -> v.model).sorted().toList();
    }

    void shutdown(@Observes ShutdownEvent event) {
        decisions.shutdownNow();
        retries.shutdownNow();
        models.values().forEach(ModelVersions::stopServing);
        memory.releaseAll();
    }
}
