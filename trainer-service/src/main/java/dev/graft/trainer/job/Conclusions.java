package dev.graft.trainer.job;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import dev.graft.contract.events.TrainingEvent;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.trainer.pool.Claims;
import dev.graft.trainer.pool.Outcomes;
import dev.graft.trainer.pool.RequestRecord;
import dev.graft.trainer.pool.TrainingRegistry;
import dev.graft.trainer.training.Checkpoint;
import dev.graft.trainer.training.Checkpoints;
import dev.graft.trainer.training.TrainerMetrics;
import dev.graft.trainer.training.TrainingPlan;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.Locale;

/**
 * The conclude step: how a request this trainer claimed ends, in its registry, its job metrics, the
 * pool's outcomes and on Kafka. An outcome is recorded first (which ends the request as pending, so
 * nothing resumes it and a resend gets the same answer), its checkpoints dropped, then published.
 */
@ApplicationScoped
class Conclusions {
    private static final Logger LOG = Logger.getLogger(Conclusions.class);

    private final TrainingRegistry registry;
    private final TrainerMetrics metrics;
    private final Outcomes outcomes;
    private final Checkpoints checkpoints;
    private final Claims claims;
    private final Replies replies;

    Conclusions(TrainingRegistry registry, TrainerMetrics metrics, Outcomes outcomes, Checkpoints checkpoints,
                Claims claims, Replies replies) {
        this.registry = registry;
        this.metrics = metrics;
        this.outcomes = outcomes;
        this.checkpoints = checkpoints;
        this.claims = claims;
        this.replies = replies;
    }

    void succeeded(TrainingPlan plan, ModelPublisher.Published published, Stopwatch stopwatch) {
        ModelManifest manifest = published.manifest();
        String message = String.format(Locale.ROOT, "stored %s version %d in %.0f s; validation %s", plan.model(),
                manifest.version(), stopwatch.seconds(), manifest.metrics());
        registry.succeeded(plan.requestId(), manifest, published.report(), message);
        conclude(TrainingEvent.succeeded(plan.requestId(), plan.model(), manifest.version(), message));
        metrics.job(plan.model(), "succeeded", stopwatch.seconds());
        LOG.infof("request %s: stored %s version %d, metrics %s", plan.requestId(), plan.model(), manifest.version(),
                manifest.metrics());
    }

    /** A validated request that failed: its outcome is recorded, so sending it again answers the same. */
    void failed(TrainingPlan plan, String reason, Stopwatch stopwatch) {
        registry.failed(plan.requestId(), plan.model(), reason);
        metrics.job(plan.model(), "failed", stopwatch.seconds());
        Span.current().setStatus(StatusCode.ERROR, reason);   // the request's span, on the training thread
        conclude(TrainingEvent.failed(plan.requestId(), plan.model(), reason));
    }

    /** Failed, and its record put on the dead-letter topic as it arrived. */
    void deadLettered(TrainingPlan plan, RequestRecord record, String reason, Stopwatch stopwatch) {
        failed(plan, reason, stopwatch);
        replies.deadLetter(record, reason);
    }

    /** Stopped by its cancellation: nothing stored, the outcome recorded like any other. */
    void cancelled(TrainingPlan plan, String message, Stopwatch stopwatch) {
        LOG.infof("request %s %s", plan.requestId(), message);
        registry.cancelled(plan.requestId(), plan.model(), message);
        metrics.job(plan.model(), "cancelled", stopwatch.seconds());
        conclude(TrainingEvent.cancelled(plan.requestId(), plan.model(), message));
    }

    /**
     * Stopped with its trainer: no outcome. The claim goes stale at once, so the trainer the record goes
     * to next resumes the request without waiting for a lock to expire.
     */
    void released(TrainingPlan plan, Job job, String why, Checkpoint checkpoint, Stopwatch stopwatch) {
        job.claim().ifPresent(claims::release);
        registry.released(plan.requestId(), plan.model(), "released when its trainer stopped: " + why);
        metrics.job(plan.model(), "released", stopwatch.seconds());
        LOG.infof("request %s released for another trainer (%s); it resumes from %s", plan.requestId(), why,
                checkpoint.describe().orElse("the beginning"));
    }

    private void conclude(TrainingEvent outcome) {
        outcomes.record(outcome);
        checkpoints.discard(outcome.requestId());
        replies.outcome(outcome);
    }
}
