package dev.graft.trainer.job;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import dev.graft.contract.events.TrainingEvent;
import dev.graft.trainer.dataset.LabeledImages;
import dev.graft.trainer.messaging.TrainingEventPublisher;
import dev.graft.trainer.pool.Cancellations;
import dev.graft.trainer.pool.TrainingRegistry;
import dev.graft.trainer.training.Checkpoint;
import dev.graft.trainer.training.EpochResult;
import dev.graft.trainer.training.TrainerMetrics;
import dev.graft.trainer.training.RecipeListener;
import dev.graft.trainer.training.TrainingPlan;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Arrays;

/**
 * A training's progress fanned out as it goes: to the trainer's metrics, its registry (what
 * {@code GET /api/trainings/{id}} shows) and the events topic. The recipe asks it whether to stop:
 * at the next batch once the request is cancelled or the trainer stops.
 */
@ApplicationScoped
class ProgressReports {
    private final TrainerMetrics metrics;
    private final TrainingRegistry registry;
    private final TrainingEventPublisher events;
    private final Cancellations cancellations;
    private final TrainingTrace trace;

    ProgressReports(TrainerMetrics metrics, TrainingRegistry registry, TrainingEventPublisher events,
                    Cancellations cancellations, TrainingTrace trace) {
        this.metrics = metrics;
        this.registry = registry;
        this.events = events;
        this.cancellations = cancellations;
        this.trace = trace;
    }

    /** The accepted event: what is trained, on which base, and from which checkpoint. */
    void started(TrainingPlan plan, Checkpoint checkpoint) {
        String accepted = "training " + plan.model() + " (" + plan.task().jsonName() + ") on " + plan.base().weights()
                + " base" + checkpoint.describe().map(from -> ", resuming from " + from).orElse("");
        registry.started(plan.requestId(), plan.model(), accepted);
        events.progress(TrainingEvent.accepted(plan.requestId(), plan.model(), accepted));
    }

    /** The recipe's listener for one request. */
    Listener of(TrainingPlan plan, Job job) {
        return new Listener(plan, job);
    }

    /**
     * What the recipe reports, fanned out; each phase a span of the request's trace. A phase the recipe leaves
     * open (it failed, or was cancelled or stopped) is ended by {@link #ended}, marked with what ended it.
     */
    final class Listener implements RecipeListener {
        private final TrainingPlan plan;
        private final String requestId;
        private final Job job;
        private Span phase;

        private Listener(TrainingPlan plan, Job job) {
            this.plan = plan;
            this.requestId = plan.requestId();
            this.job = job;
        }

        @Override
        public void dataset(LabeledImages train, LabeledImages validation) {
            events.progress(TrainingEvent.dataset(requestId, plan.model(), train.size(), validation.size(),
                    train.isClassification() ? train.countsByLabel() : null, describe(train, validation)));
        }

        @Override
        public void phaseStarted(String name) {
            metrics.phaseStarted(plan.model(), name);
            ended(null);
            phase = trace.step("phase " + name);
        }

        @Override
        public void phaseEnded(String name, double seconds) {
            metrics.phaseEnded(plan.model(), name, seconds);
            if (phase != null) {
                phase.end();
                phase = null;
            }
        }

        /** The recipe returned or threw: a phase still open ends here, with the failure if there was one. */
        void ended(RuntimeException failure) {
            if (phase != null) {
                if (failure != null) {
                    phase.recordException(failure);
                    phase.setStatus(StatusCode.ERROR);
                }
                phase.end();
                phase = null;
            }
        }

        @Override
        public boolean cancelled() {
            return cancellations.isCancelled(requestId);
        }

        @Override
        public boolean stopping() {
            return job.stopping();
        }

        @Override
        public void epoch(EpochResult epoch) {
            metrics.epoch(plan.model(), epoch);
            registry.epoch(requestId, epoch);
            events.progress(TrainingEvent.epoch(requestId, plan.model(), epoch.phase(), epoch.epoch(),
                    epoch.epochs(), epoch.trainLoss(), epoch.metric(), epoch.trainMetric(),
                    epoch.validationLoss(), epoch.validationMetric(), epoch.imagesPerSecond(), epoch.seconds(),
                    epoch.etaSeconds()));
        }
    }

    /** Sizes, and per-class counts with a warning when the largest class has 3x the images of the smallest. */
    private static String describe(LabeledImages train, LabeledImages validation) {
        String sizes = train.size() + " training and " + validation.size() + " validation images";
        if (!train.isClassification()) {
            return sizes;
        }
        int[] counts = train.classCounts();
        int min = Arrays.stream(counts).min().orElse(0);
        int max = Arrays.stream(counts).max().orElse(0);
        String imbalance = max >= 3 * min ? "; imbalanced (" + max + " vs " + min
                + " images per class): consider classWeights \"balanced\"" : "";
        return sizes + " in " + counts.length + " classes " + train.countsByLabel() + imbalance;
    }
}
