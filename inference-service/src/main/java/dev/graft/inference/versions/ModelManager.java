package dev.graft.inference.versions;

import dev.graft.contract.events.ShadowComparison;
import dev.graft.inference.config.ServingSettings;
import dev.graft.inference.metrics.InferenceMetrics;
import dev.graft.store.ModelStore;
import dev.graft.store.ModelStoreException;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
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
 * Keeps each model as its {@link ServingPolicy} wants it. Versions arrive from events and store scans;
 * after each change the manager asks the policy for the next action (retry, note a held-back version,
 * retire, read a manifest, load, put in or out of shadow, swap), performs it and asks again until there is none, one model
 * change at a time. Each version's state is its {@link VersionHarness}'s, each model's versions are
 * {@link ModelVersions}', memory (loading once, least recently used, reference counts) is
 * {@link LoadedVersions}', and what a failed load means is {@link LoadFailure}'s.
 */
@ApplicationScoped
public class ModelManager {
    private static final Logger LOG = Logger.getLogger(ModelManager.class);
    /**
     * Actions performed per change before giving up: each version is retried, noted, retired, inspected, loaded,
     * put in and out of shadow and swapped in at most once per change, so versions x 8 is ample.
     */
    private static final int MAX_ACTIONS_PER_VERSION = 8;

    private final ModelStore store;
    private final ModelLoader loader;
    private final ServingSettings settings;
    private final InferenceMetrics metrics;
    private final Tracer tracer;
    private final ServingPolicy policy = new ServingPolicy();
    private final LoadedVersions memory = new LoadedVersions();
    private final Map<String, ModelVersions> models = new ConcurrentHashMap<>();
    /** The loop's latest comparison of each model's versions in shadow with the serving one. */
    private final Map<String, ShadowComparison> comparisons = new ConcurrentHashMap<>();
    /** Actions are performed one at a time: loads are rare and each takes the whole CPU for a moment. */
    private final ExecutorService decisions = Executors.newSingleThreadExecutor(r -> daemon(r, "graft-model-loader"));
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(
            r -> daemon(r, "graft-load-retries"));

    public ModelManager(ModelStore store, ModelLoader loader, ServingSettings settings, InferenceMetrics metrics, Tracer tracer) {
        this.store = store;
        this.loader = loader;
        this.settings = settings;
        this.metrics = metrics;
        this.tracer = tracer;
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
     * and most of those events name versions the first scan already found. The load it causes is a span
     * of the event's trace (the training's).
     */
    public CompletableFuture<Void> offer(String model, int version) {
        return CompletableFuture.runAsync(Context.current().wrap(() -> {
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
            reconcile(versions, Instant.MIN);
        }), decisions);
    }

    /** The store's listing of one model (a scan). Completes when the policy is satisfied. */
    public CompletableFuture<Void> sync(String model, List<Integer> stored) {
        return CompletableFuture.runAsync(() -> {
            ModelVersions versions = versions(model);
            versions.listed(stored);
            reconcile(versions, Instant.MIN);
        }, decisions);
    }

    /**
     * The loop's latest comparison of a model's versions in shadow (live evidence for the gate). Completes
     * when the policy has acted on it; a model not known here keeps it for when it is.
     */
    public CompletableFuture<Void> compared(ShadowComparison comparison) {
        comparisons.put(comparison.model(), comparison);
        ModelVersions versions = models.get(comparison.model());
        return versions == null ? CompletableFuture.completedFuture(null)
                : CompletableFuture.runAsync(() -> reconcile(versions, Instant.MIN), decisions);
    }

    /** Whether this service has heard of the model, whether or not it serves. */
    public boolean knows(String model) {
        return models.containsKey(model);
    }

    /** Models this service has heard of, whether or not they serve. */
    public Set<String> knownModels() {
        return Set.copyOf(models.keySet());
    }

    /**
     * Asks the policy for the next action and performs it, until there is none (runs on the decisions
     * thread). {@code notBefore}: a planned attempt's time, taken as passed even if the wall clock lags the
     * timer that woke this, so that the attempt is not skipped.
     */
    private void reconcile(ModelVersions versions, Instant notBefore) {
        ServingSettings.ModelSettings modelSettings = settings.forModel(versions.model);
        int steps = MAX_ACTIONS_PER_VERSION * (versions.size() + 1);
        for (int step = 0; step < steps; step++) {
            Instant now = Instant.now();
            Optional<ServingAction> action = policy.next(versions.view(modelSettings, comparisons.get(versions.model)),
                    now.isBefore(notBefore) ? notBefore : now);
            if (action.isEmpty()) {
                return;
            }
            perform(versions, action.get());
        }
        LOG.warnf("%s: the serving policy did not settle after %d steps; it is asked again on the next change",
                versions.model, steps);
    }

    private void perform(ModelVersions versions, ServingAction action) {
        int version = action.version();
        if (action instanceof ServingAction.Retry) {
            versions.attemptDue(version);
        } else if (action instanceof ServingAction.HoldBack held) {
            versions.holdBack(version, held.reason());
        } else if (action instanceof ServingAction.Retire) {
            versions.retire(version);
        } else if (action instanceof ServingAction.Serve) {
            versions.serve(version);
        } else if (action instanceof ServingAction.Shadow) {
            versions.shadow(version);
        } else if (action instanceof ServingAction.Unshadow) {
            versions.unshadow(version);
        } else if (action instanceof ServingAction.Inspect) {
            inspect(versions, version);
        } else if (action instanceof ServingAction.Load) {
            try {
                acquire(versions, version).release();
            } catch (RuntimeException e) {
                // recorded as failed: the policy picks another version or waits
            }
        } else {
            // Java 17 has no exhaustive switch over a sealed type: a new action must be added here
            throw new IllegalStateException("no way to perform " + action);
        }
    }

    /** Reads a candidate's manifest for the promotion rule; a failure fails the version as a load would. */
    private void inspect(ModelVersions versions, int version) {
        try {
            versions.manifestRead(version, store.manifest(versions.model, version));
        } catch (RuntimeException e) {
            failed(versions, version, e);
        }
    }

    /** The version with a reference held for the caller, loaded first if it is not in memory. */
    private LoadedModel acquire(ModelVersions versions, int version) {
        while (true) {
            LoadedVersions.Lookup lookup = memory.acquire(versions.model, version);
            if (lookup instanceof LoadedVersions.Held held) {
                return held.model();
            }
            load(versions, version, (LoadedVersions.Turn) lookup);
        }
    }

    /** This caller's turn to load the version: its state follows the load; callers waiting for it are told. */
    private void load(ModelVersions versions, int version, LoadedVersions.Turn turn) {
        try {
            versions.startLoading(version);
            versions.loaded(timedLoad(versions, version));
            memory.done(turn);
        } catch (RuntimeException | Error e) {
            // an Error too (native memory running out while a network is restored): callers waiting must not hang
            memory.failed(turn, e);
            throw e;
        }
    }

    private LoadedModel timedLoad(ModelVersions versions, int version) {
        long start = System.nanoTime();
        Span span = tracer.spanBuilder("load " + versions.model + " " + version).startSpan();
        LoadedModel loaded;
        try (Scope scope = span.makeCurrent()) {
            loaded = loader.load(versions.model, version);
        } catch (RuntimeException | Error e) {
            span.recordException(e);
            span.setStatus(StatusCode.ERROR);
            span.end();
            metrics.load(versions.model, version, "failed", System.nanoTime() - start);
            failed(versions, version, e instanceof RuntimeException r ? r : new IllegalStateException(e.toString(), e));
            throw e;
        }
        span.end();
        metrics.load(versions.model, version, "succeeded", System.nanoTime() - start);
        return loaded;
    }

    /** A load (or manifest read) failed: tried again later if the reason is passing and attempts remain. */
    private void failed(ModelVersions versions, int version, RuntimeException cause) {
        ServingSettings.LoadRetries retryPolicy = settings.loadRetries();
        LoadFailure failure = LoadFailure.of(cause, versions.failedAttempts(version) + 1, retryPolicy);
        Duration pause = failure.retryAfter();
        if (pause == null) {
            versions.failed(version, failure.reason(), null, failure.ofStoredBytes());
            LOG.errorf("%s version %d cannot serve: %s", versions.model, version, failure.reason());
            return;
        }
        Instant next = Instant.now().plus(pause);
        versions.failed(version, failure.reason(), next, false);
        retries.schedule(() -> decisions.execute(() -> reconcile(versions, next)), pause.toMillis(),
                TimeUnit.MILLISECONDS);
        LOG.warnf("%s version %d failed to load (attempt %d of %d), trying again in %d ms: %s", versions.model,
                version, failure.attempt(), retryPolicy.maxAttempts(), pause.toMillis(), cause.getMessage());
    }

    /** The serving version with a reference held for the caller, who must release it; empty if none serves. */
    public Optional<LoadedModel> acquire(String model) {
        return acquireCurrent(model, ModelVersions::serving);
    }

    /** The version in shadow with a reference held for the caller, who must release it; empty if none is in shadow. */
    public Optional<LoadedModel> acquireShadow(String model) {
        return acquireCurrent(model, ModelVersions::shadow);
    }

    /** Whether a model has a version in shadow now (no reference taken). */
    public boolean hasShadow(String model) {
        ModelVersions versions = models.get(model);
        return versions != null && versions.shadow() != null;
    }

    /** The version a model's field names now, with a reference held; read again if it was swapped out meanwhile. */
    private Optional<LoadedModel> acquireCurrent(String model, java.util.function.Function<ModelVersions, LoadedModel> which) {
        ModelVersions versions = models.get(model);
        while (versions != null) {
            LoadedModel current = which.apply(versions);
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
            loaded = acquire(versions, version);
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
        // a version in shadow beside the old one leaves it: nothing is judged under a pin
        CompletableFuture.runAsync(() -> reconcile(versions, Instant.MIN), decisions).join();
        return status(model).orElseThrow();
    }

    /** Ends a pin: the policy decides again, from the pinned version, as for an announcement. */
    public ModelStatus unpin(String model) {
        ModelVersions versions = models.get(model);
        if (versions == null || !store.models().contains(model)) {
            throw new VersionUnavailableException(VersionUnavailableException.Reason.UNKNOWN, "no model '" + model + "' in the store");
        }
        versions.unpin();
        CompletableFuture.runAsync(() -> reconcile(versions, Instant.MIN), decisions).join();
        LOG.infof("%s unpinned: version %s serves", model, versions.servingVersion());
        return status(model).orElseThrow();
    }

    public List<ModelStatus> status() {
        return models.keySet().stream().sorted().map(this::status).flatMap(Optional::stream).toList();
    }

    public Optional<ModelStatus> status(String model) {
        return Optional.ofNullable(models.get(model))
                .map(versions -> versions.status(settings.forModel(model).promotion().jsonName(), comparisons.get(model)));
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
