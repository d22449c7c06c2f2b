package dev.graft.cli;

import dev.graft.contract.events.ModelVersionEvent;
import dev.graft.contract.events.Topics;
import dev.graft.contract.events.TrainingEvent;
import dev.graft.contract.json.Json;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Publishes a training request and follows it: the trainer's progress events are printed as they
 * come, and it returns once the request failed, or succeeded and its model-version event arrived.
 */
public final class TrainingFollower {
    private final String bootstrap;
    private final PrintStream out;

    public TrainingFollower(String bootstrap, PrintStream out) {
        this.bootstrap = bootstrap;
        this.out = out;
    }

    /** How a request ended: the final event, and the new version if it succeeded. */
    public record Outcome(TrainingEvent last, ModelVersionEvent version) {
        public boolean succeeded() {
            return last.type() == TrainingEvent.Type.SUCCEEDED;
        }
    }

    public Outcome trainAndFollow(String requestId, String requestJson, Duration timeout) {
        try (Watch watch = watch();
             KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(Topics.TRAINING_REQUESTS, requestId, requestJson)).get();
            return watch.await(requestId::equals, timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("could not publish the request to Kafka at " + bootstrap + ": " + e.getCause(), e);
        }
    }

    /** Starts watching from the ends of the events topics: no event of a request sent after this is missed. */
    public Watch watch() {
        return new Watch();
    }

    /** The training events and model versions from where {@link #watch} found their ends. */
    public final class Watch implements AutoCloseable {
        private final KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"), new StringDeserializer(), new StringDeserializer());

        private Watch() {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(Topics.TRAINING_EVENTS, Topics.MODEL_VERSIONS)) {
                consumer.partitionsFor(topic, Duration.ofSeconds(30))
                        .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
        }

        /**
         * Prints the events of the first request whose id {@code request} accepts (one someone else may send) until it
         * failed, or succeeded and its model-version event arrived.
         */
        public Outcome await(Predicate<String> request, Duration timeout) {
            String requestId = null;
            TrainingEvent last = null;
            // every version seen: a poll may hand over a request's version before its training events
            Map<String, ModelVersionEvent> versions = new HashMap<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.topic().equals(Topics.MODEL_VERSIONS)) {
                        ModelVersionEvent event = Json.read(record.value(), ModelVersionEvent.class);
                        if (event.requestId() != null) {
                            versions.put(event.requestId(), event);
                        }
                    } else {
                        TrainingEvent event = Json.read(record.value(), TrainingEvent.class);
                        if (requestId == null && event.requestId() != null && request.test(event.requestId())) {
                            requestId = event.requestId();
                        }
                        if (event.requestId() != null && event.requestId().equals(requestId)) {
                            print(event);
                            last = event;
                        }
                    }
                }
                // a success ends with its version event (published just before it); other outcomes have none
                ModelVersionEvent version = requestId == null ? null : versions.get(requestId);
                if (last != null && last.isFinal() && (last.type() != TrainingEvent.Type.SUCCEEDED || version != null)) {
                    return new Outcome(last, version);
                }
            }
            throw new IllegalStateException((requestId == null ? "no matching request started" : "request " + requestId
                    + " did not finish") + " within " + timeout
                    + (last == null ? "; no event at all: is the trainer running (bin/graft up)?" : ""));
        }

        @Override
        public void close() {
            consumer.close();
        }
    }

    private static double orNaN(Double value) {
        return value == null ? Double.NaN : value;
    }

    /** 42s, 3m05s or 1h02m. */
    static String duration(Double seconds) {
        if (seconds == null || !Double.isFinite(seconds)) {
            return "?";
        }
        long s = Math.round(seconds);
        if (s < 60) {
            return s + "s";
        }
        return s < 3600 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60)
                : String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
    }

    private void print(TrainingEvent event) {
        String who = "[" + event.model() + "] ";
        switch (event.type()) {
            case EPOCH -> out.printf(Locale.ROOT,
                    "%s%-9s epoch %d/%d  loss %.4f  %s %.4f  val_loss %.4f  val_%s %.4f  (%.0f img/s, %s, ETA %s)%n",
                    who, event.phase(), event.epoch(), event.epochs(), event.loss(), event.metric(),
                    orNaN(event.trainMetric()), event.validationLoss(), event.metric(), event.validationMetric(),
                    event.imagesPerSecond(), duration(event.seconds()), duration(event.etaSeconds()));
            default -> out.println(who + event.type().name().toLowerCase(Locale.ROOT) + ": " + event.message());
        }
    }
}
