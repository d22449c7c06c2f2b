package dev.graft.trainer.dataset;

import org.apache.commons.io.file.PathUtils;
import dev.graft.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DatasetReaderTest {
    @TempDir
    Path root;

    /** One PNG to copy or link, outside any data root. */
    private Path image() {
        Path file = root.resolve("source.png");
        if (!Files.exists(file)) {
            TestImages.write(TestImages.stripes(true, 200, new Random(1)), file);
        }
        return file;
    }

    @Test
    void classFoldersGiveSortedLabelsAndValidationUsesTheTrainingOnes() {
        TestImages.classFolders(root.resolve("train"), 3, 1);
        TestImages.classFolders(root.resolve("validation"), 2, 2);
        DatasetReader reader = new DatasetReader(root.toString(), RemoteDatasets.none());

        LabeledImages train = reader.classFolders("train", null);
        LabeledImages validation = reader.classFolders("validation", train.labels());

        assertThat(train.labels()).containsExactly("horizontal", "vertical");
        assertThat(train.classCounts()).containsExactly(3, 3);
        assertThat(validation.size()).isEqualTo(4);
        assertThat(validation.classIndex()).containsExactly(0, 0, 1, 1);
    }

    @Test
    void emptyClassesOneClassAndUnknownClassesAreNamed() throws IOException {
        DatasetReader reader = new DatasetReader(root.toString(), RemoteDatasets.none());
        TestImages.classFolders(root.resolve("a"), 1, 1);
        Files.createDirectories(root.resolve("a/empty"));
        assertThatThrownBy(() -> reader.classFolders("a", null)).hasMessageContaining("class folder a/empty has no images");

        TestImages.classFolders(root.resolve("b"), 1, 1);
        PathUtils.deleteDirectory(root.resolve("b/vertical"));
        assertThatThrownBy(() -> reader.classFolders("b", null)).hasMessageContaining("needs at least two class folders");

        TestImages.classFolders(root.resolve("c"), 1, 1);
        assertThatThrownBy(() -> reader.classFolders("c", List.of("horizontal", "diagonal")))
                .hasMessageContaining("c/vertical is not one of the training classes");
    }

    @Test
    void csvRowsAreCheckedAndNamedByLine() throws IOException {
        TestImages.priceCsv(root.resolve("p"), "ok.csv", 3, 1);
        DatasetReader reader = new DatasetReader(root.toString(), RemoteDatasets.none());
        LabeledImages ok = reader.csvTargets("p/ok.csv", "file", "price");
        assertThat(ok.size()).isEqualTo(3);
        assertThat(java.util.Arrays.stream(ok.target()).boxed().toList()).allSatisfy(t -> assertThat(t).isBetween(60.0, 250.0));

        Files.write(root.resolve("p/missing.csv"), List.of("file,price", "images/nope.png,10"));
        assertThatThrownBy(() -> reader.csvTargets("p/missing.csv", "file", "price"))
                .hasMessageContaining("p/missing.csv line 2: image images/nope.png does not exist");
        String existing = Files.readAllLines(root.resolve("p/ok.csv")).get(1).split(",")[0];
        Files.write(root.resolve("p/text.csv"), List.of("file,price", existing + ",cheap"));
        assertThatThrownBy(() -> reader.csvTargets("p/text.csv", "file", "price"))
                .hasMessageContaining("line 2: target 'cheap' is not a number");
        assertThatThrownBy(() -> reader.csvTargets("p/ok.csv", "path", "price"))
                .hasMessageContaining("needs columns 'path' and 'price'");
    }

    @Test
    void aFeedbackCsvLabelsEachImageWithOneOfTheTrainingClassesLeavingOutOthers() throws IOException {
        TestImages.classFolders(root.resolve("captured"), 2, 3);
        Files.write(root.resolve("captured/feedback.csv"), List.of("file,label", "horizontal/" + first("captured/horizontal")
                + ",vertical", "vertical/" + first("captured/vertical") + ",horizontal"));
        DatasetReader reader = new DatasetReader(root.toString(), RemoteDatasets.none());
        List<String> labels = List.of("horizontal", "vertical");
        LabeledImages feedback = reader.csvLabels("captured/feedback.csv", "file", "label", labels);
        assertThat(feedback.labels()).isEqualTo(labels);
        assertThat(feedback.classIndex()).containsExactly(1, 0);
        assertThat(feedback.files().get(0)).isEqualTo(root.resolve("captured/horizontal/" + first("captured/horizontal")));

        // a label this training does not have (live feedback may name one): that row is left out, the rest trains
        Files.write(root.resolve("captured/unknown.csv"), List.of("file,label", "horizontal/" + first("captured/horizontal")
                + ",diagonal", "vertical/" + first("captured/vertical") + ",vertical"));
        LabeledImages known = reader.csvLabels("captured/unknown.csv", "file", "label", labels);
        assertThat(known.files()).containsExactly(root.resolve("captured/vertical/" + first("captured/vertical")));
        assertThat(known.classIndex()).containsExactly(1);
    }

    private String first(String folder) throws IOException {
        try (var files = Files.list(root.resolve(folder))) {
            return files.map(f -> f.getFileName().toString()).sorted().findFirst().orElseThrow();
        }
    }

    @Test
    void pathsOutsideTheDataRootAreRejected() throws IOException {
        DatasetReader reader = new DatasetReader(root.resolve("data").toString(), RemoteDatasets.none());
        assertThatThrownBy(() -> reader.classFolders("../outside", null)).hasMessageContaining("outside the data root");
        Files.createDirectories(root.resolve("data"));
        Files.write(root.resolve("data/escape.csv"), List.of("file,price", "../../etc/passwd,1"));
        assertThatThrownBy(() -> reader.csvTargets("escape.csv", "file", "price")).hasMessageContaining("outside the data root");
        assertThatThrownBy(() -> reader.classFolders(root.resolve("outside").toString(), null))
                .hasMessageContaining("outside the data root");
    }

    @Test
    void symbolicLinksLeadingOutOfTheDataRootAreRejected() throws IOException {
        Path data = Files.createDirectories(root.resolve("data"));
        Path outside = Files.createDirectories(root.resolve("secret"));
        for (String label : List.of("a", "b")) {
            Files.createDirectories(outside.resolve(label));
            Files.copy(image(), outside.resolve(label).resolve("1.png"));
        }
        Files.createSymbolicLink(data.resolve("linked"), outside);
        Path inside = Files.createDirectories(data.resolve("mixed/a"));
        Files.copy(image(), inside.resolve("1.png"));
        Files.createDirectories(data.resolve("mixed/b"));
        Files.createSymbolicLink(data.resolve("mixed/b/1.png"), outside.resolve("b/1.png"));
        Files.write(data.resolve("linked.csv"), List.of("file,price", "linked/a/1.png,1"));
        DatasetReader reader = new DatasetReader(data.toString(), RemoteDatasets.none());

        assertThatThrownBy(() -> reader.classFolders("linked", null)).hasMessageContaining("through a symbolic link");
        assertThatThrownBy(() -> reader.classFolders("mixed", null)).hasMessageContaining("mixed/b/1.png")
                .hasMessageContaining("through a symbolic link");
        assertThatThrownBy(() -> reader.csvTargets("linked.csv", "file", "price")).hasMessageContaining("symbolic link");
        // a link that stays inside the root is fine
        Files.createSymbolicLink(data.resolve("alias"), data.resolve("mixed"));
        Files.delete(data.resolve("mixed/b/1.png"));
        Files.copy(image(), data.resolve("mixed/b/1.png"));
        assertThat(reader.classFolders("alias", null).size()).isEqualTo(2);
    }
}
