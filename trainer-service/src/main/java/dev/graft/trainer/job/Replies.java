package dev.graft.trainer.job;

import dev.graft.contract.events.TrainingEvent;
import dev.graft.trainer.messaging.TrainingEventPublisher;
import dev.graft.trainer.pool.RequestRecord;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * What a trainer answers on Kafka for a record it took: the request's outcome, and the record itself
 * on the dead-letter topic. A failure is logged, not thrown: what the job has done stands, and the
 * outcome recorded in the pool's state answers a resend.
 */
@ApplicationScoped
class Replies {
    private static final Logger LOG = Logger.getLogger(Replies.class);

    private final TrainingEventPublisher events;

    Replies(TrainingEventPublisher events) {
        this.events = events;
    }

    void outcome(TrainingEvent outcome) {
        try {
            events.outcome(outcome);
        } catch (RuntimeException e) {
            LOG.errorf(e, "could not publish the outcome of request %s", outcome.requestId());
        }
    }

    void deadLetter(RequestRecord record, String reason) {
        try {
            events.deadLetter(record.key(), record.value(), record.topic(), record.partition(), record.offset(), reason);
        } catch (RuntimeException e) {
            LOG.errorf(e, "could not put the record at %s offset %d on the dead-letter topic", record.topic(),
                    record.offset());
        }
    }
}
