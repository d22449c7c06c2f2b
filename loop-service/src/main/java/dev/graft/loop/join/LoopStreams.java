package dev.graft.loop.join;

import dev.graft.contract.events.Topics;
import dev.graft.loop.config.LoopConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs the join's topology: once both source topics exist with as many partitions each (bin/graft and
 * compose create them; a join started before them waits) and the examples' topic by model is created, with exactly-once processing, so that the
 * stores, their changelogs and the outputs commit together and every record counts once across restarts
 * and crashes (the metrics, outside the transaction, at least once). A record the join cannot process is
 * logged and skipped.
 */
@ApplicationScoped
public class LoopStreams {
    private static final Logger LOG = Logger.getLogger(LoopStreams.class);
    private static final List<String> SOURCES = List.of(Topics.PREDICTIONS, Topics.FEEDBACK);

    private final Topology topology;
    private final Map<String, Object> kafka;
    private final LoopConfig config;
    private final Thread starter = new Thread(this::startWhenTopicsExist, "graft-loop-start");
    private volatile KafkaStreams streams;
    private volatile boolean stopping;

    public LoopStreams(Topology topology, @Identifier("default-kafka-broker") Map<String, Object> kafka, LoopConfig config) {
        this.topology = topology;
        this.kafka = Map.copyOf(kafka);
        this.config = config;
    }

    void start(@Observes StartupEvent started) {
        starter.setDaemon(true);
        starter.start();
    }

    /** The Streams client's state; {@code NOT_RUNNING} until the source topics exist. */
    public KafkaStreams.State state() {
        KafkaStreams running = streams;
        return running == null ? KafkaStreams.State.NOT_RUNNING : running.state();
    }

    private void startWhenTopicsExist() {
        Map<String, Object> admin = new HashMap<>(kafka);
        admin.put("client.id", config.loop().applicationId() + "-admin");
        try (Admin client = Admin.create(admin)) {
            while (!stopping) {
                try {
                    Set<String> topics = client.listTopics().names().get(10, TimeUnit.SECONDS);
                    if (topics.containsAll(SOURCES)) {
                        if (coPartitioned(client) && internalTopicsExist(client, topics)) {
                            break;
                        }
                    } else {
                        LOG.infof("waiting for the topics %s", SOURCES);
                    }
                } catch (ExecutionException | TimeoutException e) {
                    LOG.infof("waiting for Kafka: %s", e.getCause() != null ? e.getCause() : e);
                } catch (InterruptedException e) {
                    return;
                }
                sleep(Duration.ofSeconds(2));
            }
        }
        Properties properties = new Properties();
        properties.putAll(kafka);
        properties.put(StreamsConfig.APPLICATION_ID_CONFIG, config.loop().applicationId());
        properties.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        properties.put(StreamsConfig.STATE_DIR_CONFIG, config.loop().stateDir().toAbsolutePath().toString());
        // a record the join cannot process is logged and skipped, not retried forever
        properties.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueProcessingExceptionHandler.class);
        // a retraining writes its dataset to the store inside the transaction: give a slow bucket time (Streams: 10 s)
        properties.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), 60_000);
        synchronized (this) {
            if (stopping) {
                return;
            }
            KafkaStreams created = new KafkaStreams(topology, properties);
            created.setUncaughtExceptionHandler(e -> {
                LOG.errorf(e, "the join's stream thread failed; replacing it");
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
            });
            streams = created;
            created.start();
        }
    }

    /** Both sources keyed by prediction id: the same id must land on the same partition number of each. */
    private boolean coPartitioned(Admin client) throws InterruptedException, ExecutionException, TimeoutException {
        Map<String, Integer> partitions = new HashMap<>();
        client.describeTopics(SOURCES).allTopicNames().get(10, TimeUnit.SECONDS)
                .forEach((topic, description) -> partitions.put(topic, description.partitions().size()));
        if (new java.util.HashSet<>(partitions.values()).size() == 1) {
            return true;
        }
        LOG.errorf("%s must have as many partitions as each other (they are joined by key), not %s: waiting", SOURCES, partitions);
        return false;
    }

    /** The loop's own topics keyed by model (the retraining trigger's, the shadow comparer's): created with as many partitions as the sources. */
    private boolean internalTopicsExist(Admin client, Set<String> topics) throws InterruptedException, ExecutionException,
            TimeoutException {
        List<String> missing = JoinTopology.internalTopics(config.loop().applicationId()).stream()
                .filter(topic -> !topics.contains(topic)).toList();
        if (missing.isEmpty()) {
            return true;
        }
        int partitions = client.describeTopics(List.of(Topics.PREDICTIONS)).allTopicNames().get(10, TimeUnit.SECONDS)
                .get(Topics.PREDICTIONS).partitions().size();
        for (String topic : missing) {
            try {
                client.createTopics(List.of(new NewTopic(topic, Optional.of(partitions), Optional.empty()))).all()
                        .get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    LOG.errorf("cannot create %s (%s): create it with %d partitions, or allow the service to; waiting", topic,
                            e.getCause(), partitions);
                    return false;
                }
            }
        }
        return true;
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void stop(@Observes ShutdownEvent shutdown) {
        KafkaStreams running;
        synchronized (this) {
            stopping = true;
            running = streams;
        }
        if (running != null) {
            running.close(Duration.ofSeconds(30));
        }
    }
}
