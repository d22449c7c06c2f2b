package dev.graft.inference.versions;

import dev.graft.inference.metrics.InferenceMetrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The versions in memory. However many callers ask for one version at once, it loads once; each
 * model's versions are kept in access order so that the least recently used is unloaded first; the
 * map holds one reference to each, and requests hold their own, so an unloaded version frees its
 * memory after its last request. The listener hears of every load and of every version freed.
 */
final class LoadedVersions {

    interface Listener {
        void loading(String model, int version);

        void loaded(LoadedModel loaded);

        void failed(String model, int version, RuntimeException cause);

        /** The last reference to this instance was returned. */
        void freed(String model, int version);
    }

    private final ModelLoader loader;
    private final InferenceMetrics metrics;
    private final Listener listener;
    /** By model, in access order; guarded by this. */
    private final Map<String, LinkedHashMap<Integer, LoadedModel>> byModel = new HashMap<>();
    private final Map<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();

    LoadedVersions(ModelLoader loader, InferenceMetrics metrics, Listener listener) {
        this.loader = loader;
        this.metrics = metrics;
        this.listener = listener;
    }

    private LinkedHashMap<Integer, LoadedModel> of(String model) {
        return byModel.computeIfAbsent(model, m -> new LinkedHashMap<>(8, 0.75f, true));
    }

    /** The version with a reference held for the caller, if it is in memory; counts as a use. */
    synchronized Optional<LoadedModel> acquireLoaded(String model, int version) {
        LoadedModel loaded = of(model).get(version);
        return loaded != null && loaded.tryAcquire() ? Optional.of(loaded) : Optional.empty();
    }

    /** The version as held by this map (no reference taken for the caller), if it is in memory. */
    synchronized Optional<LoadedModel> peek(String model, int version) {
        return Optional.ofNullable(of(model).get(version));
    }

    synchronized List<Integer> versions(String model) {
        return of(model).keySet().stream().sorted().toList();
    }

    /**
     * The version with a reference held for the caller, loading it if it is not in memory; a failed
     * load is reported to the listener and thrown to every caller that waited for it.
     */
    LoadedModel acquire(String model, int version) {
        String key = model + "@" + version;
        while (true) {
            Optional<LoadedModel> existing = acquireLoaded(model, version);
            if (existing.isPresent()) {
                return existing.get();
            }
            CompletableFuture<Void> mine = new CompletableFuture<>();
            CompletableFuture<Void> running = inFlight.putIfAbsent(key, mine);
            if (running != null) {
                try {
                    running.join();
                } catch (CompletionException e) {
                    throw (RuntimeException) e.getCause();
                }
                continue;   // loaded by another caller: take a reference above
            }
            try {
                LoadedModel loaded = load(model, version);
                mine.complete(null);
                if (loaded != null) {
                    return loaded;
                }
            } catch (RuntimeException e) {
                mine.completeExceptionally(e);
                throw e;
            } finally {
                inFlight.remove(key, mine);
            }
        }
    }

    /** Loads and keeps the version; null when it was unloaded again before the caller could take it. */
    private LoadedModel load(String model, int version) {
        listener.loading(model, version);
        long start = System.nanoTime();
        LoadedModel loaded;
        try {
            loaded = loader.load(model, version);
        } catch (RuntimeException e) {
            metrics.load(model, version, "failed", System.nanoTime() - start);
            listener.failed(model, version, e);
            throw e;
        }
        metrics.load(model, version, "succeeded", System.nanoTime() - start);
        loaded.whenFreed(() -> listener.freed(model, version));
        synchronized (this) {
            of(model).put(version, loaded);
        }
        listener.loaded(loaded);
        synchronized (this) {
            return loaded.tryAcquire() ? loaded : null;
        }
    }

    /**
     * Takes the least recently used versions out beyond {@code keep}, never those in {@code protect},
     * and returns them with the map's reference still held: the caller marks them draining, then
     * releases them.
     */
    synchronized List<LoadedModel> evict(String model, int keep, Set<Integer> protect) {
        List<LoadedModel> evicted = new ArrayList<>();
        var it = of(model).entrySet().iterator();
        int excess = of(model).size() - keep;
        while (excess > 0 && it.hasNext()) {
            var entry = it.next();
            if (!protect.contains(entry.getKey())) {
                it.remove();
                evicted.add(entry.getValue());
                excess--;
            }
        }
        return evicted;
    }

    /** Takes one version out, its map reference still held for the caller to release; empty if not in memory. */
    synchronized Optional<LoadedModel> remove(String model, int version) {
        return Optional.ofNullable(of(model).remove(version));
    }

    /** Returns every map reference, at shutdown. */
    void releaseAll() {
        List<LoadedModel> all = new ArrayList<>();
        synchronized (this) {
            byModel.values().forEach(versions -> all.addAll(versions.values()));
            byModel.clear();
        }
        all.forEach(LoadedModel::releaseAtShutdown);   // outside the lock: the listener takes the model's lock
    }
}
