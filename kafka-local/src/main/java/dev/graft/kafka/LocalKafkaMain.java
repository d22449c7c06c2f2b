package dev.graft.kafka;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar kafka-local.jar --data .graft/kafka --port 9092 --topics a,b,c}: runs the broker
 * until the process is stopped. Prints one line "READY host:port" once topics exist.
 */
public final class LocalKafkaMain {
    private LocalKafkaMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        Path data = Path.of(".graft/kafka");
        int port = 9092;
        List<String> topics = List.of();
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--data" -> data = Path.of(args[i + 1]);
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--topics" -> topics = Arrays.stream(args[i + 1].split(",")).filter(t -> !t.isBlank()).toList();
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (use --data DIR --port N --topics a,b)");
            }
        }
        LocalKafkaBroker broker;
        try {
            broker = LocalKafkaBroker.start(data, port, port + 1);
            broker.createTopics(topics);
        } catch (RuntimeException e) {
            System.err.println("kafka-local: " + e.getMessage());
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            broker.close();
            stopped.countDown();
        }, "kafka-local-shutdown"));
        System.out.println("READY " + broker.bootstrapServers() + " data=" + data.toAbsolutePath());
        stopped.await();
    }
}
