package dev.graft.inference.versions;

import dev.graft.inference.predict.InferenceMetrics;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Decides which version of each model serves. New versions load in the background; the serving one
 * keeps answering until its successor is loaded, verified and warmed, then the swap is a single
 * atomic map update and the old version is released after its in-flight requests.
 */
@ApplicationScoped
public class ModelManager {
    private static final Logger LOG = Logger.getLogger(ModelManager.class);

    private final ModelLoader loader;
    private final InferenceMetrics metrics;
    private final Map<String, LoadedModel> serving = new ConcurrentHashMap<>();
    private final Set<String> loading = ConcurrentHashMap.newKeySet();
    /** One loader thread: loads are rare and each takes the whole CPU for a moment. */
    private final ExecutorService loads = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "graft-model-loader");
        thread.setDaemon(true);
        return thread;
    });

    public ModelManager(ModelLoader loader, InferenceMetrics metrics) {
        this.loader = loader;
        this.metrics = metrics;
    }

    /** Loads {@code version} in the background unless it is not newer than what serves or is loading. */
    public Optional<Future<?>> offer(String model, int version) {
        LoadedModel current = serving.get(model);
        if (current != null && current.version() >= version) {
            return Optional.empty();
        }
        String key = model + "@" + version;
        if (!loading.add(key)) {
            return Optional.empty();
        }
        return Optional.of(loads.submit(() -> {
            long start = System.nanoTime();
            try {
                swapIn(loader.load(model, version));
                metrics.load(model, "succeeded", System.nanoTime() - start);
            } catch (RuntimeException e) {
                metrics.load(model, "failed", System.nanoTime() - start);
                LOG.errorf("%s version %d was not loaded and does not serve: %s", model, version, e.getMessage());
            } finally {
                loading.remove(key);
            }
        }));
    }

    private void swapIn(LoadedModel candidate) {
        LoadedModel[] replaced = new LoadedModel[1];
        LoadedModel now = serving.compute(candidate.model(), (model, old) -> {
            if (old != null && old.version() >= candidate.version()) {
                return old;
            }
            replaced[0] = old;
            return candidate;
        });
        if (now != candidate) {
            candidate.release();
            return;
        }
        metrics.serving(candidate.model(), candidate.version());
        LOG.infof("%s version %d now serves%s", candidate.model(), candidate.version(),
                replaced[0] != null ? " (replacing version " + replaced[0].version() + ")" : "");
        if (replaced[0] != null) {
            replaced[0].release();
        }
    }

    /**
     * The serving version of {@code model} with a reference held for the caller, who must
     * {@link LoadedModel#release()} it; empty if the model does not serve.
     */
    public Optional<LoadedModel> acquire(String model) {
        while (true) {
            LoadedModel current = serving.get(model);
            if (current == null) {
                return Optional.empty();
            }
            if (current.tryAcquire()) {
                return Optional.of(current);
            }
            // swapped out and released between the lookup and the acquire: look again
        }
    }

    /** Serving versions, sorted by model name. */
    public List<LoadedModel> serving() {
        return serving.values().stream().sorted((a, b) -> a.model().compareTo(b.model())).toList();
    }

    void shutdown(@Observes ShutdownEvent event) {
        loads.shutdownNow();
        serving.values().forEach(LoadedModel::release);
        serving.clear();
    }
}
