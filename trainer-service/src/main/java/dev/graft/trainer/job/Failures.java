package dev.graft.trainer.job;

import dev.graft.trainer.pool.Cancellations;
import dev.graft.trainer.training.Checkpoint;
import dev.graft.trainer.training.TrainingCancelledException;
import dev.graft.trainer.training.TrainingPlan;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.jboss.logging.Logger;

/**
 * What an exception that ends a job means for its record. The trainer stopping is not the request's
 * outcome: the record is RELEASEd and the next trainer resumes it. Anything else is: the request is
 * concluded cancelled or failed, and its record ACCEPTed.
 */
@ApplicationScoped
class Failures {
    private static final Logger LOG = Logger.getLogger(Failures.class);

    private final Conclusions conclusions;
    private final Cancellations cancellations;

    Failures(Conclusions conclusions, Cancellations cancellations) {
        this.conclusions = conclusions;
        this.cancellations = cancellations;
    }

    /** The claim could not be written: the trainer cannot keep the request, so it fails rather than loop. */
    AcknowledgeType notClaimed(TrainingPlan plan, RuntimeException e, Stopwatch stopwatch) {
        LOG.errorf("request %s cannot be taken on: %s", plan.requestId(), e.getMessage());
        conclusions.failed(plan, "the trainer cannot keep the request: " + e.getMessage(), stopwatch);
        return AcknowledgeType.ACCEPT;
    }

    /** The training, or storing its version, threw. */
    AcknowledgeType notTrained(TrainingPlan plan, Job job, Checkpoint checkpoint, Throwable e, Stopwatch stopwatch) {
        if (job.stopping() && !cancellations.isCancelled(plan.requestId())) {
            // the trainer is shutting down (or lost the request): whatever stopped the training, it is not the
            // request's outcome; the record goes back to the group and the next trainer resumes it
            conclusions.released(plan, job, e.getMessage(), checkpoint, stopwatch);
            return AcknowledgeType.RELEASE;
        }
        if (e instanceof TrainingCancelledException) {
            conclusions.cancelled(plan, e.getMessage(), stopwatch);
        } else if (e instanceof IllegalArgumentException) {
            // a problem with the request or its data: the message says it all
            LOG.warnf("request %s failed: %s", plan.requestId(), e.getMessage());
            conclusions.failed(plan, e.getMessage(), stopwatch);
        } else {
            String reason = e.getMessage() != null ? e.getMessage() : e.toString();
            LOG.errorf(e, "request %s failed: %s", plan.requestId(), reason);
            conclusions.failed(plan, reason, stopwatch);
        }
        return AcknowledgeType.ACCEPT;
    }
}
