package dev.graft.bench.serving;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/** {@code concurrency} clients posting the benchmark's PNGs to a model's predict endpoint, each as fast as answered. */
final class LoadGenerator {
    /** Publishes and announces a new version of a model, and returns once it serves. */
    interface Swap {
        void of(String model) throws Exception;
    }

    private final HttpClient http;
    private final String baseUrl;
    private final ProcessHandle service;
    private final List<byte[]> images;
    private final int concurrency;

    LoadGenerator(HttpClient http, InferenceProcess service, List<byte[]> images, int concurrency) {
        this.http = http;
        this.baseUrl = service.baseUrl();
        this.service = service.handle();
        this.images = List.copyOf(images);
        this.concurrency = concurrency;
    }

    Load load(String model, int duration) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService clients = Executors.newFixedThreadPool(concurrency);
        List<Future<Load>> results = new ArrayList<>();
        double serviceCpu = InferenceProcess.cpuSeconds(service);
        double clientCpu = InferenceProcess.cpuSeconds(ProcessHandle.current());
        long start = System.nanoTime();
        for (int c = 0; c < concurrency; c++) {
            int client = c;
            results.add(clients.submit(() -> client(model, client, stop, start)));
        }
        Thread.sleep(duration * 1000L);
        stop.set(true);
        List<String> failures = new ArrayList<>();
        List<long[]> latencies = new ArrayList<>();
        List<long[]> answered = new ArrayList<>();
        int ok = 0;
        for (Future<Load> result : results) {
            Load load = result.get();
            ok += load.ok();
            failures.addAll(load.failures());
            latencies.add(load.latencies());
            answered.add(load.answered());
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        clients.shutdown();
        long[] all = latencies.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        return new Load(ok, failures, all, elapsed, answered.stream().flatMapToLong(Arrays::stream).toArray(),
                InferenceProcess.cpuSeconds(service) - serviceCpu,
                InferenceProcess.cpuSeconds(ProcessHandle.current()) - clientCpu);
    }

    private Load client(String model, int client, AtomicBoolean stop, long phaseStart) {
        List<String> failures = new ArrayList<>();
        long[] latencies = new long[1 << 16];
        long[] answered = new long[latencies.length];
        int n = 0;
        int i = client;
        URI uri = URI.create(baseUrl + "/api/models/" + model + "/predict");
        while (!stop.get()) {
            HttpRequest request = HttpRequest.newBuilder(uri).header("Content-Type", "image/png")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(images.get(i++ % images.size()))).build();
            long start = System.nanoTime();
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    if (n == latencies.length) {
                        latencies = Arrays.copyOf(latencies, n * 2);
                        answered = Arrays.copyOf(answered, n * 2);
                    }
                    long now = System.nanoTime();
                    answered[n] = now - phaseStart;
                    latencies[n++] = now - start;
                } else {
                    failures.add(response.statusCode() + " " + response.body());
                }
            } catch (IOException e) {
                failures.add(e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return new Load(n, failures, Arrays.copyOf(latencies, n), 0, Arrays.copyOf(answered, n), 0, 0);
    }

    /** Load for {@code seconds} while a new version swaps in about every seconds/count. */
    Load loadWhileSwapping(String model, int seconds, int count, Swap swap) throws Exception {
        ExecutorService background = Executors.newSingleThreadExecutor();
        Future<Load> load = background.submit(() -> load(model, seconds));
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long due = start + (long) ((i + 0.5) * seconds * 1e9 / count);
            Thread.sleep(Math.max(0, (due - System.nanoTime()) / 1_000_000));
            swap.of(model);
        }
        Load result = load.get();
        background.shutdown();
        return result;
    }
}
