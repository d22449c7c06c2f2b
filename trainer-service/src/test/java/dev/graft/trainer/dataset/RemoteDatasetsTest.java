package dev.graft.trainer.dataset;

import dev.graft.s3local.LocalS3;
import dev.graft.contract.events.TrainingRequest;
import dev.graft.store.Blobs;
import dev.graft.store.S3Settings;
import dev.graft.store.StorageUri;
import dev.graft.testing.TestImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Datasets read from a real S3 API server: only allowed buckets, mirrored locally, refreshed by what changed. */
class RemoteDatasetsTest {
    private static LocalS3 s3;
    private static S3Settings settings;

    @TempDir
    Path work;

    @BeforeAll
    static void start() throws Exception {
        s3 = LocalS3.start(Files.createTempDirectory("graft-datasets-s3"), "graft-data", "graft-other");
        settings = S3Settings.local(s3.endpoint(), LocalS3.ACCESS_KEY, LocalS3.SECRET_KEY);
    }

    @AfterAll
    static void stop() {
        s3.close();
    }

    private RemoteDatasets datasets(long maxBytes) {
        return new RemoteDatasets(Optional.of(List.of("graft-data")), settings, work.resolve("cache"), maxBytes);
    }

    private static Blobs bucket(String name) {
        return StorageUri.parse("s3://" + name + "/").open(settings);
    }

    private String upload(String bucket, String prefix) throws Exception {
        Path images = work.resolve("images-" + prefix);
        TestImages.classFolders(images.resolve("train"), 3, 1);
        try (Stream<Path> files = Files.walk(images)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                bucket(bucket).upload(file, prefix + "/" + images.relativize(file));
            }
        }
        return "s3://" + bucket + "/" + prefix + "/";
    }

    @Test
    void aBucketNotAllowedIsRefusedAtValidationWithTheRule() {
        RemoteDatasets datasets = datasets(1L << 30);
        assertThatThrownBy(() -> datasets.check(new TrainingRequest.Dataset("s3://graft-other/x/", null, 0.2, null, null)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("dataset.train: the bucket 'graft-other' may not be read: graft.data.allowed-buckets is [graft-data]");
        assertThatThrownBy(() -> datasets.check(new TrainingRequest.Dataset("local/train", "s3://graft-other/v/", null, null, null)))
                .hasMessageStartingWith("dataset.validation: the bucket 'graft-other'");
        assertThatThrownBy(() -> RemoteDatasets.none().check(new TrainingRequest.Dataset("s3://graft-data/x/", null, 0.2, null, null)))
                .hasMessageContaining("no bucket is (set graft.data.allowed-buckets)");
        datasets.check(new TrainingRequest.Dataset("s3://graft-data/x/", "local/validation", null, null, null));
    }

    @Test
    void aFolderIsMirroredOnceThenOnlyWhatChangedIsFetchedAndWhatWentIsRemoved() throws Exception {
        String uri = upload("graft-data", "shapes");
        RemoteDatasets datasets = datasets(1L << 30);
        DatasetReader reader = new DatasetReader(work.resolve("no-data-root").toString(), datasets);
        LabeledImages images = reader.classFolders(uri + "train", null);
        assertThat(images.labels()).containsExactly("horizontal", "vertical");
        assertThat(images.files()).hasSize(6).allSatisfy(f -> assertThat(f).startsWith(work.resolve("cache")));

        Path kept = images.files().get(0);
        Files.setLastModifiedTime(kept, FileTime.fromMillis(0));
        String gone = "shapes/train/vertical/" + images.files().get(5).getFileName();
        bucket("graft-data").delete(gone);
        LabeledImages again = reader.classFolders(uri + "train", null);
        assertThat(Files.getLastModifiedTime(kept).toMillis()).as("unchanged: not downloaded again").isZero();
        assertThat(again.files()).hasSize(5);
        assertThat(images.files().get(5)).doesNotExist();
    }

    @Test
    void aDatasetOverTheSizeLimitIsRefusedBeforeAnyDownload() throws Exception {
        String uri = upload("graft-data", "big");
        assertThatThrownBy(() -> datasets(100).folder(uri + "train"))
                .hasMessageContaining("more than graft.trainer.max-dataset-bytes (100)");
        assertThat(work.resolve("cache/datasets/graft-data/big")).doesNotExist();
    }

    @Test
    void aMissingPrefixSaysSo() {
        assertThatThrownBy(() -> datasets(1L << 30).folder("s3://graft-data/nothing-here/"))
                .hasMessage("dataset s3://graft-data/nothing-here/ has no objects");
    }

    @Test
    void aLocationThatCouldNameAFolderOutsideItsPrefixIsRefusedAtValidationWithTheRule() {
        RemoteDatasets datasets = datasets(1L << 30);
        for (String location : List.of("s3://graft-data//etc/", "s3://graft-data/../../x/", "s3://graft-data/a/../../x/",
                "s3://graft-data/a/./b/", "s3://graft-data/a//b/", "s3://graft-data/a\\..\\b/", "s3://graft-data/a\u0000b/",
                "s3://graft-data/../prices.csv")) {
            assertThatThrownBy(() -> datasets.check(new TrainingRequest.Dataset(location, null, 0.2, null, null)))
                    .as(location).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("dataset.train: s3://graft-data/")
                    .hasMessageContaining("each NAME a plain name");
        }
        assertThatThrownBy(() -> datasets.check(new TrainingRequest.Dataset("local", "s3://graft-data//v/", null, null, null)))
                .hasMessageStartingWith("dataset.validation: s3://graft-data//v/: an empty path segment");
        assertThatThrownBy(() -> datasets.csv("s3://graft-data/prices/.."))
                .hasMessageContaining("'..' is not a plain object name");
    }

    @Test
    void objectKeysThatAreNotPlainPathsAreRefusedBeforeAnythingIsWrittenOrRemoved() throws Exception {
        String uri = upload("graft-data", "odd");
        RemoteDatasets datasets = datasets(1L << 30);
        Path mirrored = datasets.folder(uri + "train");
        Path kept = Files.list(mirrored.resolve("vertical")).findFirst().orElseThrow();
        Path image = Files.list(mirrored.resolve("horizontal")).findFirst().orElseThrow();
        bucket("graft-data").delete("odd/train/vertical/" + kept.getFileName());
        // of the keys that are not plain paths, the file-system-backed S3 server keeps only this one verbatim: it
        // refuses '..' segments and folds '.' and '//' itself, where AWS S3 keeps them (those: the test below)
        String key = "odd/train/horizontal/a\\..\\b.png";
        bucket("graft-data").upload(image, key);
        assertThatThrownBy(() -> datasets.folder(uri + "train"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("holds the object '" + key + "', which is not a plain path below the prefix: "
                        + "refused, nothing downloaded or removed");
        assertThat(kept).as("gone from the bucket, but nothing is removed once a key is refused").exists();
        assertThat(mirrored.resolve("horizontal/a\\..\\b.png")).doesNotExist();
    }

    @Test
    void aKeyThatClimbsOutOfTheMirrorIsRefused(@TempDir Path cache) {
        Path local = cache.resolve("datasets/graft-data/climb/train");
        StorageUri uri = StorageUri.parse("s3://graft-data/climb/train/");
        for (String key : List.of("climb/train/../../sentinel.png", "climb/train/x/../../../../../sentinel.png",
                "climb/train/..", "climb/train/")) {
            assertThatThrownBy(() -> RemoteDatasets.fileFor(uri, local, key)).as(key)
                    .hasMessageContaining("which is not a plain path below the prefix");
        }
        assertThat(RemoteDatasets.fileFor(uri, local, "climb/train/a/b.png")).isEqualTo(local.resolve("a/b.png"));
    }
}
