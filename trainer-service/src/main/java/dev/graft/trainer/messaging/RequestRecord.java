package dev.graft.trainer.messaging;

/** A training request as it came off Kafka: the value to read, and where it came from for the dead-letter topic. */
public record RequestRecord(String key, String value, String topic, int partition, long offset) {
}
