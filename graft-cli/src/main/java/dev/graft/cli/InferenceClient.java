package dev.graft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.contract.json.Json;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/** The inference service's HTTP API, as the CLI uses it. */
public final class InferenceClient {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String baseUrl;

    public InferenceClient(String baseUrl) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    }

    public JsonNode predict(String model, Path image) throws IOException, InterruptedException {
        String name = image.getFileName().toString().toLowerCase(Locale.ROOT);
        String type = name.endsWith(".png") ? "image/png" : name.endsWith(".jpg") || name.endsWith(".jpeg")
                ? "image/jpeg" : "application/octet-stream";
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/models/" + model + "/predict"))
                .header("Content-Type", type)
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(Files.readAllBytes(image))).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = Json.MAPPER.readTree(response.body());
        if (response.statusCode() != 200) {
            throw new IOException("HTTP " + response.statusCode() + ": " + body.path("error").asText(response.body()));
        }
        return body;
    }

    /** Waits until {@code model} serves {@code version} or newer. */
    public void awaitServing(String model, int version, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/models"))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            for (JsonNode serving : Json.MAPPER.readTree(response.body())) {
                if (serving.path("model").asText().equals(model) && serving.path("version").asInt() >= version) {
                    return;
                }
            }
            Thread.sleep(250);
        }
        throw new IOException(model + " version " + version + " is not serving after " + timeout);
    }
}
