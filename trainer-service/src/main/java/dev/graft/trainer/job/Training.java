package dev.graft.trainer.job;

import dev.graft.trainer.pool.Cancellations;
import dev.graft.trainer.training.Checkpoint;
import dev.graft.trainer.training.Checkpoints;
import dev.graft.trainer.training.TrainedModel;
import dev.graft.trainer.training.TrainingPlan;
import dev.graft.trainer.training.TransferRecipe;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Optional;

/**
 * The train step: a claimed request trained by the recipe, resuming from the checkpoint another
 * trainer left, unless it ends before it starts (cancelled already, or a poison record).
 */
@ApplicationScoped
class Training {
    private final TransferRecipe recipe;
    private final Checkpoints checkpoints;
    private final Cancellations cancellations;
    private final ProgressReports progress;
    private final Conclusions conclusions;

    Training(TransferRecipe recipe, Checkpoints checkpoints, Cancellations cancellations, ProgressReports progress,
             Conclusions conclusions) {
        this.recipe = recipe;
        this.checkpoints = checkpoints;
        this.cancellations = cancellations;
        this.progress = progress;
        this.conclusions = conclusions;
    }

    /** Where the training starts from, announced as accepted; empty when the request was concluded instead. */
    Optional<Checkpoint> start(TrainingPlan plan, Job job, Stopwatch stopwatch) {
        if (cancellations.isCancelled(plan.requestId())) {
            conclusions.cancelled(plan, "cancelled before it started", stopwatch);
            return Optional.empty();
        }
        if (job.lastDelivery()) {
            // trainers died on it every time: starting it again would kill this one too
            int stops = job.record().deliveryCount() - 1;
            String reason = "trainers stopped " + stops + " times while training this request (killed, or out of"
                    + " memory?), and Kafka delivers a record at most " + job.record().deliveryCount() + " times, so it"
                    + " is not started again; see the trainers' logs, and send it with a new requestId to try again";
            conclusions.deadLettered(plan, job.record(), reason, stopwatch);
            return Optional.empty();
        }
        Checkpoint checkpoint = checkpoints.of(plan.requestId(), job.record().value());
        progress.started(plan, checkpoint);
        return Optional.of(checkpoint);
    }

    /** Throws whatever stopped it: a cancellation, the trainer stopping, or a failure. */
    TrainedModel run(TrainingPlan plan, Job job, Checkpoint checkpoint) {
        ProgressReports.Listener listener = progress.of(plan, job);
        try {
            TrainedModel trained = recipe.run(plan, listener, checkpoint);
            listener.ended(null);
            return trained;
        } catch (RuntimeException e) {
            listener.ended(e);
            throw e;
        }
    }
}
