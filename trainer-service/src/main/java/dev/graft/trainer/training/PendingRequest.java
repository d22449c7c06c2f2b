package dev.graft.trainer.training;

import java.time.Instant;

/**
 * A validated request the trainer took off Kafka and has not finished: kept on disk from before its
 * record is acknowledged until its outcome is recorded, so a restart resumes it.
 *
 * @param request  the record's value as it arrived (validated again when its turn comes)
 * @param topic    where the record came from: a redelivery of the same record is not a second request
 * @param attempts how many times a trainer has started on it; each start after a crash counts
 */
public record PendingRequest(String requestId, String request, String topic, int partition, long offset,
                             Instant received, int attempts) {

    boolean sameRecord(String topic, int partition, long offset) {
        return this.topic.equals(topic) && this.partition == partition && this.offset == offset;
    }

    PendingRequest attempted() {
        return new PendingRequest(requestId, request, topic, partition, offset, received, attempts + 1);
    }
}
