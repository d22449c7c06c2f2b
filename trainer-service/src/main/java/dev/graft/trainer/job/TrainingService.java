package dev.graft.trainer.job;

import dev.graft.trainer.storage.StorageReadiness;
import dev.graft.trainer.training.Checkpoint;
import dev.graft.trainer.training.TrainedModel;
import dev.graft.trainer.training.TrainingPlan;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.eclipse.microprofile.health.Readiness;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import org.jboss.logging.Logger;

import java.util.Optional;

/**
 * One request from its Kafka record to an outcome, on the training thread: validate, deduplicate,
 * claim, train, publish, conclude, each step one collaborator; every failure of the request becomes a
 * failed event with the reason. What is left here is how the record is then acknowledged: REJECT when
 * dead-lettered at validation, RELEASE when the trainer stops before an outcome (another trainer
 * resumes it), ACCEPT once its outcome is published.
 */
@ApplicationScoped
public class TrainingService implements JobRunner {
    private static final Logger LOG = Logger.getLogger(TrainingService.class);

    private final RequestValidation validation;
    private final Duplicates duplicates;
    private final Claiming claiming;
    private final Training training;
    private final ModelPublisher publisher;
    private final Conclusions conclusions;
    private final Failures failures;
    private final StorageReadiness storage;
    private final TrainingTrace trace;

    TrainingService(RequestValidation validation, Duplicates duplicates, Claiming claiming, Training training,
                    ModelPublisher publisher, Conclusions conclusions, Failures failures,
                    @Readiness StorageReadiness storage, TrainingTrace trace) {
        this.validation = validation;
        this.duplicates = duplicates;
        this.claiming = claiming;
        this.training = training;
        this.publisher = publisher;
        this.conclusions = conclusions;
        this.failures = failures;
        this.storage = storage;
        this.trace = trace;
    }

    /** The model store or the pool's state cannot be used: a request taken now could only be released. */
    @Override
    public Optional<String> unavailable() {
        return storage.problem();
    }

    /** In the request's trace: every event, phase and store write of it, and the model-version event. */
    @Override
    public AcknowledgeType run(Job job) {
        Span span = trace.request(job.record());
        try (Scope scope = span.makeCurrent()) {
            AcknowledgeType acknowledged = runTraced(job);
            span.setAttribute("graft.acknowledged", acknowledged.name());
            return acknowledged;
        } finally {
            span.end();
        }
    }

    private AcknowledgeType runTraced(Job job) {
        Stopwatch stopwatch = new Stopwatch();
        Optional<TrainingPlan> plan = validation.validate(job.record(), stopwatch);
        if (plan.isEmpty()) {
            return AcknowledgeType.REJECT;
        }
        return claim(plan.get(), job, stopwatch).orElseGet(() -> train(plan.get(), job, stopwatch));
    }

    /** Deduplicates until this trainer holds the claim; an acknowledgement when the job ends here instead. */
    private Optional<AcknowledgeType> claim(TrainingPlan plan, Job job, Stopwatch stopwatch) {
        while (job.claim().isEmpty()) {
            if (duplicates.answered(plan, job.record(), stopwatch)) {
                return Optional.of(AcknowledgeType.ACCEPT);
            }
            if (job.stopping()) {
                return Optional.of(AcknowledgeType.RELEASE);
            }
            try {
                claiming.take(plan, job.record()).ifPresent(job::claimed);
            } catch (RuntimeException e) {
                return Optional.of(failures.notClaimed(plan, e, stopwatch));
            }
        }
        return Optional.empty();
    }

    private AcknowledgeType train(TrainingPlan plan, Job job, Stopwatch stopwatch) {
        Optional<Checkpoint> checkpoint = training.start(plan, job, stopwatch);
        if (checkpoint.isEmpty()) {
            return AcknowledgeType.ACCEPT;
        }
        try {
            TrainedModel trained = training.run(plan, job, checkpoint.get());
            if (job.lost()) {
                LOG.warnf("request %s: trained, but another trainer took it over meanwhile; this one stores nothing",
                        plan.requestId());
                return AcknowledgeType.RELEASE;
            }
            conclusions.succeeded(plan, publisher.publish(plan, trained), stopwatch);
            return AcknowledgeType.ACCEPT;
        } catch (RuntimeException | OutOfMemoryError e) {
            return failures.notTrained(plan, job, checkpoint.get(), e, stopwatch);
        }
    }
}
