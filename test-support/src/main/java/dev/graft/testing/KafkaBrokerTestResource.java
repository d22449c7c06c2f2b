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
        broker = LocalKafkaBroker.startOnFreePorts(dataDir);
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
