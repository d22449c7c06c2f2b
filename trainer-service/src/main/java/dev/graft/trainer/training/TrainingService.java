package dev.graft.trainer.training;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.shared.events.ModelVersionEvent;
import dev.graft.shared.events.TrainingEvent;
import dev.graft.shared.events.TrainingRequest;
import dev.graft.shared.json.Json;
import dev.graft.shared.manifest.ModelManifest;
import dev.graft.shared.store.ModelStore;
import dev.graft.trainer.dataset.LabeledImages;
import dev.graft.trainer.messaging.RequestRecord;
import dev.graft.trainer.messaging.TrainingEventPublisher;
import jakarta.enterprise.context.ApplicationScoped;
import org.deeplearning4j.util.ModelSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.file.Files;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * One request from its Kafka record to an outcome: validate and keep it ({@link #accept}), then,
 * on the training thread, train, store a version, announce it ({@link #train}). Never throws: every
 * failure becomes a failed event with the reason, and the consumer goes on. A record that cannot be
 * read or validated also goes to the dead-letter topic as it arrived; a requestId already handled is
 * answered with its first outcome, not trained again.
 */
@ApplicationScoped
public class TrainingService {
    private static final Logger LOG = Logger.getLogger(TrainingService.class);

    private final TransferRecipe recipe;
    private final ModelStore store;
    private final TrainingEventPublisher publisher;
    private final TrainerMetrics metrics;
    private final TrainingRegistry registry;
    private final RequestJournal journal;
    private final Cancellations cancellations;
    private final Checkpoints checkpoints;
    private final FineTuneLayers layers;
    private final int maxAttempts;

    public TrainingService(TransferRecipe recipe, ModelStore store, TrainingEventPublisher publisher,
                           TrainerMetrics metrics, TrainingRegistry registry, RequestJournal journal,
                           Cancellations cancellations, Checkpoints checkpoints, FineTuneLayers layers,
                           @ConfigProperty(name = "graft.trainer.max-attempts", defaultValue = "3") int maxAttempts) {
        this.recipe = recipe;
        this.store = store;
        this.publisher = publisher;
        this.metrics = metrics;
        this.registry = registry;
        this.journal = journal;
        this.cancellations = cancellations;
        this.checkpoints = checkpoints;
        this.layers = layers;
        this.maxAttempts = maxAttempts;
    }

    /**
     * A record off Kafka: what the trainer must run for it, or empty when it has been answered (a
     * rejection, the first outcome of a requestId seen before) or is already waiting (the same record
     * delivered again). A new request is kept in the journal before this returns, so its record can
     * be acknowledged at once, however long the training will take.
     */
    public Optional<PendingRequest> accept(RequestRecord record) {
        long started = System.nanoTime();
        TrainingPlan plan;
        try {
            plan = plan(record.value());
            layers.check(plan);
        } catch (IllegalArgumentException e) {
            reject(record, e.getMessage(), started);
            return Optional.empty();
        }
        String requestId = plan.requestId();
        Optional<TrainingEvent> earlier = earlierOutcome(requestId);
        if (earlier.isPresent()) {
            answerAgain(earlier.get(), started);
            return Optional.empty();
        }
        PendingRequest pending = new PendingRequest(requestId, record.value(), record.topic(), record.partition(),
                record.offset(), Instant.now(), 0);
        Optional<PendingRequest> waiting = journal.pending(requestId);
        if (waiting.isPresent()) {
            if (waiting.get().sameRecord(record.topic(), record.partition(), record.offset())) {
                LOG.infof("request %s: its record was delivered again; it is already waiting or training", requestId);
                return Optional.empty();
            }
            // sent again while the first is waiting: when its turn comes, it gets the first's outcome
            return Optional.of(pending);
        }
        try {
            journal.accept(pending);
        } catch (RuntimeException e) {
            LOG.errorf("request %s cannot be taken on: %s", requestId, e.getMessage());
            fail(requestId, plan.model(), "the trainer cannot keep the request: " + e.getMessage(), started);
            return Optional.empty();
        }
        registry.queued(requestId, plan.model(), "waiting for its turn to train");
        return Optional.of(pending);
    }

    /** Requests a trainer took on and did not finish before it stopped, oldest first, to run again. */
    public List<PendingRequest> unfinished() {
        List<PendingRequest> pending = journal.pending();
        for (PendingRequest request : pending) {
            String model = null;
            try {
                model = plan(request.request()).model();
            } catch (IllegalArgumentException e) {
                // train() fails it with the reason when its turn comes
            }
            registry.queued(request.requestId(), model, "waiting to resume after a restart");
        }
        return pending;
    }

    /**
     * Trains a request taken on, resuming from its checkpoint when a trainer stopped during it, or
     * answers it when its outcome is already known (a second delivery that waited behind the first).
     * Never throws: every failure becomes a failed event. When {@code stopping} turns true, the
     * training stops at its next batch and stays pending, to resume when the trainer starts again.
     */
    public void train(PendingRequest taken, BooleanSupplier stopping) {
        long started = System.nanoTime();
        String requestId = taken.requestId();
        Optional<TrainingEvent> earlier = earlierOutcome(requestId);
        if (earlier.isPresent()) {
            answerAgain(earlier.get(), started);
            return;
        }
        TrainingPlan plan;
        try {
            plan = plan(taken.request());
        } catch (IllegalArgumentException e) {
            // validated when it was taken on; only a trainer of another version can see it differently
            fail(requestId, null, e.getMessage(), started);
            return;
        }
        if (cancellations.isCancelled(requestId)) {
            cancel(requestId, plan.model(), "cancelled before it started", started);
            return;
        }
        PendingRequest pending = journal.attempt(taken);
        if (pending.attempts() > maxAttempts) {
            fail(requestId, plan.model(), "the trainer stopped " + (pending.attempts() - 1) + " times while training"
                    + " this request (killed, or out of memory?), so it is not started again; see the trainer's log,"
                    + " and send it with a new requestId to try again", started);
            return;
        }
        Checkpoint checkpoint = checkpoints.of(requestId, pending.request());
        String accepted = "training " + plan.model() + " (" + plan.task().jsonName() + ") on " + plan.base().weights()
                + " base" + checkpoint.describe().map(from -> ", resuming from " + from).orElse("");
        registry.started(requestId, plan.model(), accepted);
        publisher.progress(TrainingEvent.accepted(requestId, plan.model(), accepted));
        try {
            TrainedModel trained = recipe.run(plan, listener(plan, stopping), checkpoint);
            TrainingReport[] report = {trained.report()};
            ModelManifest manifest = store.publish(ModelManifest.draft(plan.model(), plan.task(), trained.labels(),
                            trained.targetNormalization(), trained.inputShape(), trained.metrics(), trained.lineage(),
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
            if (stopping.getAsBoolean() && !cancellations.isCancelled(requestId)) {
                // the trainer is shutting down: whatever stopped the training, it is not the request's
                // outcome; it stays pending with this start uncounted, and resumes on restart
                journal.accept(taken);
                LOG.infof("request %s stopped for the trainer's shutdown (%s); it resumes from %s when a trainer starts",
                        requestId, e.getMessage(), checkpoint.describe().orElse("the beginning"));
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
    }

    private static TrainingPlan plan(String json) {
        if (json == null || json.isBlank()) {
            throw new IllegalArgumentException("the record is empty: a training request is a JSON object");
        }
        return TrainingRequestValidator.validate(Json.read(json, TrainingRequest.class));
    }

    /** Events and metrics as the training goes; it stops at the next batch once cancelled or the trainer stops. */
    private TrainingListener listener(TrainingPlan plan, BooleanSupplier stopping) {
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
                return cancellations.isCancelled(requestId) || stopping.getAsBoolean();
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
     * record's key) allows, so the sender can match it, and the record itself on the dead-letter topic. Not journaled: the same
     * requestId, corrected, is a new request.
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
        LOG.warnf("rejected request %s (%s offset %d): %s", requestId, record.topic(), record.offset(), reason);
        registry.failed(requestId, model, reason);
        metrics.job(model, "rejected", seconds(started));
        try {
            publisher.deadLetter(record, reason);
        } catch (RuntimeException e) {
            LOG.errorf(e, "could not put the rejected record at %s offset %d on the dead-letter topic", record.topic(),
                    record.offset());
        }
        publishOutcome(TrainingEvent.failed(requestId, model, reason));
    }

    /**
     * The first outcome of a requestId seen before: from the journal, or, for a version stored just
     * before a crash kept its outcome from being recorded, from the store's manifests (recorded now;
     * {@link #answerAgain} announces its version once more, as for any success answered again).
     */
    private Optional<TrainingEvent> earlierOutcome(String requestId) {
        Optional<TrainingEvent> recorded = journal.outcome(requestId);
        if (recorded.isPresent()) {
            return recorded;
        }
        return registry.stored(requestId).map(manifest -> {
            TrainingEvent succeeded = TrainingEvent.succeeded(requestId, manifest.model(), manifest.version(),
                    "stored " + manifest.model() + " version " + manifest.version());
            journal.record(succeeded);
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
        journal.record(outcome);
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
