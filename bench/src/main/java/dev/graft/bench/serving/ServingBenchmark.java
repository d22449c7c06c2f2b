package dev.graft.bench.serving;

import dev.graft.bench.trainer.Recipes;
import dev.graft.kafka.LocalKafkaBroker;
import dev.graft.trainer.base.ImageNetWeights;
import dev.graft.imaging.engine.Engine;
import dev.graft.contract.events.Topics;
import dev.graft.store.ModelStore;
import org.apache.commons.io.file.PathUtils;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * Serving overhead, batching, swaps under load and memory across swaps, from one run
 * ({@code bin/graft bench serving}). Starts a Kafka broker in this JVM and the packaged inference
 * service as a child process on a store of its own, serving a {@link ServedModel}: the demo classifier's
 * architecture with random weights (speed does not depend on the weights), or ImageNet ResNet50 at 224 px.
 * Where the machine has two cores or more and taskset, the service runs on one core and this process (the
 * HTTP clients, the broker) on the others, and the in-process limit is measured on the service's core in a
 * JVM of its own ({@link Cores}): HTTP against that limit is then the service's own overhead, not the clients'.
 * <p>
 * Arguments: [SECONDS_PER_PHASE (30)] [CONCURRENCY (8)] [SWAPS (30)] [MODEL (small-convnet)]. {@code bin/graft bench soak [SECONDS (300)]
 * [CONCURRENCY (8)] [SWAP_EVERY_SECONDS (30)]} runs the same service under {@link Soak} instead.
 */
public final class ServingBenchmark {
    static final String BATCHED = "bench";
    static final String SINGLE = "bench-single";
    static final int MAX_BATCH = 16;
    private static final int WARM_SLICE_SECONDS = 10;
    private static final int MAX_WARM_SLICES = 18;

    private final int seconds;
    private final int concurrency;
    private final int swaps;
    /** Soak mode when above 0: seconds between swaps. */
    private final int swapEvery;
    private final Path jar;
    private final ServedModel served;
    private final ImageNetWeights weights;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private ServingBenchmark(int seconds, int concurrency, int swaps, int swapEvery, Path jar, ServedModel served,
                             ImageNetWeights weights) {
        this.served = served;
        this.weights = weights;
        this.seconds = seconds;
        this.concurrency = concurrency;
        this.swaps = swaps;
        this.swapEvery = swapEvery;
        this.jar = jar;
    }

    /**
     * The benchmark of {@code model} ({@code small-convnet} or {@code resnet50}): {@code seconds} per phase, then
     * {@code swaps} swaps for the RSS (none for resnet50).
     */
    public static ServingBenchmark benchmark(int seconds, int concurrency, int swaps, Path jar, String model, ImageNetWeights weights) {
        ServedModel served = ServedModel.named(model);
        return new ServingBenchmark(seconds, concurrency, served == ServedModel.RESNET50 ? 0 : swaps, 0, jar, served, weights);
    }

    /** The bounded soak: {@code seconds} of load, a swap every {@code swapEvery} seconds. */
    public static ServingBenchmark soak(int seconds, int concurrency, int swapEvery, Path jar) {
        return new ServingBenchmark(seconds, concurrency, 0, swapEvery, jar, ServedModel.DEMO, Recipes.NO_WEIGHTS);
    }

    /** The packaged service: {@code -Dgraft.bench.jar}, else inference-service's quarkus-app from the repository root. */
    public static Path serviceJar() {
        return Path.of(System.getProperty("graft.bench.jar", "inference-service/target/quarkus-app/quarkus-run.jar"));
    }

    public void run() throws Exception {
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: build it first (mvn package)");
        }
        int machineCores = Runtime.getRuntime().availableProcessors();
        StringBuilder unpinned = new StringBuilder();
        // the benchmark gives the service a core of its own; the soak runs it as bin/graft up does, on every core
        Optional<Cores> cores = swapEvery > 0 ? Optional.empty() : Cores.split(unpinned);
        if (cores.isPresent()) {
            cores.get().pinThisProcess();
        }
        Path work = Files.createTempDirectory("graft-serving-bench");
        try {
            run(work, cores, cores.map(c -> "the service on core " + c.service() + ", this process (clients, broker) on "
                    + c.others() + " (taskset), of " + machineCores).orElse(machineCores + " cores"
                    + (unpinned.isEmpty() ? "" : ", nothing pinned: " + unpinned)));
        } finally {
            PathUtils.deleteDirectory(work);
        }
    }

    private void run(Path work, Optional<Cores> cores, String pinning) throws Exception {
        Random random = new Random(7);
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            images.add(served.png(random));
        }
        Engine.Description engine = Engine.init();   // the in-process figures on the engine the service runs (as its ModelLoader)
        ModelStore store = new ModelStore(work.resolve("models"));
        Path stored;
        String what;
        InProcessLimit limit = null;
        InProcessLimit limitSingle = null;
        ComputationGraph network = served.network(weights, work);
        try {
            stored = store.verify(ModelVersions.publish(store, served, BATCHED, network));
            ModelVersions.publish(store, served, SINGLE, network);
            what = served.describe(network);
            if (swapEvery > 0) {
                System.out.printf(Locale.ROOT, "graft serving soak: %s, %d s, %d concurrent clients, a swap every %d s; %s%n",
                        what, seconds, concurrency, swapEvery, pinning);
            } else {
                System.out.printf(Locale.ROOT, "graft serving benchmark: %s, %d s per phase, %d concurrent clients, %d swaps; %s%n",
                        what, seconds, concurrency, swaps, pinning);
                // the ceiling on the cores the service gets: where pinned, on its one core in a JVM of its own
                limit = cores.isPresent() ? InProcessLimit.onCore(cores.get(), stored, served, MAX_BATCH, seconds)
                        : InProcessLimit.measure(network, served, MAX_BATCH, seconds);
                limitSingle = cores.isPresent() ? InProcessLimit.onCore(cores.get(), stored, served, 1, seconds)
                        : InProcessLimit.measure(network, served, 1, seconds);
                System.out.println("engine of the in-process limit: " + (cores.isPresent() ? limit.engine() : engine));
            }
        } finally {
            network.close();
        }
        byte[] artifact = swapEvery > 0 || swaps > 0 ? Files.readAllBytes(stored) : null;

        try (LocalKafkaBroker kafka = LocalKafkaBroker.startOnFreePorts(work.resolve("kafka"));
             KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                     kafka.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
            kafka.createTopics(List.of(Topics.MODEL_VERSIONS));
            try (InferenceProcess service = InferenceProcess.start(jar, store.folder().orElseThrow(),
                    kafka.bootstrapServers(), work.resolve("inference.log"), http,
                    cores.map(Cores::onServiceCore).orElse(List.of()), List.of())) {
                try {
                    service.awaitReady();
                    LoadGenerator load = new LoadGenerator(http, service, images, concurrency);
                    ModelVersions versions = new ModelVersions(store, served, artifact, producer, http, service.baseUrl());
                    if (swapEvery > 0) {
                        new Soak(service, load, versions, seconds, swapEvery).run();
                    } else {
                        measure(service, load, versions, limit, limitSingle);
                    }
                } catch (Exception e) {
                    service.printLogTail(40);
                    throw e;
                }
            }
        }
    }

    /**
     * Both variants warmed up first; then their phases alternate, batched, single, single, batched, so
     * that drift (JIT, a neighbour on the machine) weighs on both alike.
     */
    private void measure(InferenceProcess service, LoadGenerator generator, ModelVersions versions, InProcessLimit inProcess,
                         InProcessLimit inProcessSingle) throws Exception {
        double limit = inProcess.perSecond();
        double limitSingle = inProcessSingle.perSecond();
        List<Long> warmBatched = warmUp(generator, BATCHED);
        generator.load(SINGLE, Math.max(5, seconds / 3));
        Map<String, Double> before = service.batchStats(BATCHED);
        Load batched = generator.load(BATCHED, seconds);
        Load single = generator.load(SINGLE, seconds).and(generator.load(SINGLE, seconds));
        batched = batched.and(generator.load(BATCHED, seconds));
        Map<String, Double> after = service.batchStats(BATCHED);
        System.out.printf(Locale.ROOT, "%-44s %9.1f img/s%n", "in-process limit (output() on batches of " + MAX_BATCH + ")", limit);
        System.out.printf(Locale.ROOT, "%-44s %9.1f img/s%n", "in-process, batches of 1", limitSingle);
        System.out.printf(Locale.ROOT, "%-44s %s img/s%n", "HTTP warm-up, by 10 s slice (not counted)", warmBatched);
        report("HTTP, dynamic batching (max " + MAX_BATCH + ", 5 ms)", batched);
        double passes = after.get("passes") - before.get("passes");
        System.out.printf(Locale.ROOT, "%-44s %9.1f images per pass, network busy %.0f%% of the time%n",
                "  server side", (after.get("images") - before.get("images")) / passes,
                // the batched model computes only during its own phases
                100 * (after.get("compute") - before.get("compute")) / batched.seconds());
        System.out.printf(Locale.ROOT, "%-44s %9.2f cores the service, %.2f this process (clients, broker)%n",
                "  CPU", batched.serviceCpu() / batched.seconds(), batched.clientCpu() / batched.seconds());
        // where the gap to the limit goes: what the service spends per image beyond the forward pass, and what
        // the clients take (on the same cores unless pinned)
        System.out.printf(Locale.ROOT, "%-44s %9.2f ms the service, %.2f ms the clients; in process %.2f ms%n",
                "  CPU per image", 1000 * batched.serviceCpu() / batched.ok(), 1000 * batched.clientCpu() / batched.ok(),
                inProcess.cpuMsPerImage());
        report("HTTP, batch size 1", single);
        if (!batched.failures().isEmpty() || !single.failures().isEmpty()) {
            service.printLogTail(30);
        }
        System.out.printf(Locale.ROOT, "%-44s %9d MiB%n", "service RSS, both models loaded", service.rss() >> 20);
        Load duringSwaps = swaps == 0 ? null : generator.loadWhileSwapping(BATCHED, seconds, 5, versions::swap);
        if (duringSwaps != null) {
            report("HTTP during 5 swaps", duringSwaps);
        }

        long rssAfter3 = 0;
        for (int swap = 1; swap <= swaps; swap++) {
            versions.swap(BATCHED);
            if (swap == 3) {
                rssAfter3 = service.rss();
            }
        }
        long rssAfterAll = service.rss();

        System.out.println();
        ratio("HTTP throughput / in-process limit", batched.perSecond() / limit, ">= 0.8");
        ratio("dynamic batching / batch size 1", batched.perSecond() / single.perSecond(), ">= 2");
        ratio("  the same in process (batches of " + MAX_BATCH + " / of 1)", limit / limitSingle, "none: the ceiling above");
        if (duringSwaps != null) {
            System.out.printf(Locale.ROOT, "%-44s %9d      (target 0)%n", "failed requests during swaps", duringSwaps.failures().size());
            ratio("p99 during swaps / steady p99", duringSwaps.percentile(0.99) / batched.percentile(0.99), "<= 2");
            ratio("RSS after " + swaps + " swaps / after 3 (" + rssAfterAll / (1 << 20) + " / " + rssAfter3 / (1 << 20) + " MiB)",
                    (double) rssAfterAll / rssAfter3, "<= 1.2");
        }
    }

    /**
     * Load in slices of {@value #WARM_SLICE_SECONDS} s until one answers within 5% of the one before
     * (at least 3 slices, at most {@value #MAX_WARM_SLICES}): on 2 cores the service's JIT compiler
     * takes minutes to settle under load, and the phases measured are the steady state a running
     * service is in. Returns images/s per slice.
     */
    static List<Long> warmUp(LoadGenerator generator, String model) throws Exception {
        List<Long> slices = new ArrayList<>();
        while (slices.size() < MAX_WARM_SLICES) {
            slices.add(Math.round(generator.load(model, WARM_SLICE_SECONDS).perSecond()));
            int n = slices.size();
            if (n >= 3 && Math.abs(slices.get(n - 1) - slices.get(n - 2)) <= 0.05 * slices.get(n - 2)) {
                break;
            }
        }
        return slices;
    }

    static void report(String what, Load load) {
        System.out.printf(Locale.ROOT, "%-44s %9.1f img/s   p50 %6.1f ms  p99 %6.1f ms  failed %d%n", what,
                load.perSecond(), load.percentile(0.5), load.percentile(0.99), load.failures().size());
        if (!load.failures().isEmpty()) {
            System.out.println("  first failure: " + load.failures().get(0));
        }
    }

    static void ratio(String what, double value, String target) {
        System.out.printf(Locale.ROOT, "%-44s %9.2f      (target %s)%n", what, value, target);
    }
}
