package dev.graft.trainer.job;

import org.apache.kafka.clients.consumer.AcknowledgeType;

/** What a trainer does with a record it took, on its training thread, and how the record is then acknowledged. */
@FunctionalInterface
public interface JobRunner {
    AcknowledgeType run(Job job);
}
