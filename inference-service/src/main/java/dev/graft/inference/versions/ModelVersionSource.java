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

/**
 * Learns of versions: once from the store at start-up (the newest of every model), then from every
 * model-version event. Each replica consumes with a group of its own, so every replica sees every
 * event; the manager ignores versions that are not newer.
 */
@ApplicationScoped
public class ModelVersionSource {
    public static final String CHANNEL = "model-versions";
    private static final Logger LOG = Logger.getLogger(ModelVersionSource.class);

    private final ModelStore store;
    private final ModelManager manager;

    public ModelVersionSource(ModelStore store, ModelManager manager) {
        this.store = store;
        this.manager = manager;
    }

    void scanStore(@Observes StartupEvent event) {
        List<String> models = store.models();
        for (String model : models) {
            store.latestVersion(model).ifPresent(version -> manager.offer(model, version));
        }
        LOG.infof("model store %s: %d models found", store.root(), models.size());
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
