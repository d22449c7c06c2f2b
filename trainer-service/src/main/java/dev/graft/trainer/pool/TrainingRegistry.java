package dev.graft.trainer.pool;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.graft.contract.events.TrainingEvent;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.store.ModelStore;
import dev.graft.store.ModelStoreException;
import dev.graft.trainer.training.EpochResult;
import dev.graft.trainer.training.TrainingReport;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where each training stands, for {@code GET /api/trainings/{requestId}} on any trainer of the pool:
 * what this trainer runs or ran recently, in memory (with the epochs so far); else from the pool's
 * shared state, the recorded outcome (a success with the report stored beside its version) or the
 * live claim of the trainer running it now; else a version stored by a trainer that died before
 * recording the outcome, from the store. Each answer names the trainer that runs or ran it. An id the
 * shared state has never heard of ({@link KnownRequests}) is answered without reading anything.
 */
@ApplicationScoped
public class TrainingRegistry {
    private static final int KEPT = 500;

    public enum State { WAITING, RUNNING, SUCCEEDED, FAILED, CANCELLED, RELEASED }

    /** A training as the API shows it; {@code report} once it succeeded, {@code history} while it runs here. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Status(String requestId, String model, State state, String trainer, Integer version, String message,
                         List<EpochResult> history, TrainingReport report) {
    }

    private final ModelStore store;
    private final Outcomes outcomes;
    private final Claims claims;
    private final KnownRequests known;
    private final String trainer;
    private final Map<String, Status> recent = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Status> eldest) {
            return size() > KEPT;
        }
    };

    public TrainingRegistry(ModelStore store, Outcomes outcomes, Claims claims, KnownRequests known, PoolSettings pool) {
        this.store = store;
        this.outcomes = outcomes;
        this.claims = claims;
        this.known = known;
        this.trainer = pool.trainerId();
    }

    /** Taken by this trainer while another one runs the same requestId. */
    public synchronized void waiting(String requestId, String model, String runningOn) {
        recent.remove(requestId);
        recent.put(requestId, new Status(requestId, model, State.WAITING, runningOn, null,
                "trainer " + runningOn + " runs this requestId; answered with its outcome when it ends", List.of(), null));
    }

    public synchronized void started(String requestId, String model, String message) {
        recent.remove(requestId);
        recent.put(requestId, new Status(requestId, model, State.RUNNING, trainer, null, message, List.of(), null));
    }

    /** Stopped here without an outcome: the next trainer the group hands the record to resumes it. */
    public synchronized void released(String requestId, String model, String message) {
        ended(requestId, model, State.RELEASED, message);
    }

    public synchronized void epoch(String requestId, EpochResult epoch) {
        Status s = recent.get(requestId);
        if (s != null) {
            List<EpochResult> history = new ArrayList<>(s.history());
            history.add(epoch);
            recent.put(requestId, new Status(requestId, s.model(), s.state(), trainer, null, s.message(),
                    List.copyOf(history), null));
        }
    }

    public synchronized void succeeded(String requestId, ModelManifest manifest, TrainingReport report, String message) {
        recent.put(requestId, new Status(requestId, manifest.model(), State.SUCCEEDED, trainer, manifest.version(),
                message, null, report));
    }

    public synchronized void failed(String requestId, String model, String reason) {
        ended(requestId, model, State.FAILED, reason);
    }

    public synchronized void cancelled(String requestId, String model, String message) {
        ended(requestId, model, State.CANCELLED, message);
    }

    private void ended(String requestId, String model, State state, String message) {
        if (requestId == null) {
            return;
        }
        Status s = recent.get(requestId);
        recent.put(requestId, new Status(requestId, model, state, trainer, null, message,
                s != null ? s.history() : List.of(), null));
    }

    public Optional<Status> find(String requestId) {
        synchronized (this) {
            Status s = recent.get(requestId);
            if (s != null) {
                return Optional.of(s);
            }
        }
        if (!known.mayExist(requestId)) {
            return Optional.empty();   // no claim, no outcome: never taken by any trainer, so nothing stored either
        }
        Optional<Claim> claim = claims.current(requestId);
        String ranOn = claim.map(Claim::trainer).orElse(null);
        Optional<TrainingEvent> outcome = outcomes.outcome(requestId);
        if (outcome.isPresent()) {
            return Optional.of(fromOutcome(outcome.get(), ranOn));
        }
        if (claim.isPresent() && claims.isLive(claim.get())) {
            return Optional.of(new Status(requestId, null, State.RUNNING, ranOn, null,
                    "training on trainer " + ranOn + " (its epochs: GET /api/trainings/" + requestId + " there)",
                    null, null));
        }
        if (claim.isEmpty()) {
            // refused at validation and never taken since (a later record under the id, valid, would have a claim)
            Optional<TrainingEvent> refused = outcomes.rejection(requestId);
            if (refused.isPresent()) {
                return Optional.of(fromOutcome(refused.get(), null));
            }
        }
        return stored(requestId).map(manifest -> succeeded(manifest, ranOn));
    }

    private Status fromOutcome(TrainingEvent outcome, String ranOn) {
        return switch (outcome.type()) {
            case SUCCEEDED -> {
                try {
                    ModelManifest manifest = store.manifest(outcome.model(), outcome.version());
                    yield new Status(outcome.requestId(), outcome.model(), State.SUCCEEDED, ranOn, outcome.version(),
                            outcome.message(), null, readReport(manifest).orElse(null));
                } catch (ModelStoreException removed) {
                    yield new Status(outcome.requestId(), outcome.model(), State.SUCCEEDED, ranOn, outcome.version(),
                            outcome.message() + " (the version is no longer in the store)", null, null);
                }
            }
            case CANCELLED -> new Status(outcome.requestId(), outcome.model(), State.CANCELLED, ranOn, null,
                    outcome.message(), null, null);
            default -> new Status(outcome.requestId(), outcome.model(), State.FAILED, ranOn, null, outcome.message(),
                    null, null);
        };
    }

    private Status succeeded(ModelManifest manifest, String ranOn) {
        return new Status(manifest.requestId(), manifest.model(), State.SUCCEEDED, ranOn, manifest.version(),
                "stored " + manifest.model() + " version " + manifest.version(), null, readReport(manifest).orElse(null));
    }

    /** The stored version a request produced, looked up in the store's manifests. */
    public Optional<ModelManifest> stored(String requestId) {
        for (String model : store.models()) {
            Optional<ModelManifest> found = stored(model, requestId);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    /**
     * The version of {@code model} a request produced, newest first: one model's manifests, not the
     * whole store's, which on object storage is one request per manifest.
     */
    public Optional<ModelManifest> stored(String model, String requestId) {
        List<Integer> versions = new ArrayList<>(store.versions(model));
        Collections.reverse(versions);
        for (int version : versions) {
            try {
                ModelManifest manifest = store.manifest(model, version);
                if (requestId.equals(manifest.requestId())) {
                    return Optional.of(manifest);
                }
            } catch (ModelStoreException unreadable) {
                // a damaged version is reported by whoever serves it; it cannot be this request's answer
            }
        }
        return Optional.empty();
    }

    /** A chart or other file stored beside the version {@code requestId} produced. */
    public Optional<byte[]> storedFile(String requestId, String name) {
        return find(requestId).filter(s -> s.state() == State.SUCCEEDED && s.version() != null).flatMap(s -> {
            try {
                return store.file(store.manifest(s.model(), s.version()), name);
            } catch (ModelStoreException removed) {
                return Optional.empty();
            }
        });
    }

    private Optional<TrainingReport> readReport(ModelManifest manifest) {
        Optional<byte[]> bytes = store.file(manifest, TrainingReport.FILE);
        try {
            return bytes.map(b -> Json.read(new String(b, StandardCharsets.UTF_8), TrainingReport.class));
        } catch (RuntimeException e) {
            throw new ModelStoreException("cannot read the report of " + manifest.model() + " version "
                    + manifest.version() + ": " + e.getMessage(), e);
        }
    }
}
