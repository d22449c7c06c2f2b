package dev.graft.inference.versions;

import dev.graft.inference.config.ServingSettings;
import dev.graft.inference.metrics.InferenceMetrics;
import dev.graft.shared.manifest.ModelManifest;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * One model's versions, the serving one and the pin, and every state change they go through: each
 * method is one transition, made under this object's lock, shown in the state metric as it happens.
 * The decisions are the {@link ServingPolicy}'s; the manager reads the store and calls these.
 */
final class ModelVersions {
    private static final Logger LOG = Logger.getLogger(ModelVersions.class);
    static final String REMOVED_BUT_SERVING = "removed from the store; serves until another version replaces it";
    static final String NOT_IN_STORE = "not in the store";

    final String model;
    private final InferenceMetrics metrics;
    private final LoadedVersions memory;
    private final int keepVersions;
    /** Read without the lock by every request; written under it. */
    private volatile LoadedModel serving;
    private Integer pinned;
    private final TreeMap<Integer, VersionRecord> versions = new TreeMap<>();

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

    synchronized Integer servingVersion() {
        LoadedModel current = serving;
        return current != null ? current.version() : null;
    }

    /** Why the version failed and when it is tried again, if it is failed. */
    synchronized Optional<String> failure(int version) {
        VersionRecord record = versions.get(version);
        if (record == null || record.state() != VersionState.FAILED) {
            return Optional.empty();
        }
        return Optional.of(record.reason + (record.nextAttempt != null ? "; tried again at " + record.nextAttempt : ""));
    }

    private VersionRecord discover(int version, boolean inStore) {
        VersionRecord record = new VersionRecord(version, inStore);
        versions.put(version, record);
        metrics.versionState(model, version, VersionState.DISCOVERED.jsonName());
        return record;
    }

    private void move(VersionRecord record, VersionState next, String reason) {
        record.moveTo(next);
        record.reason = reason;
        metrics.versionState(model, record.version, next.jsonName());
    }

    /** Known, in the store and not failed: an announcement of it changes nothing. */
    synchronized boolean settled(int version) {
        VersionRecord record = versions.get(version);
        return record != null && record.inStore && record.state() != VersionState.FAILED;
    }

    /** An announcement: a version that failed gets a fresh start (it may have been announced before it was stored). */
    synchronized void announced(int version, boolean inStore) {
        VersionRecord record = versions.get(version);
        if (record == null) {
            discover(version, inStore);
            return;
        }
        record.inStore = inStore;
        if (record.state() == VersionState.FAILED && !record.lasting) {
            restart(record);
        }
    }

    private void restart(VersionRecord record) {
        record.failedAttempts = 0;
        record.nextAttempt = null;
        record.lasting = false;
        move(record, VersionState.DISCOVERED, null);
    }

    /** A listing of the store: new versions are discovered, versions no longer listed are marked so. */
    synchronized void listed(List<Integer> stored) {
        Set<Integer> listed = new HashSet<>(stored);
        for (int version : listed) {
            VersionRecord record = versions.get(version);
            if (record == null) {
                discover(version, true);
            } else {
                storedAgain(record);
            }
        }
        for (VersionRecord record : versions.values()) {
            if (record.inStore && !listed.contains(record.version)) {
                record.inStore = false;
                if (Integer.valueOf(record.version).equals(servingVersion())
                        || Integer.valueOf(record.version).equals(pinned)) {
                    record.reason = REMOVED_BUT_SERVING;
                    LOG.warnf("%s version %d was removed from the store but serves until another version replaces it",
                            model, record.version);
                }
            }
        }
    }

    /** A version asked for by a request, which the store lists now. */
    synchronized void listedOne(int version) {
        VersionRecord record = versions.get(version);
        if (record == null) {
            discover(version, true);
        } else {
            storedAgain(record);
        }
    }

    private void storedAgain(VersionRecord record) {
        if (!record.inStore) {
            record.inStore = true;
            record.manifest = null;   // a number freed by a removal may be reused by another version
            if (record.state() == VersionState.RETIRED) {
                move(record, VersionState.DISCOVERED, null);
            } else if (record.state() == VersionState.FAILED) {
                restart(record);
            }
        }
    }

    synchronized ServingPolicy.Model view(ServingSettings.Policy promotion) {
        return new ServingPolicy.Model(promotion, pinned, servingVersion(), versions.values().stream()
                .map(r -> new ServingPolicy.Version(r.version, r.state(), r.inStore, r.manifest)).toList());
    }

    /**
     * Carries out what the decision says needs no store: held-back notes, retirements, the swap, the
     * eviction. Returns whether it also asks for a load or a manifest.
     */
    synchronized boolean apply(ServingPolicy.Decision decision) {
        decision.heldBack().forEach(this::holdBack);
        decision.retire().forEach(this::retire);
        if (decision.serve() != null) {
            swapTo(decision.serve());
        }
        evict();
        return decision.load() != null || decision.inspect() != null;
    }

    private void holdBack(int version, String reason) {
        VersionRecord record = versions.get(version);
        if (!reason.equals(record.heldBack)) {
            record.heldBack = reason;
            metrics.heldBack(model, version);
            LOG.infof("%s version %d is held back (gated): %s", model, version, reason);
        }
    }

    synchronized void manifestRead(int version, ModelManifest manifest) {
        versions.get(version).manifest = manifest;
    }

    /** The swap: requests that name no version get {@code version} from now on. False if it is not in memory. */
    synchronized boolean swapTo(int version) {
        LoadedModel next = memory.peek(model, version).orElse(null);
        LoadedModel previous = serving;
        if (next == null) {
            return false;
        }
        if (next == previous) {
            return true;
        }
        serving = next;
        VersionRecord record = versions.get(version);
        record.heldBack = null;
        move(record, VersionState.SERVING, null);
        if (previous != null) {
            move(versions.get(previous.version()), VersionState.READY, null);
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

    /** Keeps at most keep-versions in memory: the least recently used go first, never the serving or pinned one. */
    synchronized void evict() {
        Set<Integer> protect = new HashSet<>();
        if (serving != null) {
            protect.add(serving.version());
        }
        if (pinned != null) {
            protect.add(pinned);
        }
        for (LoadedModel evicted : memory.evict(model, keepVersions, protect)) {
            move(versions.get(evicted.version()), VersionState.DRAINING,
                    "unloaded: least recently used beyond keep-versions=" + keepVersions);
            evicted.release();
        }
    }

    /** Takes a version gone from the store out of memory and out of the candidates. */
    private void retire(int version) {
        VersionRecord record = versions.get(version);
        if (record.state() == VersionState.READY) {
            Optional<LoadedModel> loaded = memory.remove(model, version);
            move(record, VersionState.DRAINING, NOT_IN_STORE);
            loaded.ifPresent(LoadedModel::release);
        } else {
            record.nextAttempt = null;
            move(record, VersionState.RETIRED, NOT_IN_STORE);
        }
        LOG.infof("%s version %d retired: %s", model, version, NOT_IN_STORE);
    }

    synchronized void loading(int version) {
        VersionRecord record = versions.containsKey(version) ? versions.get(version) : discover(version, true);
        if (record.state() == VersionState.FAILED) {
            move(record, VersionState.DISCOVERED, null);   // a request asked again as it failed
        }
        move(record, VersionState.LOADING, null);
    }

    synchronized void loaded(LoadedModel loaded) {
        VersionRecord record = versions.get(loaded.version());
        record.manifest = loaded.manifest();
        record.failedAttempts = 0;
        move(record, VersionState.READY, null);
    }

    /** The last request of an unloaded version ended. */
    synchronized void freed(int version) {
        VersionRecord record = versions.get(version);
        if (record != null && record.state() == VersionState.DRAINING) {
            move(record, VersionState.RETIRED, record.reason);
        }
    }

    /**
     * A load or manifest read failed; {@code nextAttempt} is when it is tried again, null for never;
     * {@code ofStoredBytes}: what the store holds for it is unusable, rather than the store unreachable or
     * the load failing for a reason of its own.
     */
    synchronized void failed(int version, String reason, Instant nextAttempt, boolean ofStoredBytes) {
        VersionRecord record = versions.get(version);
        record.failedAttempts++;
        record.lasting = ofStoredBytes && record.inStore;
        move(record, VersionState.FAILED, reason);
        record.nextAttempt = nextAttempt;
    }

    synchronized int failedAttempts(int version) {
        return versions.get(version).failedAttempts;
    }

    /** The planned attempt is due: back to discovered, unless it was announced again or retired meanwhile. */
    synchronized boolean retryDue(int version, Instant planned) {
        VersionRecord record = versions.get(version);
        if (record.state() != VersionState.FAILED || !planned.equals(record.nextAttempt)) {
            return false;
        }
        record.nextAttempt = null;
        move(record, VersionState.DISCOVERED, null);
        return true;
    }

    synchronized int size() {
        return versions.size();
    }

    synchronized ModelStatus status(String promotion) {
        LoadedModel current = serving;
        return ModelStatus.of(model, current != null ? current.manifest() : null, promotion, pinned,
                memory.versions(model), versions.values().stream().map(r -> new ModelStatus.VersionStatus(r.version,
                        r.state().jsonName(), r.inStore, r.reason, r.heldBack,
                        r.failedAttempts > 0 ? r.failedAttempts : null, r.nextAttempt)).toList());
    }

    /** At shutdown: nothing serves any more. */
    synchronized void stopServing() {
        serving = null;
    }
}
