package dev.graft.kafka;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A real single-node Apache Kafka broker in KRaft mode (broker and controller in one process), for
 * tests and for {@code bin/graft up}. No Docker, no ZooKeeper; data survives restarts in its folder.
 */
public final class LocalKafkaBroker implements AutoCloseable {
    private static final String HOST = "127.0.0.1";

    private final KafkaRaftServer server;
    private final int port;

    private LocalKafkaBroker(KafkaRaftServer server, int port) {
        this.server = server;
        this.port = port;
    }

    /**
     * Starts a broker listening on 127.0.0.1:{@code port} with its controller on {@code controllerPort},
     * formatting {@code dataDir} on first use. Fails at once if either port is taken, because a
     * broker started on a busy port hangs instead of failing.
     */
    public static LocalKafkaBroker start(Path dataDir, int port, int controllerPort) {
        return start(dataDir, port, controllerPort, Map.of());
    }

    /** As {@link #start(Path, int, int)}, with broker settings of its own (a test's shorter limits). */
    public static LocalKafkaBroker start(Path dataDir, int port, int controllerPort, Map<String, String> overrides) {
        return start(dataDir, port, controllerPort, overrides, null);
    }

    /**
     * A listener as production Kafka runs one: TLS with the broker's key from a PKCS12 key store, and
     * SASL with SCRAM-SHA-512 for the one user it knows. Clients reach it on 127.0.0.1:{@code port}.
     */
    public record SaslSslListener(int port, Path keyStore, String keyStorePassword, String user, String password) {
        public String bootstrapServers() {
            return HOST + ":" + port;
        }

        /** The client settings for it, as Kafka names them: what a service reads from kafka.* or KAFKA_*. */
        public Map<String, String> clientSettings(Path trustStore, String trustStorePassword) {
            return Map.of("bootstrap.servers", bootstrapServers(),
                    "security.protocol", "SASL_SSL",
                    "sasl.mechanism", "SCRAM-SHA-512",
                    "sasl.jaas.config", jaas(user, password),
                    "ssl.truststore.location", trustStore.toAbsolutePath().toString(),
                    "ssl.truststore.password", trustStorePassword,
                    "ssl.truststore.type", "PKCS12");
        }

        public static String jaas(String user, String password) {
            return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                    + "\" password=\"" + password + "\";";
        }
    }

    /**
     * As {@link #start(Path, int, int, Map)}, with a SASL_SSL listener beside the plaintext one (which
     * the broker keeps for itself and for tests' own clients); {@code secure} null: none.
     */
    public static LocalKafkaBroker start(Path dataDir, int port, int controllerPort, Map<String, String> overrides,
                                         SaslSslListener secure) {
        requireFree(port);
        requireFree(controllerPort);
        if (secure != null) {
            requireFree(secure.port());
        }
        try {
            Files.createDirectories(dataDir);
            Path logDir = dataDir.resolve("logs");
            Map<String, Object> config = new HashMap<>(serverConfig(logDir, port, controllerPort));
            if (secure != null) {
                config.putAll(saslSslConfig(port, controllerPort, secure));
            }
            config.putAll(overrides);
            if (!Files.exists(logDir.resolve("meta.properties"))) {
                format(dataDir, config, secure);
            }
            KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(config), Time.SYSTEM);
            server.startup();
            return new LocalKafkaBroker(server, port);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare Kafka data folder " + dataDir, e);
        }
    }

    /** Starts a broker on two free ports, for tests. */
    public static LocalKafkaBroker startOnFreePorts(Path dataDir) {
        return start(dataDir, freePort(), freePort());
    }

    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    /** Creates topics with one partition each; existing ones are left as they are. */
    public void createTopics(Collection<String> topics) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            for (String topic : topics) {
                try {
                    admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + topic + ": " + e.getCause(), e);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Kafka did not create topics " + topics + " within 30 s", e);
        }
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }

    private static Map<String, Object> serverConfig(Path logDir, int port, int controllerPort) {
        return Map.ofEntries(
                Map.entry("process.roles", "broker,controller"),
                Map.entry("node.id", "1"),
                Map.entry("controller.quorum.voters", "1@" + HOST + ":" + controllerPort),
                Map.entry("listeners", "PLAINTEXT://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":" + controllerPort),
                Map.entry("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port),
                Map.entry("controller.listener.names", "CONTROLLER"),
                Map.entry("inter.broker.listener.name", "PLAINTEXT"),
                Map.entry("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"),
                Map.entry("log.dirs", logDir.toAbsolutePath().toString()),
                Map.entry("num.partitions", "1"),
                Map.entry("offsets.topic.replication.factor", "1"),
                Map.entry("offsets.topic.num.partitions", "1"),
                Map.entry("transaction.state.log.replication.factor", "1"),
                Map.entry("transaction.state.log.min.isr", "1"),
                Map.entry("share.coordinator.state.topic.replication.factor", "1"),
                Map.entry("share.coordinator.state.topic.min.isr", "1"),
                Map.entry("group.initial.rebalance.delay.ms", "0"),
                Map.entry("auto.create.topics.enable", "true"),
                // the default 128 MB dedupe buffer alone would need a 192 MB heap
                Map.entry("log.cleaner.dedupe.buffer.size", "4194304"));
    }

    private static Map<String, Object> saslSslConfig(int port, int controllerPort, SaslSslListener secure) {
        String prefix = "listener.name.sasl_ssl.";
        return Map.of(
                "listeners", "PLAINTEXT://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":" + controllerPort
                        + ",SASL_SSL://" + HOST + ":" + secure.port(),
                "advertised.listeners", "PLAINTEXT://" + HOST + ":" + port + ",SASL_SSL://" + HOST + ":" + secure.port(),
                "listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL",
                "sasl.enabled.mechanisms", "SCRAM-SHA-512",
                prefix + "scram-sha-512.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                prefix + "ssl.keystore.location", secure.keyStore().toAbsolutePath().toString(),
                prefix + "ssl.keystore.password", secure.keyStorePassword(),
                prefix + "ssl.key.password", secure.keyStorePassword(),
                prefix + "ssl.keystore.type", "PKCS12");
    }

    private static void format(Path dataDir, Map<String, Object> config, SaslSslListener secure) throws IOException {
        Properties properties = new Properties();
        properties.putAll(config);
        Path file = dataDir.resolve("server.properties");
        try (OutputStream out = Files.newOutputStream(file)) {
            properties.store(out, "written by Graft's LocalKafkaBroker");
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        List<String> args = new java.util.ArrayList<>(List.of("format", "-t", Uuid.randomUuid().toString(), "-c", file.toString()));
        if (secure != null) {
            // SCRAM users live in the cluster's metadata: in KRaft the first ones are written when it is formatted
            args.addAll(List.of("--add-scram", "SCRAM-SHA-512=[name=" + secure.user() + ",password=" + secure.password() + "]"));
        }
        int rc = StorageTool.execute(args.toArray(String[]::new), new PrintStream(output, true, StandardCharsets.UTF_8));
        if (rc != 0) {
            throw new IllegalStateException("formatting Kafka storage in " + dataDir + " failed: "
                    + output.toString(StandardCharsets.UTF_8));
        }
    }

    private static void requireFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
        } catch (IOException e) {
            throw new IllegalStateException("port " + port + " on " + HOST + " is in use: is another Kafka running?");
        }
    }

    /** A port free on the broker's host now, for a broker a test starts later or again. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }
}
