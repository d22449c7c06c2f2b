package dev.graft.trainer.job;

import org.apache.kafka.clients.consumer.AcknowledgeType;

import java.util.Optional;

/** What a trainer does with a record it took, on its training thread, and how the record is then acknowledged. */
@FunctionalInterface
public interface JobRunner {
    AcknowledgeType run(Job job);

    /**
     * Why no record should be taken now (the storage every job needs is away), or empty. A record taken
     * and released would spend one of Kafka's deliveries; one left in the group spends none.
     */
    default Optional<String> unavailable() {
        return Optional.empty();
    }
}
