package dev.graft.bench.serving;

import dev.graft.bench.trainer.Recipes;
import dev.graft.contract.events.Topics;
import dev.graft.kafka.LocalKafkaBroker;
import dev.graft.store.ModelStore;
import org.apache.commons.io.file.PathUtils;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * What the prediction log costs an answer, from one run ({@code bin/graft bench prediction-log [SECONDS
 * (30)] [CONCURRENCY (8)]}): one inference service, two copies of the demo classifier's architecture,
 * one logged and one not ({@code graft.predictions.log.model-share}), loaded in alternating phases
 * (logged, unlogged, unlogged, logged) so that drift weighs on both alike; first with Kafka there, then
 * with it gone, when the log can only drop.
 */
public final class PredictionLogBenchmark {
    static final String LOGGED = "bench-logged";
    static final String UNLOGGED = "bench-unlogged";

    private final int seconds;
    private final int concurrency;
    private final Path jar;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    public PredictionLogBenchmark(int seconds, int concurrency, Path jar) {
        this.seconds = seconds;
        this.concurrency = concurrency;
        this.jar = jar;
    }

    public void run() throws Exception {
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: build it first (mvn package)");
        }
        Path work = Files.createTempDirectory("graft-log-bench");
        Random random = new Random(7);
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            images.add(ServedModel.DEMO.png(random));
        }
        ModelStore store = new ModelStore(work.resolve("models"));
        ComputationGraph network = ServedModel.DEMO.network(Recipes.NO_WEIGHTS, work);
        ModelVersions.publish(store, ServedModel.DEMO, LOGGED, network);
        ModelVersions.publish(store, ServedModel.DEMO, UNLOGGED, network);
        network.close();
        System.out.printf(Locale.ROOT, "graft prediction log benchmark: small-convnet 48x48, %d s per phase, %d concurrent"
                + " clients, %d cores%n", seconds, concurrency, Runtime.getRuntime().availableProcessors());
        LocalKafkaBroker kafka = LocalKafkaBroker.startOnFreePorts(work.resolve("kafka"));
        boolean kafkaUp = true;
        try {
            kafka.createTopics(List.of(Topics.MODEL_VERSIONS, Topics.PREDICTIONS));
            try (InferenceProcess service = InferenceProcess.start(jar, store.folder().orElseThrow(), kafka.bootstrapServers(),
                    work.resolve("inference.log"), http, List.of(), List.of("-Dgraft.predictions.log.model-share.\"" + UNLOGGED + "\"=0"))) {
                try {
                    service.awaitReady();
                    LoadGenerator generator = new LoadGenerator(http, service, images, concurrency);
                    System.out.printf(Locale.ROOT, "%-44s %s img/s%n", "HTTP warm-up, by 10 s slice (not counted)",
                            ServingBenchmark.warmUp(generator, LOGGED));
                    generator.load(UNLOGGED, Math.max(5, seconds / 3));

                    Map<String, Double> before = records(service);
                    Load[] up = phases(generator);
                    Map<String, Double> afterUp = records(service);
                    kafka.close();
                    kafkaUp = false;
                    Load[] away = phases(generator);
                    Map<String, Double> afterAway = records(service);

                    System.out.println("with Kafka there:");
                    ServingBenchmark.report("  logged", up[0]);
                    ServingBenchmark.report("  not logged", up[1]);
                    printRecords(before, afterUp);
                    System.out.println("with Kafka gone:");
                    ServingBenchmark.report("  logged", away[0]);
                    ServingBenchmark.report("  not logged", away[1]);
                    printRecords(afterUp, afterAway);
                    System.out.println();
                    ServingBenchmark.ratio("throughput, logged / not logged", up[0].perSecond() / up[1].perSecond(), ">= 0.9");
                    ServingBenchmark.ratio("p99, logged / not logged", up[0].percentile(0.99) / up[1].percentile(0.99), "<= 1.2");
                    ServingBenchmark.ratio("Kafka gone: throughput, logged / not logged",
                            away[0].perSecond() / away[1].perSecond(), ">= 0.9");
                    ServingBenchmark.ratio("Kafka gone: p99, logged / not logged",
                            away[0].percentile(0.99) / away[1].percentile(0.99), "<= 1.2");
                } catch (Exception e) {
                    service.printLogTail(40);
                    throw e;
                }
            }
        } finally {
            if (kafkaUp) {
                kafka.close();
            }
            PathUtils.deleteDirectory(work);
        }
    }

    /** Logged, unlogged, unlogged, logged: {logged, unlogged}. */
    private Load[] phases(LoadGenerator generator) throws Exception {
        Load logged = generator.load(LOGGED, seconds);
        Load unlogged = generator.load(UNLOGGED, seconds).and(generator.load(UNLOGGED, seconds));
        return new Load[]{logged.and(generator.load(LOGGED, seconds)), unlogged};
    }

    private static Map<String, Double> records(InferenceProcess service) throws Exception {
        String metrics = service.metrics();
        return Map.of("sent", count(metrics, "sent"), "dropped", count(metrics, "dropped"), "failed", count(metrics, "failed"));
    }

    private static double count(String metrics, String outcome) {
        return InferenceProcess.value(metrics, "graft_prediction_log_records_total{outcome=\"" + outcome + "\"}");
    }

    private static void printRecords(Map<String, Double> before, Map<String, Double> after) {
        System.out.printf(Locale.ROOT, "%-44s %9.0f sent, %.0f dropped, %.0f failed%n", "  prediction log records",
                after.get("sent") - before.get("sent"), after.get("dropped") - before.get("dropped"),
                after.get("failed") - before.get("failed"));
    }
}
