package dev.graft.testing;

import dev.graft.kafka.LocalKafkaBroker;
import org.apache.commons.io.FileUtils;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Starts a real Kafka broker for a @QuarkusTest (Dev Services would need Docker) and points the
 * application's {@code kafka.bootstrap.servers} at it.
 */
public class KafkaBrokerTestResource implements QuarkusTestResourceLifecycleManager {
    private Path dataDir;
    private LocalKafkaBroker broker;

    @Override
    public Map<String, String> start() {
        try {
            dataDir = Files.createTempDirectory("graft-kafka-test");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // share-group locks down to 1 s (the broker's own floor is 15 s), so a test can outlast a lock in seconds
        broker = LocalKafkaBroker.start(dataDir, LocalKafkaBroker.freePort(), LocalKafkaBroker.freePort(),
                Map.of("group.share.min.record.lock.duration.ms", "1000"));
        return Map.of("kafka.bootstrap.servers", broker.bootstrapServers());
    }

    @Override
    public void stop() {
        if (broker != null) {
            broker.close();
        }
        if (dataDir != null) {
            FileUtils.deleteQuietly(dataDir.toFile());   // a temp folder left behind is harmless
        }
    }
}
