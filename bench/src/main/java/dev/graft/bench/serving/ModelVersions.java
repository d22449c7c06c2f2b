package dev.graft.bench.serving;

import dev.graft.contract.events.ModelVersionEvent;
import dev.graft.contract.events.Topics;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.store.ModelStore;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;

/**
 * Versions as the trainer makes them: published to the benchmark's store, announced on Kafka; a swap
 * publishes the same network again and waits until the service serves it.
 */
final class ModelVersions {
    private final ModelStore store;
    private final HttpClient http;
    private final String baseUrl;
    private final KafkaProducer<String, String> producer;
    private final byte[] artifact;
    private final ServedModel served;

    /** @param artifact the serialized network every swap publishes, a {@code served} model */
    ModelVersions(ModelStore store, ServedModel served, byte[] artifact, KafkaProducer<String, String> producer, HttpClient http,
                  String baseUrl) {
        this.store = store;
        this.served = served;
        this.artifact = artifact;
        this.producer = producer;
        this.http = http;
        this.baseUrl = baseUrl;
    }

    /** Version 1 of {@code model}, before the service starts: it loads what the store holds. */
    static ModelManifest publish(ModelStore store, ServedModel served, String model, ComputationGraph network) {
        return store.publish(served.manifest(model), file -> ModelSerializer.writeModel(network, file.toFile(), false));
    }

    /** Publishes a new version (the same network), announces it on Kafka and waits until it serves. */
    void swap(String model) throws Exception {
        ModelManifest manifest = store.publish(served.manifest(model), file -> Files.write(file, artifact));
        producer.send(new ProducerRecord<>(Topics.MODEL_VERSIONS, model, Json.write(ModelVersionEvent.of(manifest)))).get();
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> status = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/models/" + model)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (status.statusCode() == 200 && Json.MAPPER.readTree(status.body()).path("version").asInt() == manifest.version()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(model + " version " + manifest.version() + " did not serve within 2 minutes");
    }
}
