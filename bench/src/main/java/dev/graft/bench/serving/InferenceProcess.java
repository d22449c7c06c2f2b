package dev.graft.bench.serving;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The packaged inference service as a child process on a free port, on the benchmark's store and broker:
 * dynamic batching up to {@value ServingBenchmark#MAX_BATCH} by default, {@code bench-single} at batch 1. Its
 * readiness, RSS, CPU time and metrics, and its log when something fails.
 */
final class InferenceProcess implements AutoCloseable {
    /** The service's heap, as bin/graft starts it; the in-process limit's JVM gets the same. */
    static final String HEAP = "-Xmx1g";

    private final Process process;
    private final Path log;
    private final HttpClient http;
    private final String baseUrl;

    private InferenceProcess(Process process, Path log, HttpClient http, String baseUrl) {
        this.process = process;
        this.log = log;
        this.http = http;
        this.baseUrl = baseUrl;
    }

    /**
     * @param prefix  what the java command runs under, e.g. {@code taskset -c 0} ({@link Cores})
     * @param options more system properties for the service, e.g. {@code -Dgraft.predictions.log.enabled=false}
     */
    static InferenceProcess start(Path jar, Path store, String kafkaBootstrap, Path log, HttpClient http, List<String> prefix,
                                  List<String> options) throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of("java", HEAP));
        // e.g. a profiler agent: -Dgraft.bench.service-options="-agentpath:..." (docs/performance.md)
        command.addAll(Arrays.asList(System.getProperty("graft.bench.service-options", "").split(" +")));
        command.removeIf(String::isBlank);
        command.addAll(List.of("-Dquarkus.http.port=" + port, "-Dgraft.store.uri=" + store,
                "-Dgraft.serving.defaults.max-batch-size=" + ServingBenchmark.MAX_BATCH,
                "-Dgraft.serving.models.\"" + ServingBenchmark.SINGLE + "\".max-batch-size=1", "-Dgraft.serving.keep-versions=2"));
        command.addAll(options);
        command.addAll(List.of("-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        // in the environment: Quarkus lets KAFKA_BOOTSTRAP_SERVERS (bin/graft exports it) win over -Dkafka.bootstrap.servers
        builder.environment().put("KAFKA_BOOTSTRAP_SERVERS", kafkaBootstrap);
        return new InferenceProcess(builder.start(), log, http, "http://127.0.0.1:" + port);
    }

    String baseUrl() {
        return baseUrl;
    }

    ProcessHandle handle() {
        return process.toHandle();
    }

    void awaitReady() throws Exception {
        long deadline = System.nanoTime() + 180_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the inference service stopped during start-up");
            }
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("the inference service was not ready within 3 minutes");
    }

    /** Resident memory of the service process, from /proc. */
    long rss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS for process " + process.pid());
    }

    /** The service's /q/metrics, Prometheus text. */
    String metrics() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The service's own batch counters for version 1 of {@code model}: passes, images, compute seconds. */
    Map<String, Double> batchStats(String model) throws Exception {
        String metrics = metrics();
        String labels = "{model=\"" + model + "\",version=\"1\"} ";
        return Map.of("passes", value(metrics, "graft_prediction_batch_size_count" + labels),
                "images", value(metrics, "graft_prediction_batch_size_sum" + labels),
                "compute", value(metrics, "graft_prediction_compute_latency_seconds_sum" + labels));
    }

    /** The value of the first series in Prometheus text that starts with {@code series}; 0 when none does. */
    static double value(String metrics, String series) {
        return metrics.lines().filter(line -> line.startsWith(series)).findFirst()
                .map(dev.graft.testing.MetricsText::sampleValue).orElse(0.0);
    }

    static double cpuSeconds(ProcessHandle process) {
        return process.info().totalCpuDuration().orElseThrow().toNanos() / 1e9;
    }

    /** The last lines of the service's log, printed when a measurement failed. */
    void printLogTail(int lines) throws IOException {
        List<String> all = Files.readAllLines(log);
        System.out.println("inference service log (last lines):");
        all.subList(Math.max(0, all.size() - lines), all.size()).forEach(System.out::println);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor();
    }
}
