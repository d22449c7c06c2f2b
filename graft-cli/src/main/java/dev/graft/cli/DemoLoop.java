package dev.graft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.contract.events.TrainingRequest;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.Task;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code bin/graft demo --loop}: the loop closed on the demo's data. A small Fashion-MNIST classifier on
 * ResNet50 ImageNet serves; new test images stream in and each answer gets feedback with its true label;
 * the loop service scores the version on that live traffic and, by the policy {@link #writePolicy} gave
 * it, sends a retraining on the original images plus the feedback examples by itself; the new version
 * answers in shadow beside the old on more live traffic, and the inference service's live gate promotes
 * or refuses it on the labels both answered; both are then scored on held-out images.
 */
public final class DemoLoop {
    public static final String MODEL = "fashion-loop";
    private static final int TRAIN_PER_CLASS = 100;
    private static final int VALIDATION_PER_CLASS = 30;
    private static final int STREAM_PER_CLASS = 30;
    private static final int HELD_OUT_PER_CLASS = 30;
    private static final int SHADOW_PER_CLASS = 20;
    /** Live examples both versions answered before the gate decides: most of the shadow stream. */
    private static final int SHADOW_MIN_EXAMPLES = 150;
    private static final int SIZE = 72;
    private static final Duration TIMEOUT = Duration.ofMinutes(30);

    private final Demo demo;
    private final Path dataRoot;
    private final TrainingFollower follower;
    private final InferenceClient inference;
    private final String loopUrl;
    private final String adminKey;
    private final PrintStream out;

    /** @param adminKey the inference service's admin key, for a rerun whose first version must be made to serve */
    public DemoLoop(Demo demo, Path dataRoot, TrainingFollower follower, InferenceClient inference, String loopUrl,
                    String adminKey, PrintStream out) {
        this.demo = demo;
        this.dataRoot = dataRoot;
        this.follower = follower;
        this.inference = inference;
        this.loopUrl = loopUrl.endsWith("/") ? loopUrl.substring(0, loopUrl.length() - 1) : loopUrl;
        this.adminKey = adminKey;
        this.out = out;
    }

    private Path dataset() {
        return dataRoot.resolve(MODEL);
    }

    /** The request that trains the first version, and that each retraining sends again (the loop's template). */
    private static TrainingRequest request(String requestId) {
        return new TrainingRequest(requestId, MODEL, Task.CLASSIFICATION,
                new TrainingRequest.Dataset(MODEL + "/train", MODEL + "/validation", null, null, null),
                new TrainingRequest.Base(Demo.ARCHITECTURE, "imagenet", SIZE, SIZE), new TrainingRequest.Head(256, 0.5),
                new TrainingRequest.FrozenPhase(2, 1e-3, 32), new TrainingRequest.FineTunePhase(1, 1e-4, 32, Demo.TOP_BLOCK),
                null, null, null, 42L);
    }

    /**
     * Exports the images and writes the loop's retraining policy for {@link #MODEL} into {@code policies} (a
     * properties file the loop service reads at start): retrain after one stream's worth of feedback; and, when
     * {@code serving} is given, the inference service's live gate for it there: a new version answers in
     * shadow and serves only if at least as good on {@value #SHADOW_MIN_EXAMPLES} live examples.
     */
    public void writePolicy(Path policies, Path serving) throws IOException {
        demo.prepare(dataset(), List.of(
                new FashionMnist.Split("train", "train", 0, TRAIN_PER_CLASS),
                new FashionMnist.Split("validation", "train", TRAIN_PER_CLASS, VALIDATION_PER_CLASS),
                new FashionMnist.Split("stream", "t10k", 0, STREAM_PER_CLASS),
                new FashionMnist.Split("held-out", "t10k", STREAM_PER_CLASS, HELD_OUT_PER_CLASS),
                new FashionMnist.Split("shadow-stream", "t10k", STREAM_PER_CLASS + HELD_OUT_PER_CLASS, SHADOW_PER_CLASS)));
        Path template = policies.resolveSibling("loop").resolve(MODEL + ".json").toAbsolutePath();
        Files.createDirectories(template.getParent());
        Files.writeString(template, Json.write(request(null)));
        String prefix = "graft.retrain.models.\"" + MODEL + "\".";
        Files.writeString(policies, "# written by bin/graft demo --loop (docs/loop.md#retraining)\n"
                + prefix + "request=" + template + "\n"
                + prefix + "after-examples=" + STREAM_PER_CLASS * FashionMnist.LABELS.size() + "\n");
        out.println("Retraining policy for " + MODEL + " in " + policies + ": after "
                + STREAM_PER_CLASS * FashionMnist.LABELS.size() + " labelled examples, the request in " + template);
        if (serving != null) {
            String model = "graft.serving.models.\"" + MODEL + "\".";
            Files.writeString(serving, "# written by bin/graft demo --loop (docs/loop.md#shadow-and-the-live-gate)\n"
                    + model + "shadow-share=1\n" + model + "shadow-min-examples=" + SHADOW_MIN_EXAMPLES + "\n");
            out.println("Live gate for " + MODEL + " in " + serving + ": a new version answers in shadow and serves if at"
                    + " least as good on " + SHADOW_MIN_EXAMPLES + " live examples");
        }
    }

    public boolean run() throws IOException, InterruptedException {
        long start = System.nanoTime();
        out.println(Machine.describe());
        out.println("\n== 1/6 " + MODEL + ": ResNet50 ImageNet, " + TRAIN_PER_CLASS + " images per class at " + SIZE + "x" + SIZE);
        TrainingFollower.Outcome first = demo.train(request(MODEL + "-" + Long.toString(System.currentTimeMillis(), 36)));
        if (!first.succeeded()) {
            return false;
        }
        int before = first.version().version();
        JsonNode started = awaitStatus(status -> status.path("version").asInt() == before
                || status.path("shadowVersion").asInt() == before, "version " + before + " serving or in shadow");
        if (started.path("version").asInt() != before) {
            // a rerun: an earlier run's version serves, so the live gate put this one in shadow
            out.println("  version " + started.path("version").asInt() + " (an earlier run's) serves: version " + before
                    + " is made to serve (pinned, then unpinned) so that the demo starts from it");
            inference.makeServe(MODEL, before, adminKey);
        }
        double heldOutBefore = heldOutAccuracy(before);
        out.printf(Locale.ROOT, "version %d serves: %.1f%% right on %d held-out images%n", before, 100 * heldOutBefore,
                HELD_OUT_PER_CLASS * FashionMnist.LABELS.size());

        List<String[]> stream = rows("stream");
        out.println("\n== 2/6 " + stream.size() + " new images stream in; each answer gets feedback with the true label");
        try (TrainingFollower.Watch watch = follower.watch()) {
            int right = streamWithFeedback(stream);

            out.println("\n== 3/6 the loop service joins predictions and feedback: live accuracy of version " + before);
            JsonNode live = awaitLive(before, stream.size());
            out.printf(Locale.ROOT, "  %d labelled examples, live accuracy %.1f%% (%d right of the answers above)%n",
                    live.path("examples").asInt(), 100 * live.path("accuracy").asDouble(), right);
            printConfusions(live.path("confusion"));

            out.println("\n== 4/6 the loop retrains " + MODEL + " by itself: the original images plus the " + stream.size()
                    + " feedback examples");
            TrainingFollower.Outcome retrained = watch.await(id -> id.startsWith(MODEL + "-feedback-"), TIMEOUT);
            if (!retrained.succeeded()) {
                out.println("The retraining failed: " + retrained.last().message());
                return false;
            }
            out.println("  request " + retrained.last().requestId() + ", sent by the loop service when the count was reached");
            int after = retrained.version().version();

            List<String[]> shadowStream = rows("shadow-stream");
            out.println("\n== 5/6 version " + after + " answers in shadow beside version " + before + ": " + shadowStream.size()
                    + " more images with feedback; it serves only if at least as good on the same live labels");
            awaitStatus(status -> status.path("shadowVersion").asInt() == after || status.path("version").asInt() == after,
                    "version " + after + " in shadow");
            streamWithFeedback(shadowStream);
            JsonNode decided = awaitStatus(status -> status.path("version").asInt() == after || heldBack(status, after) != null,
                    "the live gate's decision on version " + after);
            printGate(decided, after, before);

            out.println("\n== 6/6 version " + after + " (retrained) against version " + before + " on held-out images");
            // scored by version (a stored one loads on demand), whichever serves
            double heldOutAfter = heldOutAccuracy(after);
            out.printf(Locale.ROOT, "  version %d: %.1f%% right; version %d: %.1f%% right; serving: version %d%n", before,
                    100 * heldOutBefore, after, 100 * heldOutAfter, inference.status(MODEL).path("version").asInt());
        }
        out.printf(Locale.ROOT, "%nThe loop demo finished in %.1f minutes.%n", (System.nanoTime() - start) / 60e9);
        return true;
    }

    /** Predicts each image and answers with its true label; prints progress; returns how many answers were right. */
    private int streamWithFeedback(List<String[]> stream) throws IOException, InterruptedException {
        int right = 0;
        for (int i = 0; i < stream.size(); i++) {
            String file = stream.get(i)[0];
            String label = stream.get(i)[1];
            JsonNode answer = inference.predict(MODEL, dataset().resolve(file));
            String predicted = answer.path("label").asText();
            right += predicted.equals(label) ? 1 : 0;
            inference.feedback(MODEL, answer.path("predictionId").asText(), label);
            if ((i + 1) % 50 == 0 || i + 1 == stream.size()) {
                out.printf(Locale.ROOT, "  %3d answered by version %d, %3d right (%.1f%%); last: %s answered %s, feedback %s%n",
                        i + 1, answer.path("version").asInt(), right, 100.0 * right / (i + 1),
                        answer.path("predictionId").asText(), predicted, label);
            }
        }
        return right;
    }

    /** The model's status once {@code done} holds, within 5 minutes (a version may still be loading). */
    private JsonNode awaitStatus(java.util.function.Predicate<JsonNode> done, String what) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode status = inference.status(MODEL);
            if (done.test(status)) {
                return status;
            }
            Thread.sleep(500);
        }
        throw new IOException("no " + what + " after 5 minutes: GET /api/models/" + MODEL + " and bin/graft status say why");
    }

    private static String heldBack(JsonNode status, int version) {
        for (JsonNode note : status.path("heldBack")) {
            if (note.path("version").asInt() == version) {
                return note.path("reason").asText();
            }
        }
        return null;
    }

    /** What the gate decided on version {@code candidate}, and the loop's comparison of both versions as it stands now. */
    private void printGate(JsonNode status, int candidate, int serving) throws IOException, InterruptedException {
        for (JsonNode pair : inference.get(loopUrl + "/api/shadow/" + MODEL).path("pairs")) {
            if (pair.path("candidate").asInt() == candidate && pair.path("serving").asInt() == serving) {
                int examples = pair.path("examples").asInt();
                out.printf(Locale.ROOT, "  the loop's comparison on the %d live examples both answered: version %d %d right"
                                + " (%.1f%%), version %d %d right (%.1f%%)%n", examples, candidate, pair.path("candidateRight").asInt(),
                        100.0 * pair.path("candidateRight").asInt() / examples, serving, pair.path("servingRight").asInt(),
                        100.0 * pair.path("servingRight").asInt() / examples);
            }
        }
        String refused = heldBack(status, candidate);
        out.println(refused == null ? "  promoted: version " + candidate + " serves (decided once " + SHADOW_MIN_EXAMPLES
                + " examples were compared)" : "  refused: version " + status.path("version").asInt() + " serves on; " + refused);
    }

    /** The split's images and labels, in the export's order (the classes mixed). */
    private List<String[]> rows(String split) throws IOException {
        List<String> csv = Files.readAllLines(dataset().resolve(split + "-prices.csv"));
        List<String[]> rows = new ArrayList<>();
        for (String line : csv.subList(1, csv.size())) {
            String file = line.split(",")[0];
            rows.add(new String[]{file, Path.of(file).getParent().getFileName().toString()});
        }
        return rows;
    }

    private double heldOutAccuracy(int version) throws IOException, InterruptedException {
        List<String[]> heldOut = rows("held-out");
        int right = 0;
        for (String[] row : heldOut) {
            right += inference.predict(MODEL, dataset().resolve(row[0]), version).path("label").asText().equals(row[1]) ? 1 : 0;
        }
        return (double) right / heldOut.size();
    }

    /** The loop's live figures of {@code version} once they count {@code examples}. */
    private JsonNode awaitLive(int version, int examples) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            for (JsonNode figures : inference.get(loopUrl + "/api/live/" + MODEL)) {
                if (figures.path("version").asInt() == version && figures.path("examples").asInt() >= examples) {
                    return figures;
                }
            }
            Thread.sleep(500);
        }
        throw new IOException("the loop service has not counted " + examples + " examples of " + MODEL + " version "
                + version + " after 2 minutes: is it running (bin/graft status)?");
    }

    private void printConfusions(JsonNode confusion) {
        Map<Integer, List<String>> mistakes = new TreeMap<>((a, b) -> b - a);
        confusion.fields().forEachRemaining(row -> row.getValue().fields().forEachRemaining(cell -> {
            if (!cell.getKey().equals(row.getKey())) {
                mistakes.computeIfAbsent(cell.getValue().asInt(), n -> new ArrayList<>()).add(row.getKey() + " taken for " + cell.getKey());
            }
        }));
        List<String> top = mistakes.entrySet().stream().flatMap(e -> e.getValue().stream().map(m -> e.getKey() + " " + m))
                .limit(3).toList();
        out.println("  most confused: " + (top.isEmpty() ? "nothing" : String.join(", ", top)));
    }
}
