package dev.graft.trainer.job;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.shared.events.ModelVersionEvent;
import dev.graft.shared.events.TrainingEvent;
import dev.graft.shared.json.Json;
import dev.graft.shared.manifest.ModelManifest;
import dev.graft.shared.store.ModelStore;
import dev.graft.trainer.dataset.LabeledImages;
import dev.graft.trainer.dataset.RemoteDatasets;
import dev.graft.trainer.storage.StorageReadiness;
import dev.graft.trainer.training.Charts;
import dev.graft.trainer.training.Checkpoint;
import dev.graft.trainer.training.Checkpoints;
import dev.graft.trainer.training.EpochResult;
import dev.graft.trainer.training.BaseChecks;
import dev.graft.trainer.training.TrainedModel;
import dev.graft.trainer.training.TrainerMetrics;
import dev.graft.trainer.training.TrainingCancelledException;
import dev.graft.trainer.training.TrainingListener;
import dev.graft.trainer.training.TrainingPlan;
import dev.graft.trainer.training.TrainingReport;
import dev.graft.trainer.training.TrainingRequestValidator;
import dev.graft.trainer.training.TransferRecipe;
import dev.graft.trainer.messaging.TrainingEventPublisher;
import dev.graft.trainer.pool.Cancellations;
import dev.graft.trainer.pool.Claim;
import dev.graft.trainer.pool.Claims;
import dev.graft.trainer.pool.KnownRequests;
import dev.graft.trainer.pool.Outcomes;
import dev.graft.trainer.pool.RequestRecord;
import dev.graft.trainer.pool.TrainingRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.deeplearning4j.util.ModelSerializer;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * One request from its Kafka record to an outcome, on the training thread ({@link #run}): validate,
 * claim it for this trainer in the pool's shared state, train (resuming from a checkpoint another
 * trainer left), store a version, announce it. Never throws: every failure becomes a failed event
 * with the reason. A record that cannot be read or validated also goes to the dead-letter topic as
 * it arrived; a requestId already handled is answered with its first outcome, not trained again; one
 * another trainer runs now is answered with that trainer's outcome once it ends.
 */
@ApplicationScoped
public class TrainingService implements JobRunner {
    private static final Logger LOG = Logger.getLogger(TrainingService.class);
    private static final Duration WAIT_STEP = Duration.ofSeconds(1);

    private final TransferRecipe recipe;
    private final ModelStore store;
    private final TrainingEventPublisher publisher;
    private final TrainerMetrics metrics;
    private final TrainingRegistry registry;
    private final Outcomes outcomes;
    private final Claims claims;
    private final Cancellations cancellations;
    private final Checkpoints checkpoints;
    private final BaseChecks baseChecks;
    private final RemoteDatasets datasets;
    private final StorageReadiness storage;

    public TrainingService(TransferRecipe recipe, ModelStore store, TrainingEventPublisher publisher,
                           TrainerMetrics metrics, TrainingRegistry registry, Outcomes outcomes, Claims claims,
                           Cancellations cancellations, Checkpoints checkpoints, BaseChecks baseChecks,
                           RemoteDatasets datasets, @Readiness StorageReadiness storage) {
        this.recipe = recipe;
        this.store = store;
        this.publisher = publisher;
        this.metrics = metrics;
        this.registry = registry;
        this.outcomes = outcomes;
        this.claims = claims;
        this.cancellations = cancellations;
        this.checkpoints = checkpoints;
        this.baseChecks = baseChecks;
        this.datasets = datasets;
        this.storage = storage;
    }

    /**
     * Everything a trainer does with one record it took, and how the record is then acknowledged:
     * REJECT when dead-lettered, RELEASE when the trainer stops before an outcome (another trainer
     * resumes it), ACCEPT once its outcome is published.
     */
    /** The model store or the pool's state cannot be used: a request taken now could only be released. */
    @Override
    public Optional<String> unavailable() {
        return storage.problem();
    }

    @Override
    public AcknowledgeType run(Job job) {
        long started = System.nanoTime();
        RequestRecord record = job.record();
        TrainingPlan plan;
        try {
            plan = TrainingRequestValidator.parse(record.value());
            baseChecks.check(plan);
            datasets.check(plan.dataset());
        } catch (IllegalArgumentException e) {
            reject(record, e.getMessage(), started);
            return AcknowledgeType.REJECT;
        }
        String requestId = plan.requestId();
        while (true) {
            Optional<TrainingEvent> earlier = earlierOutcome(requestId, plan.model());
            if (earlier.isPresent()) {
                if (claims.current(requestId).filter(record::sameRecord).isPresent()) {
                    // the very record whose outcome a trainer published before it could acknowledge it
                    LOG.infof("request %s: its record came back after its outcome was published; acknowledged", requestId);
                    metrics.job(plan.model(), "acknowledged_again", seconds(started));
                } else {
                    answerAgain(earlier.get(), started);
                }
                return AcknowledgeType.ACCEPT;
            }
            if (job.stopping()) {
                return AcknowledgeType.RELEASE;
            }
            Optional<Claim> holder = claims.current(requestId).filter(claims::isLive);
            if (holder.isPresent()) {
                // the same requestId on another trainer: wait for its outcome, or for it to die
                registry.waiting(requestId, plan.model(), holder.get().trainer());
                Pause.sleep(WAIT_STEP);
                continue;
            }
            Optional<Claim> won;
            try {
                won = claims.take(requestId, record);
            } catch (RuntimeException e) {
                LOG.errorf("request %s cannot be taken on: %s", requestId, e.getMessage());
                fail(requestId, plan.model(), "the trainer cannot keep the request: " + e.getMessage(), started);
                return AcknowledgeType.ACCEPT;
            }
            if (won.isPresent()) {
                job.claimed(won.get());
                break;
            }
        }
        return train(plan, job, started);
    }

    private AcknowledgeType train(TrainingPlan plan, Job job, long started) {
        String requestId = plan.requestId();
        if (cancellations.isCancelled(requestId)) {
            cancel(requestId, plan.model(), "cancelled before it started", started);
            return AcknowledgeType.ACCEPT;
        }
        if (job.lastDelivery()) {
            int stops = job.record().deliveryCount() - 1;
            String reason = "trainers stopped " + stops + " times while training this request (killed, or out of"
                    + " memory?), and Kafka delivers a record at most " + job.record().deliveryCount() + " times, so it"
                    + " is not started again; see the trainers' logs, and send it with a new requestId to try again";
            fail(requestId, plan.model(), reason, started);
            deadLetter(job.record(), reason);
            return AcknowledgeType.ACCEPT;
        }
        Checkpoint checkpoint = checkpoints.of(requestId, job.record().value());
        String accepted = "training " + plan.model() + " (" + plan.task().jsonName() + ") on " + plan.base().weights()
                + " base" + checkpoint.describe().map(from -> ", resuming from " + from).orElse("");
        registry.started(requestId, plan.model(), accepted);
        publisher.progress(TrainingEvent.accepted(requestId, plan.model(), accepted));
        try {
            TrainedModel trained = recipe.run(plan, listener(plan, job), checkpoint);
            if (job.lost()) {
                LOG.warnf("request %s: trained, but another trainer took it over meanwhile; this one stores nothing",
                        requestId);
                return AcknowledgeType.RELEASE;
            }
            TrainingReport[] report = {trained.report()};
            ModelManifest manifest = store.publish(ModelManifest.draft(plan.model(), plan.task(), trained.labels(),
                            trained.targetNormalization(), trained.inputShape(), trained.preprocessing(), trained.metrics(), trained.lineage(),
                            requestId).withPromotion(plan.promotion()),
                    artifact -> {
                        ModelSerializer.writeModel(trained.graph(), artifact.toFile(), false);
                        report[0] = report[0].withCharts(Charts.write(report[0], trained.predictedVsActual(),
                                artifact.getParent()));
                        Files.writeString(artifact.resolveSibling(TrainingReport.FILE), Json.write(report[0]));
                    });
            // stored: from here on the request has succeeded, whatever happens to the announcements
            announce(manifest);
            String message = String.format(Locale.ROOT, "stored %s version %d in %.0f s; validation %s", plan.model(),
                    manifest.version(), seconds(started), manifest.metrics());
            registry.succeeded(requestId, manifest, report[0], message);
            conclude(TrainingEvent.succeeded(requestId, plan.model(), manifest.version(), message));
            metrics.job(plan.model(), "succeeded", seconds(started));
            LOG.infof("request %s: stored %s version %d, metrics %s", requestId, plan.model(), manifest.version(),
                    manifest.metrics());
        } catch (RuntimeException | OutOfMemoryError e) {
            if (job.stopping() && !cancellations.isCancelled(requestId)) {
                // the trainer is shutting down (or lost the request): whatever stopped the training, it is not the
                // request's outcome; the record goes back to the group and the next trainer resumes it
                job.claim().ifPresent(claims::release);
                registry.released(requestId, plan.model(), "released when its trainer stopped: " + e.getMessage());
                metrics.job(plan.model(), "released", seconds(started));
                LOG.infof("request %s released for another trainer (%s); it resumes from %s", requestId, e.getMessage(),
                        checkpoint.describe().orElse("the beginning"));
                return AcknowledgeType.RELEASE;
            } else if (e instanceof TrainingCancelledException) {
                cancel(requestId, plan.model(), e.getMessage(), started);
            } else if (e instanceof IllegalArgumentException) {
                // a problem with the request or its data: the message says it all
                LOG.warnf("request %s failed: %s", requestId, e.getMessage());
                fail(requestId, plan.model(), e.getMessage(), started);
            } else {
                String reason = e.getMessage() != null ? e.getMessage() : e.toString();
                LOG.errorf(e, "request %s failed: %s", requestId, reason);
                fail(requestId, plan.model(), reason, started);
            }
        }
        return AcknowledgeType.ACCEPT;
    }

    /** Events and metrics as the training goes; it stops at the next batch once cancelled or the trainer stops. */
    private TrainingListener listener(TrainingPlan plan, Job job) {
        String requestId = plan.requestId();
        return new TrainingListener() {
            @Override
            public void dataset(LabeledImages train, LabeledImages validation) {
                publisher.progress(TrainingEvent.dataset(requestId, plan.model(), train.size(), validation.size(),
                        train.isClassification() ? train.countsByLabel() : null, describe(train, validation)));
            }

            @Override
            public void phaseStarted(String phase) {
                metrics.phaseStarted(plan.model(), phase);
            }

            @Override
            public void phaseEnded(String phase, double seconds) {
                metrics.phaseEnded(plan.model(), phase, seconds);
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
                publisher.progress(TrainingEvent.epoch(requestId, plan.model(), epoch.phase(), epoch.epoch(),
                        epoch.epochs(), epoch.trainLoss(), epoch.metric(), epoch.trainMetric(),
                        epoch.validationLoss(), epoch.validationMetric(), epoch.imagesPerSecond(), epoch.seconds(),
                        epoch.etaSeconds()));
            }
        };
    }

    /**
     * An unreadable or invalid request: a failed event naming it as well as the JSON (or else the
     * record's key) allows, so the sender can match it, and the record itself on the dead-letter topic. The
     * refusal is recorded apart from outcomes: every trainer can answer it, and the same requestId, corrected,
     * is still a new request.
     */
    private void reject(RequestRecord record, String reason, long started) {
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
        metrics.job(model, "rejected", seconds(started));
        deadLetter(record, reason);
        TrainingEvent failed = TrainingEvent.failed(requestId, model, reason);
        if (requestId != null) {
            outcomes.recordRejection(failed);   // so that every trainer, and this one after a restart, can answer it
        }
        publishOutcome(failed);
    }

    private void deadLetter(RequestRecord record, String reason) {
        try {
            publisher.deadLetter(record.key(), record.value(), record.topic(), record.partition(), record.offset(), reason);
        } catch (RuntimeException e) {
            LOG.errorf(e, "could not put the record at %s offset %d on the dead-letter topic", record.topic(),
                    record.offset());
        }
    }

    /**
     * The first outcome of a requestId seen before: from the recorded outcomes, or, for a version stored just
     * before a crash kept its outcome from being recorded, from the store's manifests (recorded now;
     * {@link #answerAgain} announces its version once more, as for any success answered again).
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

    /**
     * The first outcome again, with a message saying so; for a success its version event too, so a
     * sender that waits for it (bin/graft train) is answered the same way.
     */
    private void answerAgain(TrainingEvent earlier, long started) {
        String requestId = earlier.requestId();
        String message = "request " + requestId + " was already handled, so it is not trained again (send it"
                + " with a new requestId to train again): " + earlier.message();
        LOG.infof("request %s delivered again: answered with its first outcome", requestId);
        metrics.job(earlier.model(), "duplicate", seconds(started));
        switch (earlier.type()) {
            case SUCCEEDED -> {
                try {
                    announce(store.manifest(earlier.model(), earlier.version()));
                } catch (RuntimeException e) {
                    LOG.warnf("version %d of %s, made by request %s, is no longer in the store: %s", earlier.version(),
                            earlier.model(), requestId, e.getMessage());
                }
                publishOutcome(TrainingEvent.succeeded(requestId, earlier.model(), earlier.version(), message));
            }
            case CANCELLED -> publishOutcome(TrainingEvent.cancelled(requestId, earlier.model(), message));
            default -> publishOutcome(TrainingEvent.failed(requestId, earlier.model(), message));
        }
    }

    /** Stopped by its cancellation: nothing stored, the outcome recorded like any other. */
    private void cancel(String requestId, String model, String message, long started) {
        LOG.infof("request %s %s", requestId, message);
        registry.cancelled(requestId, model, message);
        metrics.job(model, "cancelled", seconds(started));
        conclude(TrainingEvent.cancelled(requestId, model, message));
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

    /** A validated request that failed: its outcome is recorded, so sending it again answers the same. */
    private void fail(String requestId, String model, String reason, long started) {
        registry.failed(requestId, model, reason);
        metrics.job(model, "failed", seconds(started));
        conclude(TrainingEvent.failed(requestId, model, reason));
    }

    /**
     * The model-version event of a stored version. A failure is logged, not thrown: the version exists,
     * and sending the request again announces it again (the inference service also finds it when it starts).
     */
    private void announce(ModelManifest manifest) {
        try {
            publisher.version(ModelVersionEvent.of(manifest));
        } catch (RuntimeException e) {
            LOG.errorf(e, "version %d of %s is stored but could not be announced; send request %s again to announce it",
                    manifest.version(), manifest.model(), manifest.requestId());
        }
    }

    /**
     * A taken request's outcome: recorded first (which ends it as pending, so nothing resumes it and a
     * resend gets the same answer), its checkpoints dropped, then published.
     */
    private void conclude(TrainingEvent outcome) {
        outcomes.record(outcome);
        checkpoints.discard(outcome.requestId());
        publishOutcome(outcome);
    }

    private void publishOutcome(TrainingEvent outcome) {
        try {
            publisher.outcome(outcome);
        } catch (RuntimeException e) {
            LOG.errorf(e, "could not publish the outcome of request %s", outcome.requestId());
        }
    }


    private static double seconds(long started) {
        return (System.nanoTime() - started) / 1e9;
    }
}
