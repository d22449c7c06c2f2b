package dev.graft.inference.versions;

import dev.graft.shared.events.ModelVersionEvent;
import dev.graft.shared.json.Json;
import dev.graft.shared.store.ModelStore;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.concurrent.CompletableFuture;

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
    private volatile CompletableFuture<Void> startupScan = new CompletableFuture<>();

    public ModelVersionSource(ModelStore store, ModelManager manager) {
        this.store = store;
        this.manager = manager;
    }

    public void scanStore(@Observes StartupEvent event) {
        List<String> models = store.models();
        startupScan = CompletableFuture.allOf(models.stream().map(manager::offerNewest).toArray(CompletableFuture[]::new));
        LOG.infof("model store %s: %d models found", store.root(), models.size());
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
