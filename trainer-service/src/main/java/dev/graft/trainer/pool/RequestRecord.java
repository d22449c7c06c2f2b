package dev.graft.trainer.pool;

/**
 * A training request as it came off Kafka: the value to read, where it came from (for the
 * dead-letter topic, and to tell a redelivery of the same record from a second request), and how
 * many times the share group has delivered it, this time included; {@code traceContext}: its W3C trace
 * context headers ({@code traceparent}, {@code tracestate}), so that its training continues the sender's trace.
 */
public record RequestRecord(String key, String value, String topic, int partition, long offset, int deliveryCount,
                            java.util.Map<String, String> traceContext) {

    public boolean sameRecord(Claim claim) {
        return topic.equals(claim.topic()) && partition == claim.partition() && offset == claim.offset();
    }
}
