package dev.graft.inference.versions;

import dev.graft.inference.config.ServingSettings;
import dev.graft.inference.metrics.InferenceMetrics;
import dev.graft.contract.events.ShadowComparison;
import dev.graft.contract.manifest.ModelManifest;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * One model: its versions' harnesses, the serving one and the pin. Every method runs under this
 * object's lock, so a swap, an eviction or a retirement changes memory and the versions' states
 * together; requests read the serving version without it.
 */
final class ModelVersions {
    private static final Logger LOG = Logger.getLogger(ModelVersions.class);

    final String model;
    private final InferenceMetrics metrics;
    private final LoadedVersions memory;
    private final int keepVersions;
    /** Read without the lock by every request; written under it. */
    private volatile LoadedModel serving;
    /** The version in shadow, or null; read without the lock by requests that mirror to it. */
    private volatile LoadedModel shadow;
    private Integer pinned;
    private final TreeMap<Integer, VersionHarness> versions = new TreeMap<>();

    ModelVersions(String model, InferenceMetrics metrics, LoadedVersions memory, int keepVersions) {
        this.model = model;
        this.metrics = metrics;
        this.memory = memory;
        this.keepVersions = keepVersions;
    }

    /** The serving version, or null; without the lock, for requests. */
    LoadedModel serving() {
        return serving;
    }

    /** The version in shadow, or null; without the lock, for requests. */
    LoadedModel shadow() {
        return shadow;
    }

    synchronized Integer servingVersion() {
        LoadedModel current = serving;
        return current != null ? current.version() : null;
    }

    private VersionHarness discover(int version, boolean inStore) {
        VersionHarness harness = new VersionHarness(version, inStore,
                state -> metrics.versionState(model, version, state.jsonName()));
        versions.put(version, harness);
        return harness;
    }

    /** Why the version failed and when it is tried again, if it is failed. */
    synchronized Optional<String> failure(int version) {
        return Optional.ofNullable(versions.get(version)).flatMap(VersionHarness::failure);
    }

    /** Known, in the store and not failed: an announcement of it changes nothing. */
    synchronized boolean settled(int version) {
        VersionHarness harness = versions.get(version);
        return harness != null && harness.inStore() && harness.state() != VersionState.FAILED;
    }

    /** An announcement: a version that failed may get a fresh start (it may have been announced before it was stored). */
    synchronized void announced(int version, boolean inStore) {
        VersionHarness harness = versions.get(version);
        if (harness == null) {
            discover(version, inStore);
        } else {
            harness.announced(inStore);
        }
    }

    /** A listing of the store: new versions are discovered, versions no longer listed are marked so. */
    synchronized void listed(List<Integer> stored) {
        Set<Integer> listed = new HashSet<>(stored);
        listed.forEach(this::listedOne);
        Integer current = servingVersion();
        for (VersionHarness harness : versions.values()) {
            if (harness.inStore() && !listed.contains(harness.version())) {
                boolean servesOn = Integer.valueOf(harness.version()).equals(current)
                        || Integer.valueOf(harness.version()).equals(pinned);
                harness.leftStore(servesOn);
                if (servesOn) {
                    LOG.warnf("%s version %d was removed from the store but serves until another version replaces it",
                            model, harness.version());
                }
            }
        }
    }

    /** A version the store lists now (asked for by a request, or in a listing). */
    synchronized void listedOne(int version) {
        VersionHarness harness = versions.get(version);
        if (harness == null) {
            discover(version, true);
        } else {
            harness.storedAgain();
        }
    }

    /** @param comparison the loop's latest comparison of this model's versions in shadow; null when none */
    synchronized ServingPolicy.Model view(ServingSettings.ModelSettings settings, ShadowComparison comparison) {
        Integer current = servingVersion();
        return new ServingPolicy.Model(settings.promotion(), settings.shadow(), pinned, current,
                versions.values().stream().map(h -> h.view(live(comparison, h.version(), current))).toList());
    }

    /**
     * The version against the serving one; while nothing serves, against the version it was compared with most
     * (so that a version refused before a restart stays refused).
     */
    private static ShadowComparison.Pair live(ShadowComparison comparison, int version, Integer serving) {
        if (comparison == null) {
            return null;
        }
        if (serving != null) {
            return comparison.pair(version, serving).orElse(null);
        }
        return comparison.pairs().stream().filter(p -> p.candidate() == version)
                .max(java.util.Comparator.comparingLong(ShadowComparison.Pair::examples)).orElse(null);
    }

    /**
     * Puts a version in memory in shadow: requests the serving version answers are mirrored to it. Nothing if a
     * request unloaded it (or a pin swapped it in) since the policy looked: the policy is asked again.
     */
    synchronized void shadow(int version) {
        Optional<LoadedModel> loaded = memory.peek(model, version);
        VersionHarness harness = versions.get(version);
        if (loaded.isEmpty() || harness.state() != VersionState.READY) {
            return;
        }
        harness.shadow();
        shadow = loaded.get();
        LOG.infof("%s version %d is in shadow beside version %s", model, version, servingVersion());
    }

    /** Out of shadow; nothing if it left it otherwise since the policy looked (a pin swapped it in). */
    synchronized void unshadow(int version) {
        VersionHarness harness = versions.get(version);
        if (harness.state() != VersionState.SHADOW) {
            return;
        }
        harness.unshadow();
        if (shadow != null && shadow.version() == version) {
            shadow = null;
        }
        LOG.infof("%s version %d is out of shadow", model, version);
    }

    /** A planned attempt fell due; a request may have started the version afresh since the policy looked, leaving none. */
    synchronized void attemptDue(int version) {
        VersionHarness harness = versions.get(version);
        if (harness.attemptPlanned()) {
            harness.attemptDue();
        }
    }

    synchronized void holdBack(int version, String reason) {
        versions.get(version).holdBack(reason);
        metrics.heldBack(model, version);
        LOG.infof("%s version %d is held back (gated): %s", model, version, reason);
    }

    synchronized void manifestRead(int version, ModelManifest manifest) {
        versions.get(version).manifestRead(manifest);
    }

    /** Swaps {@code version} in (if it is in memory) and unloads what no longer fits. */
    synchronized void serve(int version) {
        swapTo(version);
        evict();
    }

    /** The swap: requests that name no version get {@code version} from now on. False if it is not in memory. */
    private boolean swapTo(int version) {
        LoadedModel next = memory.peek(model, version).orElse(null);
        LoadedModel previous = serving;
        if (next == null) {
            return false;
        }
        if (next == previous) {
            return true;
        }
        serving = next;
        if (shadow == next) {
            shadow = null;
        }
        versions.get(version).serve();
        if (previous != null) {
            versions.get(previous.version()).replaced();
        }
        metrics.serving(model, version);
        LOG.infof("%s version %d now serves%s", model, version,
                previous != null ? ", replacing version " + previous.version() : "");
        return true;
    }

    /** Serves {@code version} until unpinned, if it is in memory (the caller holds a reference). */
    synchronized boolean pin(int version) {
        if (!swapTo(version)) {
            return false;
        }
        pinned = version;
        evict();
        return true;
    }

    synchronized void unpin() {
        pinned = null;
    }

    /** Keeps at most keep-versions in memory: the least recently used go first, never the serving, pinned or shadow one. */
    synchronized void evict() {
        Set<Integer> protect = new HashSet<>();
        if (serving != null) {
            protect.add(serving.version());
        }
        if (pinned != null) {
            protect.add(pinned);
        }
        if (shadow != null) {
            protect.add(shadow.version());
        }
        for (LoadedModel evicted : memory.evict(model, keepVersions, protect)) {
            versions.get(evicted.version()).unloaded("unloaded: least recently used beyond keep-versions=" + keepVersions);
            evicted.release();
        }
    }

    /** Takes a version gone from the store out of memory and out of the candidates. */
    synchronized void retire(int version) {
        VersionHarness harness = versions.get(version);
        if (harness.state() == VersionState.READY) {
            Optional<LoadedModel> loaded = memory.remove(model, version);
            harness.unloaded(VersionHarness.NOT_IN_STORE);
            loaded.ifPresent(LoadedModel::release);
        } else {
            harness.retire();
        }
        LOG.infof("%s version %d retired: %s", model, version, VersionHarness.NOT_IN_STORE);
    }

    synchronized void startLoading(int version) {
        VersionHarness harness = versions.get(version);
        (harness != null ? harness : discover(version, true)).startLoading();
    }

    /** Keeps a loaded version in memory, ready; it is retired when an unloaded instance's last request ends. */
    synchronized void loaded(LoadedModel loaded) {
        loaded.whenFreed(() -> freed(loaded.version()));
        memory.keep(loaded);
        versions.get(loaded.version()).loaded(loaded.manifest());
    }

    private synchronized void freed(int version) {
        VersionHarness harness = versions.get(version);
        if (harness != null) {
            harness.freed();
        }
    }

    /** See {@link VersionHarness#failed}. */
    synchronized void failed(int version, String reason, Instant nextAttempt, boolean ofStoredBytes) {
        versions.get(version).failed(reason, nextAttempt, ofStoredBytes);
    }

    synchronized int failedAttempts(int version) {
        return versions.get(version).failedAttempts();
    }

    synchronized int size() {
        return versions.size();
    }

    synchronized ModelStatus status(String promotion, ShadowComparison comparison) {
        LoadedModel current = serving;
        Integer servingVersion = current != null ? current.version() : null;
        return ModelStatus.of(model, current != null ? current.manifest() : null, promotion, pinned,
                memory.versions(model), versions.values().stream()
                        .map(h -> h.status(live(comparison, h.version(), servingVersion))).toList());
    }

    /** At shutdown: nothing serves any more. */
    synchronized void stopServing() {
        serving = null;
        shadow = null;
    }
}
