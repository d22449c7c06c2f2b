package dev.graft.inference.versions;

import dev.graft.inference.config.ServingSettings;
import dev.graft.inference.metrics.InferenceMetrics;
import dev.graft.shared.manifest.ModelManifest;
import dev.graft.shared.store.ModelStore;
import dev.graft.shared.store.ModelStoreException;
import dev.graft.shared.store.StorageUnavailableException;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Carries out the {@link ServingPolicy}'s decisions. Versions arrive from events and store scans;
 * after each change the policy is asked what to do (read a manifest, load a version, swap, retire)
 * until it has nothing more to ask. The serving version keeps answering while its successor loads; the
 * swap is one field write under the model's lock. Every version moves through {@link VersionState}s;
 * a load that failed for a passing reason is tried again with a growing pause, a bounded number of
 * times. Memory (loading once, least recently used, reference counts) is {@link LoadedVersions}' job.
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
    private final Map<String, ModelState> models = new ConcurrentHashMap<>();
    /** Decisions are carried out one at a time: loads are rare and each takes the whole CPU for a moment. */
    private final ExecutorService decisions = Executors.newSingleThreadExecutor(r -> daemon(r, "graft-model-loader"));
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(
            r -> daemon(r, "graft-load-retries"));

    /** One model; fields other than {@code serving} are read and written under its lock. */
    private static final class ModelState {
        final String model;
        volatile LoadedModel serving;
        Integer pinned;
        final TreeMap<Integer, VersionRecord> versions = new TreeMap<>();

        ModelState(String model) {
            this.model = model;
        }

        Integer servingVersion() {
            LoadedModel current = serving;
            return current != null ? current.version() : null;
        }
    }

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

    private ModelState state(String model) {
        return models.computeIfAbsent(model, ModelState::new);
    }

    /**
     * An announced version (a model-version event). A version that failed is given a fresh start:
     * it may have been announced before it was in this store. Completes when the policy is satisfied.
     */
    public CompletableFuture<Void> offer(String model, int version) {
        return CompletableFuture.runAsync(() -> {
            boolean inStore = listedOrAssumed(model, version);
            ModelState state = state(model);
            synchronized (state) {
                VersionRecord record = state.versions.get(version);
                if (record == null) {
                    discover(state, version, inStore);
                } else {
                    record.inStore = inStore;
                    if (record.state() == VersionState.FAILED) {
                        record.failedAttempts = 0;
                        record.nextAttempt = null;
                        move(state, record, VersionState.DISCOVERED, null);
                    }
                }
            }
            reconcile(state);
        }, decisions);
    }

    /** Whether the store lists the version; if the store cannot be read, the event is believed and the load will tell. */
    private boolean listedOrAssumed(String model, int version) {
        try {
            return store.versions(model).contains(version);
        } catch (ModelStoreException e) {
            return true;
        }
    }

    /**
     * The store's listing of one model (a scan): versions not seen before are discovered, versions no
     * longer listed are marked so, and the policy decides. Completes when it is satisfied.
     */
    public CompletableFuture<Void> sync(String model, List<Integer> stored) {
        return CompletableFuture.runAsync(() -> {
            ModelState state = state(model);
            synchronized (state) {
                Set<Integer> listed = new HashSet<>(stored);
                for (int version : listed) {
                    VersionRecord record = state.versions.get(version);
                    if (record == null) {
                        discover(state, version, true);
                    } else if (!record.inStore) {
                        record.inStore = true;
                        record.manifest = null;   // a number freed by a removal may be reused by another version
                        if (record.state() == VersionState.RETIRED) {
                            move(state, record, VersionState.DISCOVERED, null);
                        }
                    }
                }
                for (VersionRecord record : state.versions.values()) {
                    if (record.inStore && !listed.contains(record.version)) {
                        record.inStore = false;
                        if (Integer.valueOf(record.version).equals(state.servingVersion())
                                || Integer.valueOf(record.version).equals(state.pinned)) {
                            record.reason = "removed from the store; serves until another version replaces it";
                            LOG.warnf("%s version %d was removed from the store %s but serves until another version "
                                    + "replaces it", model, record.version, store.location());
                        }
                    }
                }
            }
            reconcile(state);
        }, decisions);
    }

    /** Models this service has heard of, whether or not they serve. */
    public Set<String> knownModels() {
        return Set.copyOf(models.keySet());
    }

    private void discover(ModelState state, int version, boolean inStore) {
        state.versions.put(version, new VersionRecord(version, inStore));
        metrics.versionState(state.model, version, VersionState.DISCOVERED.jsonName());
    }

    private void move(ModelState state, VersionRecord record, VersionState next, String reason) {
        record.moveTo(next);
        record.reason = reason;
        metrics.versionState(state.model, record.version, next.jsonName());
    }

    private ServingPolicy.Model view(ModelState state) {
        return new ServingPolicy.Model(settings.forModel(state.model).promotion(), state.pinned, state.servingVersion(),
                state.versions.values().stream().map(r -> new ServingPolicy.Version(r.version, r.state(), r.inStore,
                        r.manifest)).toList());
    }

    /** Asks the policy what to do and does it, until it asks for nothing more (runs on the decisions thread). */
    private void reconcile(ModelState state) {
        int steps;
        synchronized (state) {
            steps = MAX_STEPS_PER_VERSION * (state.versions.size() + 1);
        }
        for (int step = 0; step < steps; step++) {
            ServingPolicy.Decision decision;
            synchronized (state) {
                decision = policy.decide(view(state));
                decision.heldBack().forEach((version, reason) -> holdBack(state, version, reason));
                decision.retire().forEach(version -> retire(state, version));
                if (decision.serve() != null) {
                    swapTo(state, decision.serve());
                }
                if (decision.load() == null && decision.inspect() == null) {
                    evict(state);
                    return;
                }
            }
            if (decision.inspect() != null) {
                inspect(state, decision.inspect());
            } else {
                try {
                    memory.acquire(state.model, decision.load()).release();
                } catch (RuntimeException e) {
                    // the lifecycle recorded it as failed: the policy picks another version or waits
                }
            }
        }
        LOG.warnf("%s: the serving policy did not settle after %d steps; it is asked again on the next change",
                state.model, steps);
    }

    private void holdBack(ModelState state, int version, String reason) {
        VersionRecord record = state.versions.get(version);
        if (!reason.equals(record.heldBack)) {
            record.heldBack = reason;
            metrics.heldBack(state.model, version);
            LOG.infof("%s version %d is held back (gated): %s", state.model, version, reason);
        }
    }

    /** Reads a candidate's manifest for the promotion rule; a failure fails the version as a load would. */
    private void inspect(ModelState state, int version) {
        try {
            ModelManifest manifest = store.manifest(state.model, version);
            synchronized (state) {
                state.versions.get(version).manifest = manifest;
            }
        } catch (RuntimeException e) {
            failed(state, version, e);
        }
    }

    /** The swap: requests that name no version get {@code version} from now on. */
    private void swapTo(ModelState state, int version) {
        LoadedModel next = memory.peek(state.model, version).orElse(null);
        LoadedModel previous = state.serving;
        if (next == null || next == previous) {
            return;
        }
        state.serving = next;
        VersionRecord record = state.versions.get(version);
        record.heldBack = null;
        move(state, record, VersionState.SERVING, null);
        if (previous != null) {
            move(state, state.versions.get(previous.version()), VersionState.READY, null);
        }
        metrics.serving(state.model, version);
        LOG.infof("%s version %d now serves%s", state.model, version,
                previous != null ? ", replacing version " + previous.version() : "");
    }

    /** Keeps at most keep-versions in memory: the least recently used go first, never the serving or pinned one. */
    private void evict(ModelState state) {
        Set<Integer> protect = new HashSet<>();
        if (state.serving != null) {
            protect.add(state.serving.version());
        }
        if (state.pinned != null) {
            protect.add(state.pinned);
        }
        for (LoadedModel evicted : memory.evict(state.model, settings.keepVersions(), protect)) {
            move(state, state.versions.get(evicted.version()), VersionState.DRAINING,
                    "unloaded: least recently used beyond keep-versions=" + settings.keepVersions());
            evicted.release();
        }
    }

    /** Takes a version gone from the store out of memory and out of the candidates. */
    private void retire(ModelState state, int version) {
        VersionRecord record = state.versions.get(version);
        String reason = "not in the store";
        if (record.state() == VersionState.READY) {
            Optional<LoadedModel> loaded = memory.remove(state.model, version);
            move(state, record, VersionState.DRAINING, reason);
            loaded.ifPresent(LoadedModel::release);
        } else {
            record.nextAttempt = null;
            move(state, record, VersionState.RETIRED, reason);
        }
        LOG.infof("%s version %d retired: %s", state.model, version, reason);
    }

    /** A load (or manifest read) failed: tried again later if the reason is passing and attempts remain. */
    private void failed(ModelState state, int version, RuntimeException cause) {
        ServingSettings.LoadRetries retryPolicy = settings.loadRetries();
        synchronized (state) {
            VersionRecord record = state.versions.get(version);
            record.failedAttempts++;
            boolean passing = passing(cause);
            boolean again = passing && record.failedAttempts < retryPolicy.maxAttempts();
            String reason = cause.getMessage() + (passing && !again
                    ? " (gave up after " + record.failedAttempts + " attempts; announce the version again or restart)" : "");
            move(state, record, VersionState.FAILED, reason);
            if (again) {
                Duration pause = retryPolicy.backoff(record.failedAttempts);
                Instant planned = Instant.now().plus(pause);
                record.nextAttempt = planned;
                retries.schedule(() -> decisions.execute(() -> retry(state, version, planned)),
                        pause.toMillis(), TimeUnit.MILLISECONDS);
                LOG.warnf("%s version %d failed to load (attempt %d of %d), trying again in %d ms: %s", state.model,
                        version, record.failedAttempts, retryPolicy.maxAttempts(), pause.toMillis(), reason);
            } else {
                record.nextAttempt = null;
                LOG.errorf("%s version %d cannot serve: %s", state.model, version, reason);
            }
        }
    }

    private void retry(ModelState state, int version, Instant planned) {
        synchronized (state) {
            VersionRecord record = state.versions.get(version);
            if (record.state() != VersionState.FAILED || !planned.equals(record.nextAttempt)) {
                return;   // announced again, or retired, meanwhile
            }
            record.nextAttempt = null;
            move(state, record, VersionState.DISCOVERED, null);
        }
        reconcile(state);
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
            ModelState state = state(model);
            synchronized (state) {
                if (!state.versions.containsKey(version)) {
                    discover(state, version, true);
                }
                VersionRecord record = state.versions.get(version);
                if (record.state() == VersionState.FAILED) {
                    move(state, record, VersionState.DISCOVERED, null);   // a request asked again as it failed
                }
                move(state, record, VersionState.LOADING, null);
            }
        }

        @Override
        public void loaded(LoadedModel loaded) {
            ModelState state = state(loaded.model());
            synchronized (state) {
                VersionRecord record = state.versions.get(loaded.version());
                record.manifest = loaded.manifest();
                record.failedAttempts = 0;
                move(state, record, VersionState.READY, null);
            }
        }

        @Override
        public void failed(String model, int version, RuntimeException cause) {
            ModelManager.this.failed(state(model), version, cause);
        }

        @Override
        public void freed(String model, int version) {
            ModelState state = state(model);
            synchronized (state) {
                VersionRecord record = state.versions.get(version);
                if (record != null && record.state() == VersionState.DRAINING) {
                    move(state, record, VersionState.RETIRED, record.reason);
                }
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
     * loaded versions) if it is in the store but not in memory. A failed version answers with its reason.
     */
    public LoadedModel acquire(String model, int version) {
        Optional<LoadedModel> inMemory = memory.acquireLoaded(model, version);
        if (inMemory.isPresent()) {
            return inMemory.get();   // the common case: no look at the store
        }
        ModelState state = requireKnown(model, version);
        synchronized (state) {
            VersionRecord record = state.versions.get(version);
            if (record.state() == VersionState.FAILED) {
                throw notLoadable(model, version, record.reason + (record.nextAttempt != null
                        ? "; tried again at " + record.nextAttempt : ""), null);
            }
        }
        LoadedModel loaded;
        try {
            loaded = memory.acquire(model, version);
        } catch (RuntimeException e) {
            throw notLoadable(model, version, e.getMessage(), e);
        }
        synchronized (state) {
            evict(state);   // after the acquire: a version loaded for this request is not freed under it
        }
        return loaded;
    }

    private static VersionUnavailableException notLoadable(String model, int version, String reason, Throwable cause) {
        return new VersionUnavailableException(VersionUnavailableException.Reason.NOT_LOADABLE,
                model + " version " + version + " cannot be loaded: " + reason, cause);
    }

    /** The model and version as the store lists them now; the version is discovered if it was not known. */
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
        ModelState state = state(model);
        synchronized (state) {
            VersionRecord record = state.versions.get(version);
            if (record == null) {
                discover(state, version, true);
            } else {
                record.inStore = true;
            }
        }
        return state;
    }

    /** Serves {@code version} until {@link #unpin}: announced versions no longer swap in. */
    public ModelStatus pin(String model, int version) {
        ModelState state = state(model);
        while (true) {
            LoadedModel target = acquire(model, version);
            try {
                synchronized (state) {
                    if (memory.peek(model, version).orElse(null) == target) {
                        state.pinned = version;
                        swapTo(state, version);
                        evict(state);
                        break;
                    }
                }
                // unloaded between the load and the pin: load it again
            } finally {
                target.release();
            }
        }
        LOG.infof("%s pinned to version %d", model, version);
        return status(model).orElseThrow();
    }

    /** Ends a pin: the policy decides again, from the pinned version, as for an announcement. */
    public ModelStatus unpin(String model) {
        ModelState state = models.get(model);
        if (state == null || !store.models().contains(model)) {
            throw new VersionUnavailableException(VersionUnavailableException.Reason.UNKNOWN, "no model '" + model + "' in the store");
        }
        synchronized (state) {
            state.pinned = null;
        }
        CompletableFuture.runAsync(() -> reconcile(state), decisions).join();
        LOG.infof("%s unpinned: version %s serves", model, state.servingVersion());
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
            return Optional.of(ModelStatus.of(model, state.serving != null ? state.serving.manifest() : null,
                    settings.forModel(model).promotion().jsonName(), state.pinned, memory.versions(model),
                    state.versions.values().stream().map(ModelManager::versionStatus).toList()));
        }
    }

    private static ModelStatus.VersionStatus versionStatus(VersionRecord r) {
        return new ModelStatus.VersionStatus(r.version, r.state().jsonName(), r.inStore, r.reason, r.heldBack,
                r.failedAttempts > 0 ? r.failedAttempts : null, r.nextAttempt);
    }

    /** Models with a serving version. */
    public List<String> servingModels() {
        return models.values().stream().filter(s -> s.serving != null).map(s -> s.model).sorted().toList();
    }

    void shutdown(@Observes ShutdownEvent event) {
        decisions.shutdownNow();
        retries.shutdownNow();
        for (ModelState state : models.values()) {
            state.serving = null;
        }
        memory.releaseAll();
    }
}
