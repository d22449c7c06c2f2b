package dev.graft.kafka;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalKafkaBrokerTest {

    @Test
    void recordsSurviveARestartOnTheSameDataFolder(@TempDir Path data) throws Exception {
        int port;
        int controllerPort;
        try (LocalKafkaBroker broker = LocalKafkaBroker.startOnFreePorts(data)) {
            broker.createTopics(List.of("t"));
            broker.createTopics(List.of("t")); // a second create of the same topic is harmless
            send(broker.bootstrapServers(), "t", "first");
            port = Integer.parseInt(broker.bootstrapServers().split(":")[1]);
        }
        try (ServerSocket probe = new ServerSocket(0, 0, InetAddress.getByName("127.0.0.1"))) {
            controllerPort = probe.getLocalPort();
        }
        try (LocalKafkaBroker again = LocalKafkaBroker.start(data, port, controllerPort)) {
            send(again.bootstrapServers(), "t", "second");
            assertThat(readAll(again.bootstrapServers(), "t", 2)).containsExactly("first", "second");
        }
    }

    @Test
    void aBusyPortFailsFastInsteadOfHanging(@TempDir Path data) throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 0, InetAddress.getByName("127.0.0.1"))) {
            assertThatThrownBy(() -> LocalKafkaBroker.start(data, busy.getLocalPort(), busy.getLocalPort() + 1))
                    .hasMessageContaining("port " + busy.getLocalPort() + " on 127.0.0.1 is in use");
        }
    }

    private static void send(String bootstrap, String topic, String value) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, value)).get();
        }
    }

    private static List<String> readAll(String bootstrap, String topic, int expected) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "test",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 30_000;
            while (values.size() < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }
}
