package dev.graft.inference.bench;

import org.apache.commons.io.file.PathUtils;
import dev.graft.inference.TestModels;
import dev.graft.imaging.engine.Engine;
import dev.graft.kafka.LocalKafkaBroker;
import dev.graft.contract.events.ModelVersionEvent;
import dev.graft.contract.events.Topics;
import dev.graft.imaging.ImagePreprocessor;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.BaseLineage;
import dev.graft.contract.manifest.Preprocessing;
import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.Task;
import dev.graft.store.ModelStore;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
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
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * Serving overhead, batching, swaps under load and memory across swaps, from one run
 * ({@code bin/graft bench serving}). Starts a Kafka broker in this JVM and the packaged inference
 * service as a child process on a store of its own, with the demo classifier's architecture
 * (small-convnet at 48x48 RGB, a 128-unit head, 10 classes) and random weights: speed does not
 * depend on the weights.
 *
 * Arguments: [SECONDS_PER_PHASE (30)] [CONCURRENCY (8)] [SWAPS (30)]; or {@code soak [SECONDS (300)]
 * [CONCURRENCY (8)] [SWAP_EVERY_SECONDS (30)]} for a bounded soak: load all along, a swap every so often,
 * answers other than 200 counted (a 5xx is a defect) and RSS sampled every minute.
 */
public final class ServingBenchmark {
    private static final String BATCHED = "bench";
    private static final String SINGLE = "bench-single";
    private static final InputShape SHAPE = InputShape.rgb(48, 48);
    private static final int MAX_BATCH = 16;
    private static final int WARM_SLICE_SECONDS = 10;
    private static final int MAX_WARM_SLICES = 18;

    private final int seconds;
    private final int concurrency;
    private final int swaps;
    /** Soak mode when above 0: seconds between swaps. */
    private final int swapEvery;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<byte[]> images = new ArrayList<>();
    private ModelStore store;
    private KafkaProducer<String, String> producer;
    private byte[] artifact;
    private String baseUrl;
    private ProcessHandle service;

    private ServingBenchmark(int seconds, int concurrency, int swaps, int swapEvery) {
        this.seconds = seconds;
        this.concurrency = concurrency;
        this.swaps = swaps;
        this.swapEvery = swapEvery;
    }

    public static void main(String[] args) throws Exception {
        boolean soak = args.length > 0 && args[0].equals("soak");
        if (soak) {
            args = Arrays.copyOfRange(args, 1, args.length);
        }
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : soak ? 300 : 30;
        int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int third = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        try {
            new ServingBenchmark(seconds, concurrency, soak ? 0 : third, soak ? third : 0).run(Path.of(System.getProperty("graft.bench.jar",
                    "inference-service/target/quarkus-app/quarkus-run.jar")));
        } catch (Exception e) {
            e.printStackTrace();
            System.exit(1);
        }
        System.exit(0);   // the HTTP and Kafka clients' threads would keep the JVM alive
    }

    /**
     * What a load phase measured; {@code answered}: when each 200 came, in nanoseconds since the phase began;
     * CPU seconds the service and this process (the clients, the broker) used meanwhile.
     */
    private record Load(int ok, List<String> failures, long[] latencies, double seconds, long[] answered,
                        double serviceCpu, double clientCpu) {
        double perSecond() {
            return ok / seconds;
        }

        /**
         * Answers per second in each whole {@code slice}-second part of the phase (the remainder left
         * out): how long the service takes to warm up.
         */
        List<Long> bySlice(int slice) {
            long[] counts = new long[(int) Math.max(1, Math.floor(seconds / slice))];
            for (long at : answered) {
                int index = (int) (at / (slice * 1_000_000_000L));
                if (index < counts.length) {
                    counts[index]++;
                }
            }
            return Arrays.stream(counts).map(c -> Math.round((double) c / slice)).boxed().toList();
        }

        /** Two phases of the same load as one. */
        Load and(Load other) {
            long[] all = Stream.of(latencies, other.latencies).flatMapToLong(Arrays::stream).sorted().toArray();
            List<String> failed = new ArrayList<>(failures);
            failed.addAll(other.failures);
            return new Load(ok + other.ok, failed, all, seconds + other.seconds, new long[0], serviceCpu + other.serviceCpu,
                    clientCpu + other.clientCpu);
        }

        double percentile(double p) {
            if (latencies.length == 0) {
                return Double.NaN;
            }
            return latencies[Math.min(latencies.length - 1, (int) Math.ceil(p * latencies.length) - 1)] / 1e6;
        }
    }

    private void run(Path jar) throws Exception {
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: build it first (mvn package)");
        }
        Path work = Files.createTempDirectory("graft-serving-bench");
        Random random = new Random(7);
        for (int i = 0; i < 32; i++) {
            images.add(png(random));
        }
        Engine.Description engine = Engine.init();   // the in-process figures on the engine the service runs (as its ModelLoader)
        ComputationGraph network = network();
        store = new ModelStore(work.resolve("models"));
        publish(BATCHED, network);
        publish(SINGLE, network);
        artifact = Files.readAllBytes(TestModels.artifactFile(store, store.manifest(BATCHED, 1)));

        String what = "small-convnet 48x48 + 128-unit head, 10 classes (" + network.numParams() + " parameters)";
        if (swapEvery > 0) {
            System.out.printf(Locale.ROOT, "graft serving soak: %s, %d s, %d concurrent clients, a swap every %d s, %d cores%n",
                    what, seconds, concurrency, swapEvery, Runtime.getRuntime().availableProcessors());
        } else {
            System.out.printf(Locale.ROOT, "graft serving benchmark: %s, %d s per phase, %d concurrent clients, %d swaps, %d cores%n",
                    what, seconds, concurrency, swaps, Runtime.getRuntime().availableProcessors());
            System.out.println(engine);
        }
        InProcess limit = swapEvery > 0 ? null : inProcess(network, MAX_BATCH);
        InProcess limitSingle = swapEvery > 0 ? null : inProcess(network, 1);
        network.close();

        try (LocalKafkaBroker kafka = LocalKafkaBroker.startOnFreePorts(work.resolve("kafka"))) {
            kafka.createTopics(List.of(Topics.MODEL_VERSIONS));
            producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()), new StringSerializer(),
                    new StringSerializer());
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            baseUrl = "http://127.0.0.1:" + port;
            List<String> command = new ArrayList<>(List.of("java", "-Xmx1g"));
            // e.g. a profiler agent: -Dgraft.bench.service-options="-agentpath:..." (docs/performance.md)
            command.addAll(Arrays.asList(System.getProperty("graft.bench.service-options", "").split(" +")));
            command.removeIf(String::isBlank);
            command.addAll(List.of("-Dquarkus.http.port=" + port, "-Dgraft.store.uri=" + store.folder().orElseThrow(),
                    "-Dgraft.serving.defaults.max-batch-size=" + MAX_BATCH,
                    "-Dgraft.serving.models.\"" + SINGLE + "\".max-batch-size=1", "-Dgraft.serving.keep-versions=2",
                    "-jar", jar.toString()));
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true).redirectOutput(work.resolve("inference.log").toFile());
            // in the environment: Quarkus lets KAFKA_BOOTSTRAP_SERVERS (bin/graft exports it) win over -Dkafka.bootstrap.servers
            builder.environment().put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
            Process service = builder.start();
            this.service = service.toHandle();
            try {
                awaitReady(service);
                if (swapEvery > 0) {
                    soak(service);
                } else {
                    measure(service, limit, limitSingle);
                }
            } catch (Exception e) {
                List<String> log = Files.readAllLines(work.resolve("inference.log"));
                System.out.println("inference service log (last lines):");
                log.subList(Math.max(0, log.size() - 40), log.size()).forEach(System.out::println);
                throw e;
            } finally {
                service.destroy();
                service.waitFor();
                producer.close();
            }
        } finally {
            PathUtils.deleteDirectory(work);
        }
    }

    /**
     * Both variants warmed up first; then their phases alternate, batched, single, single, batched, so
     * that drift (JIT, a neighbour on the machine) weighs on both alike.
     */
    private void measure(Process service, InProcess inProcess, InProcess inProcessSingle) throws Exception {
        double limit = inProcess.perSecond();
        double limitSingle = inProcessSingle.perSecond();
        List<Long> warmBatched = warmUp(BATCHED);
        load(SINGLE, Math.max(5, seconds / 3));
        Map<String, Double> before = serverStats(BATCHED);
        Load batched = load(BATCHED, seconds);
        Load single = load(SINGLE, seconds).and(load(SINGLE, seconds));
        batched = batched.and(load(BATCHED, seconds));
        Map<String, Double> after = serverStats(BATCHED);
        System.out.printf(Locale.ROOT, "%-44s %9.1f img/s%n", "in-process limit (output() on batches of " + MAX_BATCH + ")", limit);
        System.out.printf(Locale.ROOT, "%-44s %9.1f img/s%n", "in-process, batches of 1", limitSingle);
        System.out.printf(Locale.ROOT, "%-44s %s img/s%n", "HTTP warm-up, by 10 s slice (not counted)", warmBatched);
        report("HTTP, dynamic batching (max " + MAX_BATCH + ", 5 ms)", batched);
        double passes = after.get("passes") - before.get("passes");
        System.out.printf(Locale.ROOT, "%-44s %9.1f images per pass, network busy %.0f%% of the time%n",
                "  server side", (after.get("images") - before.get("images")) / passes,
                // the batched model computes only during its own phases
                100 * (after.get("compute") - before.get("compute")) / batched.seconds());
        System.out.printf(Locale.ROOT, "%-44s %9.2f cores the service, %.2f this process (clients, broker), of %d%n",
                "  CPU", batched.serviceCpu() / batched.seconds(), batched.clientCpu() / batched.seconds(),
                Runtime.getRuntime().availableProcessors());
        // where the gap to the limit goes: what the service spends per image beyond the forward pass, and what
        // the clients on the same cores take
        System.out.printf(Locale.ROOT, "%-44s %9.2f ms the service, %.2f ms the clients; in process %.2f ms%n",
                "  CPU per image", 1000 * batched.serviceCpu() / batched.ok(), 1000 * batched.clientCpu() / batched.ok(),
                inProcess.cpuMsPerImage());
        report("HTTP, batch size 1", single);
        Load duringSwaps = loadWhileSwapping(BATCHED, 5);
        report("HTTP during 5 swaps", duringSwaps);

        long rssAfter3 = 0;
        for (int swap = 1; swap <= swaps; swap++) {
            swap(BATCHED);
            if (swap == 3) {
                rssAfter3 = rss(service);
            }
        }
        long rssAfterAll = rss(service);

        System.out.println();
        ratio("HTTP throughput / in-process limit", batched.perSecond() / limit, ">= 0.7");
        ratio("dynamic batching / batch size 1", batched.perSecond() / single.perSecond(), ">= 1.5");
        ratio("  the same in process (batches of " + MAX_BATCH + " / of 1)", limit / limitSingle, "none: the ceiling above");
        System.out.printf(Locale.ROOT, "%-44s %9d      (target 0)%n", "failed requests during swaps", duringSwaps.failures().size());
        ratio("p99 during swaps / steady p99", duringSwaps.percentile(0.99) / batched.percentile(0.99), "<= 2");
        ratio("RSS after " + swaps + " swaps / after 3 (" + rssAfterAll / (1 << 20) + " / " + rssAfter3 / (1 << 20) + " MiB)",
                (double) rssAfterAll / rssAfter3, "<= 1.2");
        if (!duringSwaps.failures().isEmpty()) {
            System.out.println("first failure: " + duringSwaps.failures().get(0));
        }
    }

    /**
     * Load in slices of {@value #WARM_SLICE_SECONDS} s until one answers within 5% of the one before
     * (at least 3 slices, at most {@value #MAX_WARM_SLICES}): on 2 cores the service's JIT compiler
     * takes minutes to settle under load, and the phases measured are the steady state a running
     * service is in. Returns images/s per slice.
     */
    private List<Long> warmUp(String model) throws Exception {
        List<Long> slices = new ArrayList<>();
        while (slices.size() < MAX_WARM_SLICES) {
            slices.add(Math.round(load(model, WARM_SLICE_SECONDS).perSecond()));
            int n = slices.size();
            if (n >= 3 && Math.abs(slices.get(n - 1) - slices.get(n - 2)) <= 0.05 * slices.get(n - 2)) {
                break;
            }
        }
        return slices;
    }

    /**
     * Load for the whole length with a swap every {@code swapEvery} seconds; each minute the RSS, and
     * from the service's metrics the committed heap and JavaCPP's native bytes, to tell a leak from a
     * heap that grows towards -Xmx.
     */
    private void soak(Process service) throws Exception {
        load(BATCHED, 30);   // warm-up, as long as the benchmark's: not reported
        long rssStart = rss(service);
        List<String> eachMinute = new CopyOnWriteArrayList<>();
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleAtFixedRate(() -> {
            try {
                String metrics = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/q/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                double heap = metrics.lines().filter(line -> line.startsWith("jvm_memory_committed_bytes{area=\"heap\""))
                        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
                eachMinute.add(String.format(Locale.ROOT, "%d/%d/%d", rss(service) >> 20, (long) heap >> 20,
                        (long) value(metrics, "graft_native_memory_bytes ") >> 20));
            } catch (Exception e) {
                eachMinute.add("? (" + e + ")");
            }
        }, 60, 60, TimeUnit.SECONDS);
        int count = Math.max(1, seconds / swapEvery);
        Load soak = loadWhileSwapping(BATCHED, count);
        sampler.shutdownNow();
        long rssEnd = rss(service);

        long serverErrors = soak.failures().stream().filter(f -> f.startsWith("5")).count();
        report("soak, " + count + " swaps", soak);
        System.out.printf(Locale.ROOT, "%-44s %s img/s%n", "  by minute", soak.bySlice(60));
        System.out.printf(Locale.ROOT, "%-44s %9d      (target 0)%n", "answers 5xx", serverErrors);
        System.out.printf(Locale.ROOT, "%-44s %9d      (target 0)%n", "other failed requests", soak.failures().size() - serverErrors);
        System.out.printf(Locale.ROOT, "%-44s %s%n", "each minute: RSS/heap committed/native MiB", eachMinute);
        ratio("RSS at the end / at the start (" + (rssEnd >> 20) + " / " + (rssStart >> 20) + " MiB)",
                (double) rssEnd / rssStart, "<= 1.2");
        if (!soak.failures().isEmpty()) {
            System.out.println("first failure: " + soak.failures().get(0));
        }
    }

    private static void report(String what, Load load) {
        System.out.printf(Locale.ROOT, "%-44s %9.1f img/s   p50 %6.1f ms  p99 %6.1f ms  failed %d%n", what,
                load.perSecond(), load.percentile(0.5), load.percentile(0.99), load.failures().size());
    }

    private static void ratio(String what, double value, String target) {
        System.out.printf(Locale.ROOT, "%-44s %9.2f      (target %s)%n", what, value, target);
    }

    /** The demo classifier's shape: small-convnet blocks of 32, 32, 64 filters, a 128-unit head, 10 classes. */
    private static ComputationGraph network() {
        var graph = new NeuralNetConfiguration.Builder().seed(1).weightInit(WeightInit.RELU).activation(Activation.RELU)
                .graphBuilder().addInputs("input").setInputTypes(InputType.convolutional(SHAPE.height(), SHAPE.width(), 3));
        String previous = "input";
        int[] filters = {32, 32, 64};
        for (int block = 1; block <= filters.length; block++) {
            graph.addLayer("conv" + block, new ConvolutionLayer.Builder(3, 3).nOut(filters[block - 1])
                            .convolutionMode(ConvolutionMode.Same).build(), previous)
                    .addLayer("pool" + block, new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                            .build(), "conv" + block);
            previous = "pool" + block;
        }
        graph.addLayer("dense", new DenseLayer.Builder().nOut(128).build(), previous)
                .addLayer("predictions", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(Activation.SOFTMAX).build(), "dense")
                .setOutputs("predictions");
        ComputationGraph network = new ComputationGraph(graph.build());
        network.init();
        return network;
    }

    private ModelManifest publish(String model, ComputationGraph network) {
        return store.publish(manifest(model), file -> ModelSerializer.writeModel(network, file.toFile(), false));
    }

    private static ModelManifest manifest(String model) {
        return ModelManifest.draft(model, Task.CLASSIFICATION,
                List.of("T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"),
                null, SHAPE, Preprocessing.UNIT, Map.of("accuracy", 0.1), new BaseLineage("small-convnet", "random", "pool3"), "bench");
    }

    private static byte[] png(Random random) throws IOException {
        BufferedImage image = new BufferedImage(SHAPE.width(), SHAPE.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < SHAPE.height(); y++) {
            for (int x = 0; x < SHAPE.width(); x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            ImageIO.write(image, "png", out);
            return out.toByteArray();
        }
    }

    /** What the tight loop reached, and the CPU it used per image (this process's, all threads). */
    private record InProcess(double perSecond, double cpuMsPerImage) {
    }

    /** Batches of preprocessed images through output() in a tight loop: what no server can beat. */
    private InProcess inProcess(ComputationGraph network, int batchSize) {
        List<BufferedImage> decoded = images.subList(0, batchSize).stream().map(ImagePreprocessor::decode).toList();
        INDArray batch = ImagePreprocessor.toBatch(decoded, SHAPE, Preprocessing.UNIT);
        long warmUntil = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < warmUntil) {
            network.output(false, batch);
        }
        double cpu = cpuSeconds(ProcessHandle.current());
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        long passes = 0;
        while (System.nanoTime() < end) {
            network.output(false, batch);
            passes++;
        }
        long images = passes * batchSize;
        return new InProcess(images / ((System.nanoTime() - start) / 1e9),
                1000 * (cpuSeconds(ProcessHandle.current()) - cpu) / images);
    }

    /** The service's own batch counters for version 1 of {@code model}: passes, images, compute seconds. */
    private Map<String, Double> serverStats(String model) throws Exception {
        String metrics = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        String labels = "{model=\"" + model + "\",version=\"1\"} ";
        return Map.of("passes", value(metrics, "graft_prediction_batch_size_count" + labels),
                "images", value(metrics, "graft_prediction_batch_size_sum" + labels),
                "compute", value(metrics, "graft_prediction_compute_latency_seconds_sum" + labels));
    }

    private static double value(String metrics, String series) {
        return metrics.lines().filter(line -> line.startsWith(series)).findFirst()
                .map(line -> Double.parseDouble(line.substring(series.length()).trim())).orElse(0.0);
    }

    private Load load(String model, int duration) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService clients = Executors.newFixedThreadPool(concurrency);
        List<Future<Load>> results = new ArrayList<>();
        double serviceCpu = cpuSeconds(service);
        double clientCpu = cpuSeconds(ProcessHandle.current());
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
                cpuSeconds(service) - serviceCpu, cpuSeconds(ProcessHandle.current()) - clientCpu);
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

    /** Load for the phase's length while a new version swaps in about every seconds/count. */
    private Load loadWhileSwapping(String model, int count) throws Exception {
        ExecutorService background = Executors.newSingleThreadExecutor();
        Future<Load> load = background.submit(() -> load(model, seconds));
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long due = start + (long) ((i + 0.5) * seconds * 1e9 / count);
            Thread.sleep(Math.max(0, (due - System.nanoTime()) / 1_000_000));
            swap(model);
        }
        Load result = load.get();
        background.shutdown();
        return result;
    }

    /** Publishes a new version (the same network), announces it on Kafka and waits until it serves. */
    private void swap(String model) throws Exception {
        ModelManifest manifest = store.publish(manifest(model), file -> Files.write(file, artifact));
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

    private void awaitReady(Process service) throws Exception {
        long deadline = System.nanoTime() + 180_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (!service.isAlive()) {
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

    private static double cpuSeconds(ProcessHandle process) {
        return process.info().totalCpuDuration().orElseThrow().toNanos() / 1e9;
    }

    /** Resident memory of the service process, from /proc. */
    private static long rss(Process process) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS for process " + process.pid());
    }
}
