package dev.graft.trainer.job;

import dev.graft.contract.events.TrainingEvent;
import dev.graft.trainer.pool.Claims;
import dev.graft.trainer.pool.Outcomes;
import dev.graft.trainer.pool.RequestRecord;
import dev.graft.trainer.pool.TrainingRegistry;
import dev.graft.trainer.training.TrainerMetrics;
import dev.graft.trainer.training.TrainingPlan;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.Optional;

/**
 * The deduplicate step: a requestId already handled, by any trainer, is answered with its first
 * outcome instead of being trained again (exactly once, whoever sends it again, Kafka or a user).
 */
@ApplicationScoped
class Duplicates {
    private static final Logger LOG = Logger.getLogger(Duplicates.class);

    private final Outcomes outcomes;
    private final TrainingRegistry registry;
    private final Claims claims;
    private final TrainerMetrics metrics;
    private final ModelPublisher publisher;
    private final Replies replies;

    Duplicates(Outcomes outcomes, TrainingRegistry registry, Claims claims, TrainerMetrics metrics,
               ModelPublisher publisher, Replies replies) {
        this.outcomes = outcomes;
        this.registry = registry;
        this.claims = claims;
        this.metrics = metrics;
        this.publisher = publisher;
        this.replies = replies;
    }

    /** Whether the request has an outcome already; if so this record has been answered with it. */
    boolean answered(TrainingPlan plan, RequestRecord record, Stopwatch stopwatch) {
        Optional<TrainingEvent> earlier = earlierOutcome(plan.requestId(), plan.model());
        if (earlier.isEmpty()) {
            return false;
        }
        if (claims.current(plan.requestId()).filter(record::sameRecord).isPresent()) {
            // the very record whose outcome a trainer published before it could acknowledge it
            LOG.infof("request %s: its record came back after its outcome was published; acknowledged", plan.requestId());
            metrics.job(plan.model(), "acknowledged_again", stopwatch.seconds());
        } else {
            answerAgain(earlier.get(), stopwatch);
        }
        return true;
    }

    /**
     * The first outcome of a requestId seen before: from the recorded outcomes, or, for a version stored just
     * before a crash kept its outcome from being recorded, from the store's manifests (recorded now, and
     * answered like any success answered again).
     */
    private Optional<TrainingEvent> earlierOutcome(String requestId, String model) {
        Optional<TrainingEvent> recorded = outcomes.outcome(requestId);
        if (recorded.isPresent()) {
            return recorded;
        }
        return registry.stored(model, requestId).map(manifest -> {
            TrainingEvent succeeded = TrainingEvent.succeeded(requestId, manifest.model(), manifest.version(),
                    "stored " + manifest.model() + " version " + manifest.version());
            outcomes.record(succeeded);
            return succeeded;
        });
    }

    /** The first outcome again, with a message saying so; a success announces its version again too. */
    private void answerAgain(TrainingEvent earlier, Stopwatch stopwatch) {
        String requestId = earlier.requestId();
        String message = "request " + requestId + " was already handled, so it is not trained again (send it"
                + " with a new requestId to train again): " + earlier.message();
        LOG.infof("request %s delivered again: answered with its first outcome", requestId);
        metrics.job(earlier.model(), "duplicate", stopwatch.seconds());
        switch (earlier.type()) {
            case SUCCEEDED -> {
                publisher.announceAgain(earlier);
                replies.outcome(TrainingEvent.succeeded(requestId, earlier.model(), earlier.version(), message));
            }
            case CANCELLED -> replies.outcome(TrainingEvent.cancelled(requestId, earlier.model(), message));
            default -> replies.outcome(TrainingEvent.failed(requestId, earlier.model(), message));
        }
    }
}
