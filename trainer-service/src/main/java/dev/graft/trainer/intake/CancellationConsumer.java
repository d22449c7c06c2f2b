package dev.graft.trainer.intake;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.contract.json.Json;
import dev.graft.trainer.pool.Cancellations;
import io.smallrye.reactive.messaging.kafka.Record;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Reads {@code graft.training.cancellations} from the start in a group of its own, so every trainer
 * learns every cancellation, also those sent before it started. The requestId is the value's
 * {@code requestId}, or the record key when the value is not such JSON.
 */
@ApplicationScoped
public class CancellationConsumer {
    public static final String CHANNEL = "training-cancellations";
    private static final Logger LOG = Logger.getLogger(CancellationConsumer.class);

    private final Cancellations cancellations;

    public CancellationConsumer(Cancellations cancellations) {
        this.cancellations = cancellations;
    }

    @Incoming(CHANNEL)
    public void consume(Record<String, String> record) {
        String requestId = requestId(record);
        if (requestId == null) {
            LOG.warnf("ignored a cancellation without a requestId (key %s): %s", record.key(), record.value());
            return;
        }
        LOG.infof("cancellation of request %s received", requestId);
        cancellations.cancel(requestId);
    }

    private static String requestId(Record<String, String> record) {
        try {
            JsonNode value = record.value() == null ? null : Json.MAPPER.readTree(record.value());
            if (value != null && value.path("requestId").isTextual()) {
                return value.get("requestId").asText();
            }
        } catch (Exception notJson) {
            // fall back to the key
        }
        return record.key() == null || record.key().isBlank() ? null : record.key();
    }
}
