package dev.graft.trainer.pool;

/**
 * A training request as it came off Kafka: the value to read, where it came from (for the
 * dead-letter topic, and to tell a redelivery of the same record from a second request), and how
 * many times the share group has delivered it, this time included.
 */
public record RequestRecord(String key, String value, String topic, int partition, long offset, int deliveryCount) {

    public boolean sameRecord(Claim claim) {
        return topic.equals(claim.topic()) && partition == claim.partition() && offset == claim.offset();
    }
}
