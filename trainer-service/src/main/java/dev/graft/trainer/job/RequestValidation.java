package dev.graft.trainer.job;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.contract.events.TrainingEvent;
import dev.graft.contract.json.Json;
import dev.graft.trainer.dataset.RemoteDatasets;
import dev.graft.trainer.pool.KnownRequests;
import dev.graft.trainer.pool.Outcomes;
import dev.graft.trainer.pool.RequestRecord;
import dev.graft.trainer.pool.TrainingRegistry;
import dev.graft.trainer.training.BaseChecks;
import dev.graft.trainer.training.TrainerMetrics;
import dev.graft.trainer.training.TrainingPlan;
import dev.graft.trainer.training.TrainingRequestValidator;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.Optional;

/**
 * The validate step. An unreadable or invalid request is refused: a failed event naming it as well as
 * the JSON (or else the record's key) allows, so the sender can match it, and the record itself on the
 * dead-letter topic. The refusal is recorded apart from outcomes: every trainer can answer it, and the
 * same requestId, corrected, is still a new request.
 */
@ApplicationScoped
class RequestValidation {
    private static final Logger LOG = Logger.getLogger(RequestValidation.class);

    private final BaseChecks baseChecks;
    private final RemoteDatasets datasets;
    private final TrainingRegistry registry;
    private final TrainerMetrics metrics;
    private final Outcomes outcomes;
    private final Replies replies;

    RequestValidation(BaseChecks baseChecks, RemoteDatasets datasets, TrainingRegistry registry,
                      TrainerMetrics metrics, Outcomes outcomes, Replies replies) {
        this.baseChecks = baseChecks;
        this.datasets = datasets;
        this.registry = registry;
        this.metrics = metrics;
        this.outcomes = outcomes;
        this.replies = replies;
    }

    /** The request to train, or empty once it has been refused. */
    Optional<TrainingPlan> validate(RequestRecord record, Stopwatch stopwatch) {
        try {
            TrainingPlan plan = TrainingRequestValidator.parse(record.value());
            baseChecks.check(plan);
            datasets.check(plan.dataset());
            return Optional.of(plan);
        } catch (IllegalArgumentException e) {
            refuse(record, e.getMessage(), stopwatch);
            return Optional.empty();
        }
    }

    private void refuse(RequestRecord record, String reason, Stopwatch stopwatch) {
        String requestId = null;
        String model = null;
        try {
            JsonNode node = Json.MAPPER.readTree(record.value());
            requestId = node.path("requestId").isTextual() ? node.get("requestId").asText() : null;
            model = node.path("model").isTextual() ? node.get("model").asText() : null;
        } catch (Exception notJson) {
            // the reason already says the record is not JSON
        }
        if (requestId == null) {
            // the record's key is the requestId by convention: the sender of an unreadable record can still match its answer
            requestId = record.key();
        }
        LOG.warnf("rejected request %s (%s offset %d): %s", KnownRequests.printable(requestId), record.topic(),
                record.offset(), reason);
        registry.failed(requestId, model, reason);
        metrics.job(model, "rejected", stopwatch.seconds());
        replies.deadLetter(record, reason);
        TrainingEvent failed = TrainingEvent.failed(requestId, model, reason);
        if (requestId != null) {
            outcomes.recordRejection(failed);   // so that every trainer, and this one after a restart, can answer it
        }
        replies.outcome(failed);
    }
}
