package dev.graft.inference.versions;

import dev.graft.inference.config.ServingSettings;
import dev.graft.contract.events.ModelVersionEvent;
import dev.graft.contract.json.Json;
import dev.graft.store.ModelStore;
import dev.graft.store.ModelStoreException;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Learns of versions two ways: every model-version event, and a listing of the store at start-up and
 * then every {@code graft.serving.rescan-interval}, so that a version whose event was lost (or that
 * was copied into the store by hand) serves after the next scan, and removed versions are retired.
 * Each replica consumes events with a group of its own, so every replica sees every event.
 */
@ApplicationScoped
public class ModelVersionSource {
    public static final String CHANNEL = "model-versions";
    private static final Logger LOG = Logger.getLogger(ModelVersionSource.class);
    /** Until the store has been read once, it is tried again at least this often. */
    static final Duration UNREADABLE_RETRY = Duration.ofSeconds(10);

    private final ModelStore store;
    private final ModelManager manager;
    private final Duration interval;
    private final CompletableFuture<Void> startupScan = new CompletableFuture<>();
    private final ScheduledExecutorService scans = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "graft-store-scan");
        thread.setDaemon(true);
        return thread;
    });

    public ModelVersionSource(ModelStore store, ModelManager manager, ServingSettings settings) {
        this.store = store;
        this.manager = manager;
        this.interval = settings.rescanInterval();
    }

    /** Scans the store now, then on the interval. */
    public void start(@Observes StartupEvent event) {
        scans.execute(this::scanAndPlanNext);
    }

    void stop(@Observes ShutdownEvent event) {
        scans.shutdownNow();
    }

    private void scanAndPlanNext() {
        Duration next = scan() ? interval : retryUnreadable();
        if (!next.isZero() && !scans.isShutdown()) {
            scans.schedule(this::scanAndPlanNext, next.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Lists every model's versions and hands them to the manager (models gone from the store with an
     * empty list). A store that cannot be read is named in the log; until it has been read once, the
     * service is not ready. Returns whether the store could be read.
     */
    boolean scan() {
        List<CompletableFuture<Void>> decided = new ArrayList<>();
        try {
            List<String> stored = store.models();
            Set<String> models = new TreeSet<>(stored);
            models.addAll(manager.knownModels());
            for (String model : models) {
                decided.add(manager.sync(model, stored.contains(model) ? store.versions(model) : List.of()));
            }
            if (!startupScan.isDone()) {
                LOG.infof("model store %s: %d models found", store.location(), stored.size());
            }
        } catch (ModelStoreException e) {
            LOG.errorf("cannot read the model store %s: %s; trying again in %d s", store.location(), e.getMessage(),
                    retryUnreadable().toSeconds());
            return false;
        }
        CompletableFuture.allOf(decided.toArray(CompletableFuture[]::new))
                .whenComplete((done, failed) -> startupScan.complete(null));
        return true;
    }

    /** An unreadable store is read again after the interval, or sooner: it may be what keeps the service unready. */
    private Duration retryUnreadable() {
        return interval.isZero() || interval.compareTo(UNREADABLE_RETRY) > 0 ? UNREADABLE_RETRY : interval;
    }

    /** Whether the versions found at start-up have all been loaded (or have failed). */
    public boolean startupScanDone() {
        return startupScan.isDone();
    }

    @Incoming(CHANNEL)
    public void onVersion(String json) {
        try {
            ModelVersionEvent event = Json.read(json, ModelVersionEvent.class);
            manager.offer(event.model(), event.version());
        } catch (RuntimeException e) {
            LOG.warnf("ignored a model-version event that cannot be read: %s", e.getMessage());
        }
    }
}
