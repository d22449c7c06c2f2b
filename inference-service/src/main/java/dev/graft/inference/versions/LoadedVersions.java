package dev.graft.inference.versions;

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
 * The versions in memory. However many callers ask for one version at once, one of them loads it and
 * the others wait for that load; each model's versions are kept in access order so that the least
 * recently used is unloaded first; the map holds one reference to each, and requests hold their own,
 * so an unloaded version frees its memory after its last request. It takes no lock but its own and
 * calls nobody back: callers move the versions' states from what it returns.
 */
final class LoadedVersions {

    /** What {@link #acquire} found. */
    sealed interface Lookup {
    }

    /** The version, with a reference held for the caller. */
    record Held(LoadedModel model) implements Lookup {
    }

    /**
     * Nobody loads the version: the caller loads it, {@link #keep}s it, then ends its turn with
     * {@link #done} or {@link #failed}, which wakes the callers that waited for it.
     */
    record Turn(String key, CompletableFuture<Void> loaded) implements Lookup {
    }

    /** By model, in access order; guarded by this. */
    private final Map<String, LinkedHashMap<Integer, LoadedModel>> byModel = new HashMap<>();
    private final Map<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();

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
     * The version with a reference held for the caller if it is in memory, after waiting for another
     * caller's load of it; otherwise the caller's turn to load it. A load that failed is thrown to every
     * caller that waited for it.
     */
    Lookup acquire(String model, int version) {
        String key = model + "@" + version;
        while (true) {
            Optional<LoadedModel> existing = acquireLoaded(model, version);
            if (existing.isPresent()) {
                return new Held(existing.get());
            }
            CompletableFuture<Void> mine = new CompletableFuture<>();
            CompletableFuture<Void> running = inFlight.putIfAbsent(key, mine);
            if (running == null) {
                return new Turn(key, mine);
            }
            try {
                running.join();
            } catch (CompletionException e) {
                throw (RuntimeException) e.getCause();
            }
            // loaded by another caller: take a reference above (or load it again if it was unloaded since)
        }
    }

    /** Keeps a loaded version, with the reference it was created with. */
    synchronized void keep(LoadedModel loaded) {
        of(loaded.model()).put(loaded.version(), loaded);
    }

    /** Ends a turn whose load succeeded. */
    void done(Turn turn) {
        turn.loaded().complete(null);
        inFlight.remove(turn.key(), turn.loaded());
    }

    /** Ends a turn whose load failed: the callers that waited get {@code cause}. */
    void failed(Turn turn, Throwable cause) {
        turn.loaded().completeExceptionally(cause);
        inFlight.remove(turn.key(), turn.loaded());
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
        all.forEach(LoadedModel::releaseAtShutdown);   // outside the lock: a freed version takes its model's lock
    }
}
