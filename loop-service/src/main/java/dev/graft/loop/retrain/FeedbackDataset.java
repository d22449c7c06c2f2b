package dev.graft.loop.retrain;

import dev.graft.contract.events.LabelledExample;
import dev.graft.contract.manifest.Task;
import dev.graft.store.Blobs;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes one retraining's feedback CSV beside the model's captured images ({@code MODEL/feedback-EPOCH-SEQ.csv},
 * rows {@code SHA256.EXT,label} or {@code SHA256.EXT,value}, files relative to the CSV as the trainer reads
 * them, one per image with the latest answer given for it). An example whose image was not kept (capture off, over its bound, dropped) has nothing to train
 * on and is left out. Written again with the same name and rows when a transaction is processed again.
 */
final class FeedbackDataset {
    private final Blobs captured;
    private final String capturedAs;

    FeedbackDataset(Blobs captured, String capturedAs) {
        this.captured = captured;
        this.capturedAs = capturedAs.endsWith("/") ? capturedAs : capturedAs + "/";
    }

    /** The CSV as a training request names it, or empty when none of the examples has a kept image. */
    Optional<String> write(String model, String sequence, Task task, List<LabelledExample> examples) {
        Set<String> kept = new HashSet<>(captured.list(model + "/"));
        // one row per image, with the latest answer given for it (the same image predicted twice is one example)
        Map<String, String> truthByImage = new TreeMap<>();
        examples.stream().sorted(Comparator.comparing(LabelledExample::labelledAt)).forEach(example -> {
            String image = imageName(example);
            String truth = task == Task.REGRESSION ? (example.value() == null ? null : String.valueOf(example.value()))
                    : example.label();
            // the trainer's CSV has no quoting: a label with a comma or a line break cannot be a row
            if (image != null && kept.contains(model + "/" + image) && truth != null && !truth.isBlank()
                    && !truth.matches("(?s).*[,\\r\\n].*")) {
                truthByImage.put(image, truth);
            }
        });
        StringBuilder csv = new StringBuilder(task == Task.REGRESSION ? "file,value\n" : "file,label\n");
        truthByImage.forEach((image, truth) -> csv.append(image).append(',').append(truth).append('\n'));
        int rows = truthByImage.size();
        if (rows == 0) {
            return Optional.empty();
        }
        String key = model + "/feedback-" + sequence + ".csv";
        captured.write(key, csv.toString().getBytes(StandardCharsets.UTF_8));
        return Optional.of(capturedAs + key);
    }

    /** The captured file's name ({@code SHA256.EXT}, as the inference service keeps it), or null. */
    private static String imageName(LabelledExample example) {
        String location = example.capturedImage();
        if (location == null || example.imageSha256() == null) {
            return null;
        }
        String name = location.substring(location.lastIndexOf('/') + 1);
        return name.startsWith(example.imageSha256() + ".") ? name : null;
    }
}
