package dev.graft.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Prometheus (the binary on PATH, Debian's package) scraping local services with
 * deploy/prometheus/prometheus.yml: its targets pointed at the given ports, scraped every second.
 */
final class Prometheus implements AutoCloseable {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final Process process;
    private final int port;
    private final long startedSeconds;

    private Prometheus(Process process, int port) {
        this.process = process;
        this.port = port;
        this.startedSeconds = System.currentTimeMillis() / 1000;
    }

    /** Null when no prometheus binary is on PATH. */
    static Prometheus startIfInstalled(Path work, Map<String, Integer> servicePorts) throws Exception {
        Optional<Path> binary = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(dir -> Path.of(dir, "prometheus")).filter(Files::isExecutable).findFirst();
        if (binary.isEmpty()) {
            return null;
        }
        ObjectNode config = (ObjectNode) YAML.readTree(Path.of("prometheus/prometheus.yml").toFile());
        ((ObjectNode) config.path("global")).put("scrape_interval", "1s").put("evaluation_interval", "1s");
        for (JsonNode job : config.path("scrape_configs")) {
            if (job.has("dns_sd_configs")) {
                // a pool found by name in compose: here its one local process, labelled by the job's relabelling
                String service = job.path("relabel_configs").path(0).path("replacement").asText();
                ((ObjectNode) job).remove("dns_sd_configs");
                ((ObjectNode) job).putArray("static_configs").addObject().putArray("targets")
                        .add("127.0.0.1:" + servicePorts.get(service));
                continue;
            }
            for (JsonNode targets : job.path("static_configs")) {
                ArrayNode list = (ArrayNode) targets.path("targets");
                list.removeAll();
                list.add("127.0.0.1:" + servicePorts.get(targets.path("labels").path("service").asText()));
            }
        }
        Path file = work.resolve("prometheus.yml");
        YAML.writeValue(file.toFile(), config);
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Process process = new ProcessBuilder(binary.get().toString(), "--config.file=" + file,
                "--storage.tsdb.path=" + work.resolve("prometheus-data"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(work.resolve("prometheus.log").toFile()).start();
        Prometheus prometheus = new Prometheus(process, port);
        prometheus.awaitReady();
        return prometheus;
    }

    private void awaitReady() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                if (get("/-/ready").statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // keep polling
            }
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("Prometheus did not start on port " + port);
            }
            Thread.sleep(200);
        }
    }

    /** Waits until every target was scraped at least {@code scrapes} times after {@code millis}. */
    void awaitScrapesAfter(long millis, int scrapes) throws Exception {
        double wanted = millis / 1000.0 + scrapes - 1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            JsonNode result = query("/api/v1/query?query=" + encode("min(timestamp(up))"));
            JsonNode value = result.path("data").path("result").path(0).path("value").path(1);
            if (!value.isMissingNode() && Double.parseDouble(value.asText()) >= wanted) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Prometheus did not scrape the targets: " + result);
            }
            Thread.sleep(250);
        }
    }

    /** Waits until an instant query returns a series: until a scrape has seen what a test makes happen. */
    void awaitSeries(String expr, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode result = query("/api/v1/query?query=" + encode(expr));
            if (!result.path("data").path("result").isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Prometheus never had a series for " + expr + ": " + result);
            }
            Thread.sleep(250);
        }
    }

    /** A dashboard query as Grafana sends it: variables filled in, over the time since Prometheus started. */
    JsonNode queryRange(String dashboardExpr) throws Exception {
        long end = System.currentTimeMillis() / 1000;
        String expr = dashboardExpr.replace("$__rate_interval", "10s").replace("$__range", (end - startedSeconds) + "s")
                .replace("$model", ".*");
        return query("/api/v1/query_range?query=" + encode(expr) + "&start=" + startedSeconds + "&end=" + end + "&step=1");
    }

    private JsonNode query(String pathAndQuery) throws Exception {
        return YAML.readTree(get(pathAndQuery).body());
    }

    private HttpResponse<String> get(String pathAndQuery) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    @Override
    public String toString() {
        return "prometheus on port " + port;
    }
}
