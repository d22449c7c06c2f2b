package dev.graft.inference.versions;

import dev.graft.shared.events.ModelVersionEvent;
import dev.graft.shared.json.Json;
import dev.graft.shared.store.ModelStore;
import dev.graft.shared.store.ModelStoreException;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Learns of versions: once from the store at start-up (the newest usable version of every model),
 * then from every model-version event. Each replica consumes with a group of its own, so every
 * replica sees every event; the manager ignores versions that are not newer.
 */
@ApplicationScoped
public class ModelVersionSource {
    public static final String CHANNEL = "model-versions";
    private static final Logger LOG = Logger.getLogger(ModelVersionSource.class);

    private final ModelStore store;
    private final ModelManager manager;
    static final int RESCAN_SECONDS = 10;
    private final CompletableFuture<Void> startupScan = new CompletableFuture<>();

    public ModelVersionSource(ModelStore store, ModelManager manager) {
        this.store = store;
        this.manager = manager;
    }

    /**
     * Offers every stored model's newest version. A store that cannot be read (unreachable, missing
     * bucket, refused credentials) is named in the log and tried again every
     * {@value #RESCAN_SECONDS} s; until it reads, the service is not ready.
     */
    public void scanStore(@Observes StartupEvent event) {
        scan();
    }

    private void scan() {
        List<String> models;
        try {
            models = store.models();
        } catch (ModelStoreException e) {
            LOG.errorf("cannot read the model store %s: %s; trying again in %d s", store.location(), e.getMessage(),
                    RESCAN_SECONDS);
            CompletableFuture.delayedExecutor(RESCAN_SECONDS, TimeUnit.SECONDS).execute(this::scan);
            return;
        }
        CompletableFuture.allOf(models.stream().map(manager::offerNewest).toArray(CompletableFuture[]::new))
                .whenComplete((done, failed) -> startupScan.complete(null));
        LOG.infof("model store %s: %d models found", store.location(), models.size());
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
