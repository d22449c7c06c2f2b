package dev.graft.inference.versions;

import dev.graft.inference.config.ServingSettings;
import dev.graft.inference.predict.InferenceMetrics;
import dev.graft.shared.manifest.ModelManifest;
import dev.graft.shared.manifest.Promotion;
import dev.graft.shared.store.ModelStore;
import dev.graft.shared.store.ModelStoreException;
import dev.graft.shared.store.StorageUnavailableException;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Decides which version of each model serves. Announced versions load in the background; the serving
 * one keeps answering until its successor is loaded, verified and warmed, and the swap is one field
 * write under the model's lock. Under the {@code gated} policy a version serves only if it beats the
 * serving one (or reaches its request's threshold). A pinned version serves until unpinned. The
 * newest {@code keepVersions} used versions stay loaded; evicted ones are released after their
 * in-flight requests (reference counts), so memory does not grow with swaps.
 */
@ApplicationScoped
public class ModelManager {
    private static final Logger LOG = Logger.getLogger(ModelManager.class);

    private final ModelStore store;
    private final ModelLoader loader;
    private final ServingSettings settings;
    private final InferenceMetrics metrics;
    private final Map<String, ModelState> models = new ConcurrentHashMap<>();
    /** Loads under way, so that concurrent asks for one version load it once. */
    private final Map<String, CompletableFuture<Void>> loading = new ConcurrentHashMap<>();
    /** Announced versions load one at a time: loads are rare and each takes the whole CPU for a moment. */
    private final ExecutorService announced = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "graft-model-loader");
        thread.setDaemon(true);
        return thread;
    });
    /** Loads that found the store unreadable, tried again later: attempts so far, by model@version. */
    static final int LOAD_ATTEMPTS = 5;
    private final Map<String, Integer> loadAttempts = new ConcurrentHashMap<>();
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "graft-load-retries");
        thread.setDaemon(true);
        return thread;
    });

    /** Everything about one model; fields other than {@code serving} are read and written under its lock. */
    private static final class ModelState {
        final String model;
        volatile LoadedModel serving;
        Integer pinned;
        int newestOffered;
        /** In access order, so the least recently used is evicted first; holds the manager's references. */
        final LinkedHashMap<Integer, LoadedModel> loaded = new LinkedHashMap<>(8, 0.75f, true);
        final TreeMap<Integer, String> heldBack = new TreeMap<>();
        final TreeMap<Integer, String> failed = new TreeMap<>();

        ModelState(String model) {
            this.model = model;
        }
    }

    public ModelManager(ModelStore store, ModelLoader loader, ServingSettings settings, InferenceMetrics metrics) {
        this.store = store;
        this.loader = loader;
        this.settings = settings;
        this.metrics = metrics;
    }

    private ModelState state(String model) {
        return models.computeIfAbsent(model, ModelState::new);
    }

    /**
     * An announced version: loaded in the background and served if it is the newest, the model is not
     * pinned and the promotion policy lets it. Completes when decided.
     */
    public CompletableFuture<Void> offer(String model, int version) {
        return CompletableFuture.runAsync(() -> consider(model, version, false), announced);
    }

    /**
     * At start-up: serves the newest stored version that passes the policy and loads, trying older
     * ones when a newer one is held back or broken, so one bad artifact does not leave a model unserved.
     */
    public CompletableFuture<Void> offerNewest(String model) {
        return CompletableFuture.runAsync(() -> {
            List<Integer> versions = new ArrayList<>(store.versions(model));
            versions.sort(Comparator.reverseOrder());
            for (int version : versions) {
                consider(model, version, true);
                if (state(model).serving != null) {
                    return;
                }
            }
        }, announced);
    }

    /** @param startup older versions are considered too (after newer ones failed or were held back) */
    private void consider(String model, int version, boolean startup) {
        ModelState state = state(model);
        synchronized (state) {
            // a version that failed is considered again when announced again: it may have been announced before
            // it was in this store (an event from another store's run, kept in the topic)
            if (!startup && version <= state.newestOffered && !state.failed.containsKey(version)) {
                return;
            }
            state.newestOffered = Math.max(state.newestOffered, version);
            if (state.pinned != null) {
                LOG.infof("%s version %d is available; version %d stays pinned", model, version, state.pinned);
                return;
            }
        }
        if (settings.forModel(model).promotion() == ServingSettings.Policy.GATED) {
            Optional<String> reason;
            try {
                LoadedModel serving = state.serving;
                reason = Promotion.heldBackReason(store.manifest(model, version), serving != null ? serving.manifest() : null);
            } catch (ModelStoreException e) {
                failed(state, version, e);
                if (e instanceof StorageUnavailableException) {
                    retryLater(model, version);
                }
                return;
            }
            if (reason.isPresent()) {
                synchronized (state) {
                    state.heldBack.put(version, reason.get());
                }
                metrics.heldBack(model, version);
                LOG.infof("%s version %d is held back (gated): %s", model, version, reason.get());
                return;
            }
        }
        LoadedModel candidate;
        try {
            candidate = loadAndAcquire(state, version);
        } catch (VersionUnavailableException e) {
            if (e.passing()) {
                retryLater(model, version);
            }
            return;   // logged and recorded as failed
        }
        loadAttempts.remove(model + "@" + version);
        try {
            promote(state, candidate, true);
        } finally {
            candidate.release();
        }
    }

    /**
     * The loaded version with a reference held for the caller, loading it first if it is not in
     * memory. However many ask at once, a version loads once; a failure is recorded and thrown.
     */
    private LoadedModel loadAndAcquire(ModelState state, int version) {
        String key = state.model + "@" + version;
        while (true) {
            synchronized (state) {
                LoadedModel existing = state.loaded.get(version);
                if (existing != null && existing.tryAcquire()) {
                    return existing;
                }
            }
            CompletableFuture<Void> mine = new CompletableFuture<>();
            CompletableFuture<Void> running = loading.putIfAbsent(key, mine);
            if (running != null) {
                try {
                    running.join();
                } catch (CompletionException e) {
                    throw (RuntimeException) e.getCause();
                }
                continue;   // loaded by another caller: take a reference above
            }
            long start = System.nanoTime();
            try {
                LoadedModel loaded = loader.load(state.model, version);
                metrics.load(state.model, version, "succeeded", System.nanoTime() - start);
                LoadedModel acquired = null;
                synchronized (state) {
                    state.failed.remove(version);
                    LoadedModel existing = state.loaded.get(version);
                    if (existing != null) {
                        loaded.release();
                        loaded = existing;
                    } else {
                        state.loaded.put(version, loaded);
                    }
                    if (loaded.tryAcquire()) {
                        acquired = loaded;
                    }
                }
                mine.complete(null);
                if (acquired != null) {
                    return acquired;
                }
            } catch (RuntimeException e) {
                metrics.load(state.model, version, "failed", System.nanoTime() - start);
                VersionUnavailableException failure = failed(state, version, e);
                mine.completeExceptionally(failure);
                throw failure;
            } finally {
                loading.remove(key, mine);
            }
        }
    }

    private VersionUnavailableException failed(ModelState state, int version, RuntimeException cause) {
        String reason = cause.getMessage();
        synchronized (state) {
            state.failed.put(version, reason);
        }
        LOG.errorf("%s version %d cannot serve: %s", state.model, version, reason);
        return new VersionUnavailableException(VersionUnavailableException.Reason.NOT_LOADABLE,
                state.model + " version " + version + " cannot be loaded: " + reason, cause);
    }

    /**
     * A load that failed because the store could not be read is tried again, after 2, 4, 8, ... s
     * (at most 30 s), {@value #LOAD_ATTEMPTS} times in all; the serving version serves meanwhile.
     */
    private void retryLater(String model, int version) {
        String key = model + "@" + version;
        int attempt = loadAttempts.merge(key, 1, Integer::sum);
        if (attempt >= LOAD_ATTEMPTS) {
            LOG.errorf("%s version %d: the store stayed unreadable over %d attempts; it is loaded again when announced",
                    model, version, attempt);
            loadAttempts.remove(key);
            return;
        }
        long delaySeconds = Math.min(30, 1L << attempt);
        LOG.warnf("%s version %d: loading again in %d s (attempt %d of %d)", model, version, delaySeconds,
                attempt + 1, LOAD_ATTEMPTS);
        retries.schedule(() -> announced.execute(() -> consider(model, version, true)), delaySeconds, TimeUnit.SECONDS);
    }

    /**
     * Makes a loaded version the serving one. An automatic promotion (an announced version) never
     * replaces a pinned or a newer serving version; the old one stays loaded for rollback and for
     * requests that name it, until evicted. The caller holds a reference to {@code candidate}.
     */
    private void promote(ModelState state, LoadedModel candidate, boolean automatic) {
        LoadedModel replaced;
        LoadedModel promoted;
        synchronized (state) {
            promoted = state.loaded.get(candidate.version());
            if (promoted == null && candidate.tryAcquire()) {
                // evicted between its load and now: the manager takes a reference again (the caller holds one)
                state.loaded.put(candidate.version(), candidate);
                promoted = candidate;
            }
            replaced = state.serving;
            boolean swap = !automatic
                    || state.pinned == null && (replaced == null || replaced.version() < promoted.version());
            if (swap && replaced != promoted) {
                state.serving = promoted;
                metrics.serving(state.model, promoted.version());
            } else {
                promoted = null;
            }
            evict(state);
        }
        if (promoted != null) {
            LOG.infof("%s version %d now serves%s", state.model, promoted.version(),
                    replaced != null ? ", replacing version " + replaced.version() : "");
        }
    }

    /** Keeps at most keepVersions loaded: the least recently used go first, never the serving one. */
    private void evict(ModelState state) {
        var it = state.loaded.entrySet().iterator();
        int excess = state.loaded.size() - settings.keepVersions();
        while (excess > 0 && it.hasNext()) {
            LoadedModel candidate = it.next().getValue();
            if (candidate != state.serving) {
                it.remove();
                candidate.release();
                excess--;
            }
        }
    }

    /** The serving version with a reference held for the caller, who must release it; empty if none serves. */
    public Optional<LoadedModel> acquire(String model) {
        ModelState state = models.get(model);
        while (state != null) {
            LoadedModel current = state.serving;
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
     * loaded versions) if it is in the store but not in memory.
     */
    public LoadedModel acquire(String model, int version) {
        ModelState known = models.get(model);
        if (known != null) {
            synchronized (known) {
                LoadedModel loaded = known.loaded.get(version);
                if (loaded != null && loaded.tryAcquire()) {
                    return loaded;   // the common case: no look at the store
                }
            }
        }
        ModelState state = requireKnown(model, version);
        LoadedModel loaded = loadAndAcquire(state, version);
        synchronized (state) {
            evict(state);   // after the acquire: a version loaded for this request is not freed under it
        }
        return loaded;
    }

    private ModelState requireKnown(String model, int version) {
        if (!store.models().contains(model)) {
            throw new VersionUnavailableException(VersionUnavailableException.Reason.UNKNOWN,
                    "no model '" + model + "' in the store; GET /api/models lists those that serve");
        }
        List<Integer> versions = store.versions(model);
        if (!versions.contains(version)) {
            throw new VersionUnavailableException(VersionUnavailableException.Reason.UNKNOWN,
                    model + " has no version " + version + "; stored versions: " + versions);
        }
        return state(model);
    }

    /** Serves {@code version} until {@link #unpin}: announced versions no longer swap in. */
    public ModelStatus pin(String model, int version) {
        LoadedModel target = acquire(model, version);
        ModelState state = state(model);
        try {
            synchronized (state) {
                state.pinned = version;
                promote(state, target, false);
            }
            LOG.infof("%s pinned to version %d", model, version);
        } finally {
            target.release();
        }
        return status(model).orElseThrow();
    }

    /** Ends a pin and serves the newest version that is neither held back nor broken. */
    public ModelStatus unpin(String model) {
        ModelState state = models.get(model);
        if (state == null || !store.models().contains(model)) {
            throw new VersionUnavailableException(VersionUnavailableException.Reason.UNKNOWN, "no model '" + model + "' in the store");
        }
        List<Integer> eligible;
        synchronized (state) {
            state.pinned = null;
            eligible = store.versions(model).stream()
                    .filter(v -> !state.heldBack.containsKey(v) && !state.failed.containsKey(v))
                    .sorted(Comparator.reverseOrder()).toList();
            state.newestOffered = Math.max(state.newestOffered, eligible.isEmpty() ? 0 : eligible.get(0));
        }
        for (int version : eligible) {
            try {
                LoadedModel target = acquire(model, version);
                try {
                    promote(state, target, false);
                } finally {
                    target.release();
                }
                LOG.infof("%s unpinned: version %d serves", model, version);
                break;
            } catch (VersionUnavailableException e) {
                // recorded as failed: the next older one
            }
        }
        return status(model).orElseThrow();
    }

    public List<ModelStatus> status() {
        return models.keySet().stream().sorted().map(this::status).flatMap(Optional::stream).toList();
    }

    public Optional<ModelStatus> status(String model) {
        ModelState state = models.get(model);
        if (state == null) {
            return Optional.empty();
        }
        synchronized (state) {
            LoadedModel serving = state.serving;
            ModelManifest m = serving != null ? serving.manifest() : null;
            return Optional.of(new ModelStatus(model, serving != null ? serving.version() : null,
                    settings.forModel(model).promotion().jsonName(), state.pinned,
                    state.loaded.keySet().stream().sorted().toList(), state.newestOffered > 0 ? state.newestOffered : null,
                    notes(state.heldBack), notes(state.failed),
                    m != null ? m.task() : null, m != null ? m.labels() : null, m != null ? m.targetNormalization() : null,
                    m != null ? m.inputShape() : null, m != null ? m.metrics() : null, m != null ? m.requestId() : null,
                    m != null ? m.createdAt() : null));
        }
    }

    private static List<ModelStatus.VersionNote> notes(TreeMap<Integer, String> reasons) {
        return reasons.entrySet().stream().map(e -> new ModelStatus.VersionNote(e.getKey(), e.getValue())).toList();
    }

    /** Models with a serving version. */
    public List<String> servingModels() {
        return models.values().stream().filter(s -> s.serving != null).map(s -> s.model).sorted().toList();
    }

    void shutdown(@Observes ShutdownEvent event) {
        announced.shutdownNow();
        for (ModelState state : models.values()) {
            synchronized (state) {
                state.loaded.values().forEach(LoadedModel::release);
                state.loaded.clear();
                state.serving = null;
            }
        }
    }
}
