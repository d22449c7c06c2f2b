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
import java.util.Map;

/** The inference service's HTTP API, as the CLI uses it. */
public final class InferenceClient {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String baseUrl;

    public InferenceClient(String baseUrl) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    }

    public JsonNode predict(String model, Path image) throws IOException, InterruptedException {
        return predict(model, image, null);
    }

    /** The answer of {@code version} when given (a loaded or stored one), else of the serving version. */
    public JsonNode predict(String model, Path image, Integer version) throws IOException, InterruptedException {
        String name = image.getFileName().toString().toLowerCase(Locale.ROOT);
        String type = name.endsWith(".png") ? "image/png" : name.endsWith(".jpg") || name.endsWith(".jpeg")
                ? "image/jpeg" : "application/octet-stream";
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + "/api/models/" + model + "/predict"))
                .header("Content-Type", type)
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(Files.readAllBytes(image)));
        if (version != null) {
            request.header("X-Graft-Model-Version", version.toString());
        }
        return answer(http.send(request.build(), HttpResponse.BodyHandlers.ofString()), 200);
    }

    /** Says what a prediction should have been: a classifier's true label. */
    public void feedback(String model, String predictionId, String label) throws IOException, InterruptedException {
        String json = Json.write(Map.of("predictionId", predictionId, "label", label));
        answer(http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/models/" + model + "/feedback"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString()), 202);
    }

    /**
     * Makes {@code version} serve now whatever the promotion rule or the live gate would say: pins it, then
     * unpins it (it serves on until a newer version replaces it). Needs the admin key.
     */
    public void makeServe(String model, int version, String adminKey) throws IOException, InterruptedException {
        URI serving = URI.create(baseUrl + "/api/models/" + model + "/serving");
        answer(http.send(HttpRequest.newBuilder(serving).header("Content-Type", "application/json")
                .header("X-Graft-Api-Key", adminKey == null ? "" : adminKey).timeout(Duration.ofMinutes(2))
                .PUT(HttpRequest.BodyPublishers.ofString(Json.write(Map.of("version", version)))).build(),
                HttpResponse.BodyHandlers.ofString()), 200);
        answer(http.send(HttpRequest.newBuilder(serving).header("X-Graft-Api-Key", adminKey == null ? "" : adminKey)
                .timeout(Duration.ofMinutes(2)).DELETE().build(), HttpResponse.BodyHandlers.ofString()), 200);
    }

    /** What {@code GET /api/models} says of one model: its serving version, held-back and failed versions. */
    public JsonNode status(String model) throws IOException, InterruptedException {
        return get(baseUrl + "/api/models/" + model);
    }

    /** A GET answered 200 with JSON, e.g. the loop service's /api/live. */
    public JsonNode get(String url) throws IOException, InterruptedException {
        return answer(http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString()), 200);
    }

    private static JsonNode answer(HttpResponse<String> response, int expected) throws IOException {
        JsonNode body = Json.MAPPER.readTree(response.body());
        if (response.statusCode() != expected) {
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
