package dev.graft.trainer.pool;

import dev.graft.contract.events.TrainingEvent;
import dev.graft.contract.json.Json;
import dev.graft.store.Blobs;
import dev.graft.trainer.storage.TrainerState;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The outcome of every request the pool finished, by requestId, in the trainers' shared state
 * ({@code STATE/outcomes/HASH.json}): a request delivered again, by Kafka after a crash or by a
 * user sending it again, to any trainer, is answered with its first outcome instead of being
 * trained again.
 */
@ApplicationScoped
public class Outcomes {
    private static final Logger LOG = Logger.getLogger(Outcomes.class);
    static final String DIR = "outcomes/";
    static final String SUFFIX = ".json";
    static final String REJECTED = ".rejected.json";

    private final Blobs state;

    public Outcomes(TrainerState state) {
        this.state = state.blobs();
    }

    public Optional<TrainingEvent> outcome(String requestId) {
        try {
            return state.read(key(requestId)).map(bytes -> Json.read(new String(bytes, StandardCharsets.UTF_8),
                    TrainingEvent.class));
        } catch (RuntimeException e) {
            LOG.warnf("cannot read the recorded outcome of request %s (%s): treating it as new", requestId, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Records a final outcome, whole or not at all. Never throws: a version already stored must still
     * be announced, so state that cannot be written is logged and only weakens duplicate detection
     * (successes are also found in the store's manifests).
     */
    public void record(TrainingEvent outcome) {
        try {
            state.write(key(outcome.requestId()), Json.write(outcome).getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            LOG.errorf("cannot record the outcome of request %s in %s: %s", outcome.requestId(), state.location(),
                    e.getMessage());
        }
    }

    /**
     * Records why a request was refused at validation, apart from outcomes: it answers lookups of the id
     * on every trainer, but is not an outcome, so the same requestId sent again corrected is trained, and
     * a malformed record sent under the id of a request that is queued, running or done changes nothing
     * of it. The latest refusal is kept.
     */
    public void recordRejection(TrainingEvent refusal) {
        try {
            state.write(DIR + KnownRequests.stateName(refusal.requestId()) + REJECTED,
                    Json.write(refusal).getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            LOG.errorf("cannot record the refusal of request %s in %s: %s", KnownRequests.printable(refusal.requestId()),
                    state.location(), e.getMessage());
        }
    }

    /** The latest refusal of the request at validation, if any. */
    public Optional<TrainingEvent> rejection(String requestId) {
        try {
            return state.read(DIR + KnownRequests.stateName(requestId) + REJECTED)
                    .map(bytes -> Json.read(new String(bytes, StandardCharsets.UTF_8), TrainingEvent.class));
        } catch (RuntimeException e) {
            LOG.warnf("cannot read the recorded refusal of request %s (%s)", requestId, e.getMessage());
            return Optional.empty();
        }
    }

    private static String key(String requestId) {
        return DIR + KnownRequests.stateName(requestId) + SUFFIX;
    }
}
