package dev.graft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.shared.events.Topics;
import dev.graft.shared.json.Json;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** {@code bin/graft}'s Java commands: demo, eval, train, cancel, predict. */
public final class GraftCli {
    private GraftCli() {
    }

    public static void main(String[] args) {
        try {
            System.exit(run(args));
        } catch (java.net.ConnectException e) {
            System.err.println("graft: cannot connect (is Graft running? bin/graft up): " + e);
        } catch (Exception e) {
            System.err.println("graft: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
        }
        System.exit(1);
    }

    static int run(String[] args) throws Exception {
        if (args.length == 0) {
            return usage();
        }
        Map<String, String> options = new HashMap<>();
        java.util.List<String> positional = new java.util.ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            if (args[i].startsWith("--") && i + 1 < args.length) {
                options.put(args[i].substring(2), args[++i]);
            } else {
                positional.add(args[i]);
            }
        }
        String bootstrap = env("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092");
        String inferenceUrl = env("GRAFT_INFERENCE_URL", "http://127.0.0.1:8080");
        Path dataRoot = Path.of(env("GRAFT_DATA_ROOT", ".graft/data"));
        switch (args[0]) {
            case "demo" -> {
                Demo.Settings d = Demo.Settings.DEFAULT;
                Demo.Settings settings = new Demo.Settings(
                        Integer.parseInt(options.getOrDefault("train-per-class", "" + d.trainPerClass())),
                        Integer.parseInt(options.getOrDefault("validation-per-class", "" + d.validationPerClass())),
                        Integer.parseInt(options.getOrDefault("test-per-class", "" + d.testPerClass())),
                        Integer.parseInt(options.getOrDefault("size", "" + d.size())),
                        Integer.parseInt(options.getOrDefault("epochs", "" + d.epochs())));
                return new Demo(dataRoot, new TrainingFollower(bootstrap, System.out), new InferenceClient(inferenceUrl),
                        System.out, DemoBucket.fromEnvironment()).run(settings) ? 0 : 1;
            }
            case "eval" -> {
                Evaluation evaluation = new Evaluation(dataRoot, new Demo(dataRoot, new TrainingFollower(bootstrap,
                        System.out), new InferenceClient(inferenceUrl), System.out), System.out);
                if (options.containsKey("per-class")) {
                    Evaluation.Settings c = Evaluation.Settings.comparison(Integer.parseInt(options.get("per-class")));
                    return evaluation.compare(new Evaluation.Settings(c.trainPerClass(), c.testPerClass(),
                            Integer.parseInt(options.getOrDefault("epochs", "" + c.epochs())), c.batchSize(),
                            options.getOrDefault("base", c.transferBase()))) ? 0 : 1;
                }
                Evaluation.Settings f = Evaluation.Settings.full();
                return evaluation.full(new Evaluation.Settings(
                        Integer.parseInt(options.getOrDefault("train-per-class", "" + f.trainPerClass())),
                        Integer.parseInt(options.getOrDefault("test-per-class", "" + f.testPerClass())),
                        Integer.parseInt(options.getOrDefault("epochs", "" + f.epochs())), f.batchSize(), null)) ? 0 : 1;
            }
            case "train" -> {
                if (positional.size() != 1) {
                    return usage();
                }
                JsonNode request = Json.MAPPER.readTree(Files.readString(Path.of(positional.get(0))));
                if (!(request instanceof ObjectNode object)) {
                    System.err.println(positional.get(0) + " must hold one JSON object");
                    return 2;
                }
                if (!object.path("requestId").isTextual()) {
                    object.put("requestId", object.path("model").asText("model") + "-"
                            + Long.toString(System.currentTimeMillis(), 36));
                }
                String requestId = object.get("requestId").asText();
                System.out.println("Publishing request " + requestId + " and following its progress (Ctrl-C stops"
                        + " following, not the training)");
                TrainingFollower.Outcome outcome = new TrainingFollower(bootstrap, System.out).trainAndFollow(requestId,
                        Json.write(object), Duration.ofMinutes(Long.parseLong(options.getOrDefault("timeout-minutes", "720"))));
                return outcome.succeeded() ? 0 : 1;
            }
            case "cancel" -> {
                if (positional.size() != 1) {
                    return usage();
                }
                String requestId = positional.get(0);
                try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringSerializer(), new StringSerializer())) {
                    producer.send(new ProducerRecord<>(Topics.TRAINING_CANCELLATIONS, requestId,
                            Json.write(Map.of("requestId", requestId)))).get();
                }
                System.out.println("Cancellation of " + requestId + " sent: a running training stops at its next batch"
                        + " (CANCELLED event), a waiting one when its turn comes");
                return 0;
            }
            case "predict" -> {
                if (positional.size() != 2) {
                    return usage();
                }
                JsonNode prediction = new InferenceClient(inferenceUrl).predict(positional.get(0), Path.of(positional.get(1)));
                System.out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(prediction));
                return 0;
            }
            default -> {
                return usage();
            }
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    private static int usage() {
        System.err.println("""
                usage: graft demo [--train-per-class N] [--validation-per-class N] [--test-per-class N] [--size PX] [--epochs N]
                       graft eval [--train-per-class N] [--test-per-class N] [--epochs N]
                       graft eval --per-class N [--epochs N] [--base model:NAME[@VERSION]]
                       graft train REQUEST.json [--timeout-minutes N]
                       graft cancel REQUEST_ID
                       graft predict MODEL IMAGE
                environment: KAFKA_BOOTSTRAP_SERVERS (127.0.0.1:9092), GRAFT_INFERENCE_URL (http://127.0.0.1:8080),
                             GRAFT_DATA_ROOT (.graft/data), GRAFT_DEMO_BUCKET (demo data uploaded there; GRAFT_S3_* reach it)""");
        return 2;
    }
}
