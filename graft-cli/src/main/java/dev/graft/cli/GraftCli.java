package dev.graft.cli;

import dev.graft.store.security.SerialFilter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.contract.events.Topics;
import dev.graft.contract.json.Json;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code bin/graft}'s Java commands: demo, eval, train, cancel, predict, import. Exit codes: 0 done, 1 failed, 2 usage. */
@Command(name = "graft", mixinStandardHelpOptions = true,
        subcommands = {GraftCli.DemoCommand.class, GraftCli.EvalCommand.class, GraftCli.TrainCommand.class,
                GraftCli.CancelCommand.class, GraftCli.PredictCommand.class, GraftCli.ImportCommand.class},
        footer = "Environment: GRAFT_DEMO_BUCKET (demo data uploaded there; GRAFT_S3_* reach it)")
public final class GraftCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--bootstrap-servers", defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
            scope = CommandLine.ScopeType.INHERIT, description = "Kafka (KAFKA_BOOTSTRAP_SERVERS; default ${DEFAULT-VALUE})")
    String bootstrap;

    @Option(names = "--inference-url", defaultValue = "${env:GRAFT_INFERENCE_URL:-http://127.0.0.1:8080}",
            scope = CommandLine.ScopeType.INHERIT, description = "the inference service (GRAFT_INFERENCE_URL; default ${DEFAULT-VALUE})")
    String inferenceUrl;

    @Option(names = "--data-root", defaultValue = "${env:GRAFT_DATA_ROOT:-.graft/data}",
            scope = CommandLine.ScopeType.INHERIT, description = "where datasets are written (GRAFT_DATA_ROOT; default ${DEFAULT-VALUE})")
    Path dataRoot;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command");
    }

    public static void main(String[] args) {
        SerialFilter.install();
        System.exit(execute(args));
    }

    static int execute(String... args) {
        return new CommandLine(new GraftCli())
                .setExecutionExceptionHandler((e, commandLine, parsed) -> {
                    String message = e.getMessage() != null ? e.getMessage() : e.toString();
                    System.err.println("graft: " + (e instanceof ConnectException
                            ? "cannot connect (is Graft running? bin/graft up): " + message : message));
                    return 1;
                })
                .execute(args);
    }

    private Demo demo() {
        return new Demo(dataRoot, new TrainingFollower(bootstrap, System.out), new InferenceClient(inferenceUrl), System.out,
                DemoBucket.fromEnvironment());
    }

    @Command(name = "demo", description = "Fashion-MNIST: export images, train a classifier and a price regressor on it, predict")
    static final class DemoCommand implements Callable<Integer> {
        @CommandLine.ParentCommand
        GraftCli graft;
        @Option(names = "--loop", description = "the loop instead: live traffic with feedback, live accuracy, the retraining"
                + " the loop service starts by itself (run after --write-loop-policy and a restart of the loop service)")
        boolean loop;
        @Option(names = "--write-loop-policy", paramLabel = "FILE", description = "export the loop demo's images and write"
                + " its retraining policy into FILE, for the loop service to read at start")
        Path loopPolicy;
        @Option(names = "--write-serving-policy", paramLabel = "FILE", description = "with --write-loop-policy: write the"
                + " loop demo's serving settings (its model's live gate) into FILE, for the inference service to read at start")
        Path servingPolicy;
        @Option(names = "--loop-url", defaultValue = "${env:GRAFT_LOOP_URL:-http://127.0.0.1:8082}",
                description = "the loop service (GRAFT_LOOP_URL; default ${DEFAULT-VALUE})")
        String loopUrl;
        @Option(names = "--train-per-class") Integer trainPerClass;
        @Option(names = "--validation-per-class") Integer validationPerClass;
        @Option(names = "--test-per-class") Integer testPerClass;
        @Option(names = "--size", description = "image side in pixels") Integer size;
        @Option(names = "--epochs") Integer epochs;

        @Override
        public Integer call() throws Exception {
            if (loopPolicy != null || loop) {
                DemoLoop demoLoop = new DemoLoop(graft.demo(), graft.dataRoot, new TrainingFollower(graft.bootstrap, System.out),
                        new InferenceClient(graft.inferenceUrl), loopUrl, System.getenv("GRAFT_ADMIN_API_KEY"), System.out);
                if (loopPolicy != null) {
                    demoLoop.writePolicy(loopPolicy, servingPolicy);
                    return 0;
                }
                return demoLoop.run() ? 0 : 1;
            }
            Demo.Settings d = Demo.Settings.DEFAULT;
            Demo.Settings settings = new Demo.Settings(or(trainPerClass, d.trainPerClass()),
                    or(validationPerClass, d.validationPerClass()), or(testPerClass, d.testPerClass()), or(size, d.size()),
                    or(epochs, d.epochs()));
            return graft.demo().run(settings) ? 0 : 1;
        }
    }

    @Command(name = "eval", description = "Quality on the whole Fashion-MNIST (--base imagenet: on ResNet50 ImageNet), or from scratch vs transfer (--per-class N,...)")
    static final class EvalCommand implements Callable<Integer> {
        @CommandLine.ParentCommand
        GraftCli graft;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--train-per-class") Integer trainPerClass;
        @Option(names = "--test-per-class") Integer testPerClass;
        @Option(names = "--epochs") Integer epochs;
        @Option(names = "--per-class", split = ",", paramLabel = "N[,N...]",
                description = "compare from scratch and transfer on N images per class, e.g. 10,30,100,300")
        List<Integer> perClass;
        @Option(names = "--curve", description = "the demo's classifier at larger inputs and more epochs: accuracy against time")
        boolean curve;
        @Option(names = "--size", description = "the comparison's input size on ResNet50 ImageNet (default: the demo's, 72)")
        Integer size;
        @Option(names = "--base", paramLabel = "imagenet|model:NAME[@VERSION]", description = "what the comparison transfers"
                + " from (default: ResNet50 ImageNet, the demo's base); the full run: imagenet for the demo's recipe on the whole set")
        String base;

        @Override
        public Integer call() throws Exception {
            if (perClass != null && perClass.stream().anyMatch(n -> n < 1 || n > Evaluation.MAX_PER_CLASS)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--per-class takes 1 to "
                        + Evaluation.MAX_PER_CLASS + " images per class (the comparison reads images 5,000 onwards"
                        + " of each class's 6,000)");
            }
            if (size != null && (perClass == null || size < 70 || (base != null && !Evaluation.IMAGENET.equals(base)))) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--size is the comparison's input size on ResNet50 ImageNet (--per-class), 70 or more");
            }
            if (perClass == null && !curve && base != null && !Evaluation.IMAGENET.equals(base)) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "the full run takes --base imagenet, or no --base for the small convnet from scratch");
            }
            Evaluation evaluation = new Evaluation(graft.dataRoot, new Demo(graft.dataRoot,
                    new TrainingFollower(graft.bootstrap, System.out), new InferenceClient(graft.inferenceUrl), System.out),
                    System.out);
            if (curve) {
                return evaluation.curve(Demo.Settings.DEFAULT) ? 0 : 1;
            }
            if (perClass != null) {
                Evaluation.Settings c = Evaluation.Settings.comparison(perClass.get(0));
                return evaluation.compare(perClass, or(epochs, c.epochs()), c.batchSize(), new Evaluation.Transfer(
                        Optional.ofNullable(base).orElse(c.transferBase()), or(size, Demo.Settings.DEFAULT.size()))) ? 0 : 1;
            }
            Evaluation.Settings f = base == null ? Evaluation.Settings.full() : Evaluation.Settings.fullImageNet();
            return evaluation.full(new Evaluation.Settings(or(trainPerClass, f.trainPerClass()),
                    or(testPerClass, f.testPerClass()), or(epochs, f.epochs()), f.batchSize(), f.transferBase())) ? 0 : 1;
        }
    }

    @Command(name = "train", description = "Publish a training request (a requestId is added if it has none) and follow it")
    static final class TrainCommand implements Callable<Integer> {
        @CommandLine.ParentCommand
        GraftCli graft;
        @Parameters(paramLabel = "REQUEST.json") Path file;
        @Option(names = "--timeout-minutes", defaultValue = "720") long timeoutMinutes;

        @Override
        public Integer call() throws Exception {
            JsonNode request = Json.MAPPER.readTree(Files.readString(file));
            if (!(request instanceof ObjectNode object)) {
                System.err.println(file + " must hold one JSON object");
                return 2;
            }
            if (!object.path("requestId").isTextual()) {
                object.put("requestId", object.path("model").asText("model") + "-"
                        + Long.toString(System.currentTimeMillis(), 36));
            }
            String requestId = object.get("requestId").asText();
            System.out.println("Publishing request " + requestId + " and following its progress (Ctrl-C stops"
                    + " following, not the training)");
            TrainingFollower.Outcome outcome = new TrainingFollower(graft.bootstrap, System.out).trainAndFollow(requestId,
                    Json.write(object), Duration.ofMinutes(timeoutMinutes));
            return outcome.succeeded() ? 0 : 1;
        }
    }

    @Command(name = "cancel", description = "Cancel a training: a running one stops at its next batch, a waiting one is answered")
    static final class CancelCommand implements Callable<Integer> {
        @CommandLine.ParentCommand
        GraftCli graft;
        @Parameters(paramLabel = "REQUEST_ID") String requestId;

        @Override
        public Integer call() throws Exception {
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, graft.bootstrap), new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>(Topics.TRAINING_CANCELLATIONS, requestId,
                        Json.write(Map.of("requestId", requestId)))).get();
            }
            System.out.println("Cancellation of " + requestId + " sent: a running training stops at its next batch"
                    + " (CANCELLED event), a waiting one when its turn comes");
            return 0;
        }
    }

    @Command(name = "import", description = "Store the ImageNet ResNet50 classifier as model resnet50-imagenet and wait until it serves")
    static final class ImportCommand implements Callable<Integer> {
        private static final String MODEL = "resnet50-imagenet";
        @CommandLine.ParentCommand
        GraftCli graft;
        @Parameters(paramLabel = MODEL) String model;
        @Option(names = "--trainer-url", defaultValue = "${env:GRAFT_TRAINER_URL:-http://127.0.0.1:8081}",
                description = "a trainer (GRAFT_TRAINER_URL; default ${DEFAULT-VALUE})")
        String trainerUrl;

        @Override
        public Integer call() throws Exception {
            if (!MODEL.equals(model)) {
                System.err.println("graft: only " + MODEL + " can be imported");
                return 2;
            }
            HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(trainerUrl + "/api/imports/" + MODEL)).POST(HttpRequest.BodyPublishers.noBody())
                    .timeout(Duration.ofMinutes(5)).build(), HttpResponse.BodyHandlers.ofString());
            if (answer.statusCode() != 200) {
                String body = answer.body();
                try {
                    body = Json.MAPPER.readTree(body).path("error").asText(body);
                } catch (IOException notJson) {
                    // the body as it came
                }
                System.err.println("graft: import failed (HTTP " + answer.statusCode() + "): " + body);
                return 1;
            }
            JsonNode body = Json.MAPPER.readTree(answer.body());
            int version = body.path("version").asInt();
            System.out.println("Stored " + MODEL + " version " + version + " (" + body.path("labels").size()
                    + " ImageNet labels, " + body.path("inputShape").path("height").asInt() + "x"
                    + body.path("inputShape").path("width").asInt() + ", " + body.path("preprocessing").asText()
                    + " preprocessing); waiting until it serves");
            new InferenceClient(graft.inferenceUrl).awaitServing(MODEL, version, Duration.ofMinutes(3));
            System.out.println("Serving: bin/graft predict " + MODEL + " PHOTO (bin/graft photos fetches four)");
            return 0;
        }
    }

    @Command(name = "predict", description = "Post an image to the inference service and print the prediction")
    static final class PredictCommand implements Callable<Integer> {
        @CommandLine.ParentCommand
        GraftCli graft;
        @Parameters(index = "0", paramLabel = "MODEL") String model;
        @Parameters(index = "1", paramLabel = "IMAGE") Path image;

        @Override
        public Integer call() throws Exception {
            JsonNode prediction = new InferenceClient(graft.inferenceUrl).predict(model, image);
            System.out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(prediction));
            return 0;
        }
    }

    private static int or(Integer value, int fallback) {
        return value != null ? value : fallback;
    }
}
