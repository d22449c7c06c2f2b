package dev.graft.deploy;

import org.apache.commons.io.file.PathUtils;
import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.contract.json.Json;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/** A packaged service started as a child process on a free port, its output in a log file. */
record ServiceProcess(String name, Process process, int port, Path log) implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    static ServiceProcess start(String name, Path jar, Map<String, String> env, Path work, String... options)
            throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path log = work.resolve(name + ".log");
        List<String> command = new ArrayList<>(List.of("java", "-Xmx512m", "-Dquarkus.http.port=" + port));
        command.addAll(List.of(options));
        command.addAll(List.of("-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(env);
        return new ServiceProcess(name, builder.start(), port, log);
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Polls {@code GET /api/models/MODEL} of an inference service until its status passes {@code condition}. */
    JsonNode awaitModelStatus(String model, String what, Predicate<JsonNode> condition, Duration timeout) throws Exception {
        return awaitJson("/api/models/" + model, model + ": " + what, condition, timeout);
    }

    /** Polls {@code GET path} until its JSON answer passes {@code condition}. */
    JsonNode awaitJson(String path, String what, Predicate<JsonNode> condition, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode answer = Json.MAPPER.missingNode();
        while (!condition.test(answer)) {
            assertThat(System.nanoTime()).as("never " + what + "; last answer " + answer).isLessThan(deadline);
            Thread.sleep(200);
            HttpResponse<String> response = get(path);
            answer = response.statusCode() == 200 ? Json.MAPPER.readTree(response.body()) : Json.MAPPER.missingNode();
        }
        return answer;
    }

    /** The way a machine failure or the kernel's OOM killer ends it: SIGKILL, no shutdown hook. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    void awaitReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " stopped during start-up:\n" + tail());
            }
            try {
                if (get("/q/health/ready").statusCode() == 200) {
                    return;
                }
            } catch (IOException notListeningYet) {
                // keep polling
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " not ready after " + timeout + ":\n" + tail());
            }
            Thread.sleep(250);
        }
    }

    private String tail() throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    /** Stops what a test started, in the order given (null for what never started), and deletes its work folder. */
    static void stopAll(Path work, AutoCloseable... running) throws IOException {
        for (AutoCloseable closeable : running) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                System.err.println("could not stop " + closeable + ": " + e);
            }
        }
        if (work != null) {
            PathUtils.deleteDirectory(work);
        }
    }
}
